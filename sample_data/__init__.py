"""A generated sample city on 深圳市南山区: real division codes, synthetic everything else."""

from sample_data.city import SIZES, generate
from sample_data.load import LoadReport, load

__all__ = ["SIZES", "LoadReport", "generate", "load"]
