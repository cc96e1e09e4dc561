"""Reading a building registry file: CSV, Excel, GeoPackage or Shapefile, any CRS.

Every input column is kept as it was read (text for CSV/Excel, typed for GIS files) so the
output can give it back unchanged. Geometry comes from the file's geometry (GIS files), a
WKT column, or lon/lat columns, and is brought to CGCS2000 lon/lat in one vectorised step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from twin.errors import InvalidInput, RowProblem
from twin.models import STORAGE_SRID

TABULAR = {".csv", ".xlsx", ".xls"}
GIS = {".gpkg", ".shp"}
WKT_COLUMNS = ("wkt", "geometry", "geom", "footprint", "几何")
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
ADDRESS_COLUMNS = ("address", "full_text", "地址", "门牌地址", "房屋地址")
YEAR_COLUMNS = ("year_built", "year", "建成年份", "建成年代")
OPTIONAL_COLUMNS = {
    "name": ("name", "名称", "楼名"),
    "floors": ("floors", "层数", "地上层数"),
    "height": ("height", "高度"),
    "use": ("use", "用途"),
}


@dataclass
class RegistryFile:
    """One input file: its columns as read, CGCS2000 geometries, and the columns in use."""

    path: Path
    kind: str  # csv, excel, gpkg, shp
    frame: pd.DataFrame  # every input column, input order
    geoms: np.ndarray  # CGCS2000 shapely geometries or None, one per row
    crs: str
    encoding: str = "utf-8"
    address_column: str | None = None
    year_column: str | None = None
    optional: dict[str, str] = field(default_factory=dict)
    problems: dict[int, RowProblem] = field(default_factory=dict)  # index → first problem
    first_row: int = 2  # the row number people see for index 0 (after a header)

    def problem(self, index: int, field_name: str | None, value: object, reason: str) -> None:
        """Note a row's first problem (later ones add nothing a person needs first)."""
        self.problems.setdefault(
            index, RowProblem(self.first_row + index, field_name, value, reason)
        )


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...],
          what: str) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise InvalidInput(f"no {what} column {wanted!r}; columns are {columns}",
                               field=what, value=wanted)
        return wanted
    lower = {c.lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def kind_of(path: Path) -> str:
    """csv, excel, gpkg or shp from the file name, or InvalidInput."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".xlsx", ".xls"}:
        return "excel"
    if suffix in GIS:
        return suffix[1:]
    raise InvalidInput(
        f"{path.name}: unsupported file type {suffix!r}; use .csv, .xlsx, .gpkg or .shp",
        field="file", value=str(path),
    )


@lru_cache(maxsize=16)
def transformer_to_storage(crs: str) -> Transformer | None:
    """x-first transform from `crs` to CGCS2000 lon/lat, None when it already is."""
    try:
        source = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj's CRSError and friends
        raise InvalidInput(f"unknown CRS {crs!r}: {exc}", field="crs", value=crs) from exc
    if source.equals(CRS.from_epsg(STORAGE_SRID), ignore_axis_order=True):
        return None
    return Transformer.from_crs(source, STORAGE_SRID, always_xy=True)


def to_storage(geoms: np.ndarray, crs: str) -> np.ndarray:
    """Geometries in `crs` (x first) as CGCS2000 lon/lat, all at once."""
    transformer = transformer_to_storage(crs)
    present = ~shapely.is_missing(geoms)
    if transformer is None or not present.any():
        return geoms
    out = geoms.copy()
    out[present] = shapely.transform(
        geoms[present],
        lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])),
    )
    return out


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        with open(path, "rb") as f:
            bom = f.read(3) == b"\xef\xbb\xbf"
        return frame, ("utf-8-sig" if bom else "utf-8") if encoding == "utf-8-sig" else encoding
    raise InvalidInput(f"{path.name} is neither UTF-8 nor GB18030 text", field="file",
                       value=str(path))


def _geometry_from_columns(reg: RegistryFile, wkt: str | None, lon: str | None,
                           lat: str | None) -> np.ndarray:
    n = len(reg.frame)
    geoms = np.full(n, None, dtype=object)
    if wkt is not None:
        text = reg.frame[wkt].to_numpy(dtype=object)
        given = np.array([bool(t.strip()) for t in text])
        geoms[given] = shapely.from_wkt(text[given], on_invalid="ignore")
        for i in np.flatnonzero(given & shapely.is_missing(geoms)):
            reg.problem(int(i), wkt, text[i][:80], "unreadable WKT geometry")
    elif lon is not None and lat is not None:
        x = pd.to_numeric(reg.frame[lon], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(reg.frame[lat], errors="coerce").to_numpy(dtype=float)
        given = (reg.frame[lon].str.strip() != "").to_numpy() | (
            reg.frame[lat].str.strip() != "").to_numpy()
        ok = np.isfinite(x) & np.isfinite(y)
        geoms[ok] = shapely.points(x[ok], y[ok])
        for i in np.flatnonzero(given & ~ok):
            reg.problem(int(i), f"{lon}/{lat}", f"{reg.frame[lon].iat[i]},{reg.frame[lat].iat[i]}",
                        "longitude/latitude are not numbers")
    return geoms


def read_registry(path: Path, *, crs: str | None = None, address_column: str | None = None,
                  year_column: str | None = None, geometry_column: str | None = None
                  ) -> RegistryFile:
    """Read a registry file; bad geometries become row problems, not failures."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", field="file", value=str(path))
    kind = kind_of(path)
    if kind in ("csv", "excel"):
        if kind == "csv":
            frame, encoding = _read_csv(path)
        else:
            frame, encoding = pd.read_excel(path, dtype=str, keep_default_na=False), "utf-8"
        frame.columns = [str(c) for c in frame.columns]
        reg = RegistryFile(path, kind, frame, np.empty(0, dtype=object), crs or "EPSG:4490",
                           encoding)
        cols = list(frame.columns)
        wkt = _pick(cols, geometry_column, WKT_COLUMNS, "geometry")
        lon = _pick(cols, None, LON_COLUMNS, "lon")
        lat = _pick(cols, None, LAT_COLUMNS, "lat")
        reg.geoms = to_storage(_geometry_from_columns(reg, wkt, lon, lat), reg.crs)
    else:
        gdf = gpd.read_file(path, engine="pyogrio")
        file_crs = gdf.crs.to_string() if gdf.crs is not None else None
        reg = RegistryFile(path, kind, pd.DataFrame(gdf), np.empty(0, dtype=object),
                           crs or file_crs or "EPSG:4490", first_row=1)
        geom_name = gdf.geometry.name if "geometry" in gdf or gdf._geometry_column_name else None
        reg.geoms = to_storage(np.asarray(gdf.geometry.values, dtype=object), reg.crs)
        reg.frame = pd.DataFrame(gdf.drop(columns=[geom_name]) if geom_name else gdf)
        reg.frame.attrs["geometry_name"] = geom_name
        reg.frame.attrs["source_geometry"] = gdf.geometry
    cols = list(reg.frame.columns)
    reg.address_column = _pick(cols, address_column, ADDRESS_COLUMNS, "address")
    reg.year_column = _pick(cols, year_column, YEAR_COLUMNS, "year")
    for key, names in OPTIONAL_COLUMNS.items():
        found = _pick(cols, None, names, key)
        if found is not None:
            reg.optional[key] = found
    return reg
