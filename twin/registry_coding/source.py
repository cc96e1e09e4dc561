"""Reading a building registry file: any file `twin.sources` reads, plus the columns coding uses.

Every input column is kept as it was read (text for CSV/Excel, typed for GIS files) so the
output can give it back unchanged; geometry is in CGCS2000 lon/lat (`twin.sources`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from twin.sources import SourceFile, kind_of, pick_column, read_source

__all__ = ["RegistryFile", "kind_of", "read_registry"]

ADDRESS_COLUMNS = ("address", "full_text", "地址", "门牌地址", "房屋地址")
YEAR_COLUMNS = ("year_built", "year", "建成年份", "建成年代")
TOWNSHIP_COLUMNS = ("township_code", "街道代码", "乡镇街道代码")
COMMUNITY_COLUMNS = ("community_code", "社区代码", "村居代码")
CODE_COLUMNS = ("code", "building_code", "建筑物编码", "房屋编码")
OPTIONAL_COLUMNS = {
    "name": ("name", "名称", "楼名"),
    "floors": ("floors", "层数", "地上层数"),
    "height": ("height", "高度"),
    "use": ("use", "用途"),
}


@dataclass
class RegistryFile(SourceFile):
    """A registry file as read, and which of its columns say what coding needs."""

    address_column: str | None = None
    year_column: str | None = None
    township_column: str | None = None
    community_column: str | None = None
    code_column: str | None = None
    optional: dict[str, str] = field(default_factory=dict)


def read_registry(path: Path, *, crs: str | None = None, address_column: str | None = None,
                  year_column: str | None = None, geometry_column: str | None = None,
                  sheet: str | None = None) -> RegistryFile:
    """Read a registry file; bad geometries become row problems, not failures."""
    source = read_source(Path(path), crs=crs, sheet=sheet, geometry_column=geometry_column)
    reg = RegistryFile(**{f.name: getattr(source, f.name) for f in fields(SourceFile)})
    cols = [str(c) for c in reg.frame.columns]
    reg.address_column = pick_column(cols, address_column, ADDRESS_COLUMNS, "address")
    reg.year_column = pick_column(cols, year_column, YEAR_COLUMNS, "year")
    reg.township_column = pick_column(cols, None, TOWNSHIP_COLUMNS, "township_code")
    reg.community_column = pick_column(cols, None, COMMUNITY_COLUMNS, "community_code")
    reg.code_column = pick_column(cols, None, CODE_COLUMNS, "code")
    for key, names in OPTIONAL_COLUMNS.items():
        found = pick_column(cols, None, names, key)
        if found is not None:
            reg.optional[key] = found
    return reg
