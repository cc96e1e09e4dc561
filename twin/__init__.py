"""cim-twin spatial core: data model, stores, codes, CRS, spatial index, 落图, 赋码, jobs, CLI."""

__version__ = "0.1.0"
