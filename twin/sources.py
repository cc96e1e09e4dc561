"""Reading any input file: CSV, Excel, GeoJSON, GeoPackage or Shapefile, for every path.

Import, batch coding and batch geocoding read files through here, so one set of rules
holds for all three: a file that is missing, unreadable or empty is refused by name;
CSV text may be UTF-8 (with or without a BOM), UTF-16 (with a BOM) or GBK/GB18030, and
text that is none of them is refused with the line it fails on; an Excel workbook or a
GeoPackage with several sheets or layers must be told which one; geometry comes from the
file (GIS formats), a WKT column or lon/lat columns, in the file's CRS or the one given,
and is brought to CGCS2000 lon/lat in one vectorised step.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from twin.crs import file_to_storage
from twin.errors import InvalidInput, RowProblem

KINDS = {".csv": "csv", ".xlsx": "excel", ".xls": "excel", ".geojson": "geojson",
         ".json": "geojson", ".gpkg": "gpkg", ".shp": "shp"}
TABULAR = ("csv", "excel")
GIS_DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile"}
WKT_COLUMNS = ("wkt", "geometry", "geom", "footprint", "几何")
LON_COLUMNS = ("lon", "lng", "longitude", "经度")
LAT_COLUMNS = ("lat", "latitude", "纬度")
DEFAULT_CRS = "EPSG:4490"


def kind_of(path: Path, kinds: tuple[str, ...] = tuple(KINDS.values())) -> str:
    """csv, excel, geojson, gpkg or shp from the file name, or InvalidInput."""
    kind = KINDS.get(Path(path).suffix.lower())
    if kind not in kinds:
        shown = ", ".join(s for s, k in KINDS.items() if k in kinds)
        raise InvalidInput(f"{Path(path).name}: unsupported file type "
                           f"{Path(path).suffix or '(none)'!r}; use one of {shown}",
                           field="file", value=str(path))
    return kind


def check_readable(path: Path) -> None:
    """Refuse a path that is missing, not a file, unreadable or empty (before any work)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", field="file", value=str(path))
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file", field="file", value=str(path))
    if not os.access(path, os.R_OK):
        raise InvalidInput(f"{path} cannot be read (permissions)", field="file", value=str(path))
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path} is empty: no header, no rows", field="file", value=str(path))


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file: utf-8-sig, utf-16, utf-8 or gb18030.

    A BOM decides; otherwise the whole file must decode as UTF-8, else as GB18030 (a
    superset of GBK, what Chinese Excel saves). Text that is neither is refused with the
    line where it stops making sense, never read with replacement characters.
    """
    data = Path(path).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            failure = failure or exc
    assert failure is not None
    line = data[: failure.start].count(b"\n") + 1
    raise InvalidInput(
        f"{Path(path).name}: line {line} is neither UTF-8, UTF-16 nor GBK/GB18030 text "
        f"(bytes {data[failure.start:failure.start + 4]!r}); save the file as UTF-8",
        field="file", value=str(path))


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook or the layers of a GIS file, in file order."""
    if kind_of(path) == "excel":
        with pd.ExcelFile(path) as book:
            return [str(s) for s in book.sheet_names]
    import pyogrio

    return [str(name) for name, _ in pyogrio.list_layers(path)]


def pick_sheet(path: Path, sheet: str | None) -> str | None:
    """The sheet or layer to read: the one asked for, the only one, or InvalidInput."""
    if kind_of(path) in ("csv", "geojson"):
        if sheet is not None:
            raise InvalidInput(f"{Path(path).name} has no sheets or layers; leave out --sheet",
                               field="sheet", value=sheet)
        return None
    names = sheet_names(path)
    if sheet is not None:
        if sheet not in names:
            raise InvalidInput(f"{Path(path).name} has no sheet or layer {sheet!r}; it has "
                               f"{', '.join(names)}", field="sheet", value=sheet)
        return sheet
    if len(names) > 1 and kind_of(path) != "shp":
        raise InvalidInput(f"{Path(path).name} holds {len(names)} sheets or layers "
                           f"({', '.join(names)}); name one with --sheet",
                           field="sheet", value=None)
    return names[0] if names else None


def read_columns(path: Path, sheet: str | None = None) -> list[str]:
    """A file's column names (attributes, not the geometry), without reading its rows."""
    kind = kind_of(path)
    check_readable(path)
    if kind in TABULAR:
        return [str(c) for c in read_table(path, sheet=sheet, rows=0).columns]
    import pyogrio

    chosen = pick_sheet(path, sheet)
    return [str(c) for c in pyogrio.read_info(path, layer=chosen)["fields"]]


def read_table(path: Path, *, sheet: str | None = None, as_text: bool = True,
               rows: int | None = None) -> pd.DataFrame:
    """A CSV or Excel sheet: every cell as text (`as_text`), or Excel's own cell types.

    Blank cells are "" as text, NaN when typed. A file with no columns is refused.
    """
    path = Path(path)
    kind = kind_of(path, TABULAR)
    check_readable(path)
    blanks = {"keep_default_na": False, "na_values": [] if as_text else [""]}
    dtype = str if as_text else None
    try:
        if kind == "csv":
            with warnings.catch_warnings():
                # Rows one field longer than the header would otherwise shift every value
                # one column along (pandas takes the first field as an index): refuse them.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                encoding = detect_encoding(path)
                # In a one-column table a blank line between rows is a row with its cell
                # empty (a spreadsheet of addresses saved as CSV): skipping it would move
                # every row after it up one, against its row number. Blank lines after the
                # last row are none (a spreadsheet writes nothing past its last row). Wider
                # tables write "," for an empty row.
                one_column = len(pd.read_csv(path, dtype=str, encoding=encoding, nrows=0,
                                             index_col=False).columns) == 1
                frame = pd.read_csv(path, dtype=str, encoding=encoding, nrows=rows,
                                    index_col=False, skip_blank_lines=not one_column,
                                    **blanks)
                if one_column:
                    cells = frame.iloc[:, 0].fillna("").astype(str).str.strip()
                    last = max((i for i, cell in enumerate(cells) if cell), default=-1)
                    frame = frame.iloc[: last + 1]
        else:
            frame = pd.read_excel(path, sheet_name=pick_sheet(path, sheet) or 0, dtype=dtype,
                                  nrows=rows, **blanks)
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{path} holds no header and no rows", field="file",
                           value=str(path)) from None
    except pd.errors.ParserError as exc:
        raise InvalidInput(f"{path.name}: not a readable CSV table: {exc}", field="file",
                           value=str(path)) from None
    except pd.errors.ParserWarning:
        raise InvalidInput(f"{path.name}: its rows hold more fields than the header names; "
                           "check the delimiters (a stray comma?)", field="file",
                           value=str(path)) from None
    except (ValueError, OSError) as exc:  # openpyxl/xlrd: not a workbook, a broken zip
        raise InvalidInput(f"{path.name}: not a readable {kind} file: {exc}", field="file",
                           value=str(path)) from None
    frame.columns = [str(c) for c in frame.columns]
    if len(frame.columns) == 0:
        raise InvalidInput(f"{path} holds no columns", field="file", value=str(path))
    return frame


@dataclass
class SourceFile:
    """One input file: its attribute columns as read and its rows' CGCS2000 geometries.

    `frame` holds text for CSV/Excel (so codes keep their leading zeros) and the file's
    own types for GIS formats; `source_geometry` is a GIS file's geometry as stored in it
    (in `crs`), so an output can give it back unchanged.
    """

    path: Path
    kind: str
    frame: pd.DataFrame
    geoms: np.ndarray  # CGCS2000 shapely geometries or None, one per row
    crs: str
    encoding: str = "utf-8"
    sheet: str | None = None
    first_row: int = 2  # the row number people see for row 0 (the header is row 1)
    geometry_name: str | None = None  # the column geometry came from, or a GIS file's own
    source_geometry: object = None  # a GIS file's GeoSeries, as read
    problems: dict[int, RowProblem] = field(default_factory=dict)  # index → first problem

    def problem(self, index: int, field_name: str | None, value: object, reason: str) -> None:
        """Note a row's first problem (later ones add nothing a person needs first)."""
        self.problems.setdefault(
            index, RowProblem(self.first_row + index, field_name, value, reason))


def pick_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...],
                what: str) -> str | None:
    """The column asked for (InvalidInput if absent), else the first candidate present."""
    if wanted is not None:
        if wanted not in columns:
            raise InvalidInput(f"no {what} column {wanted!r}; the columns are "
                               f"{', '.join(columns)}", field=what, value=wanted)
        return wanted
    lower = {c.lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def read_source(path: Path, *, crs: str | None = None, sheet: str | None = None,
                geometry_column: str | None = None, require_rows: bool = True) -> SourceFile:
    """Read a file for import or coding; unreadable geometries become row problems."""
    path = Path(path)
    kind = kind_of(path)
    check_readable(path)
    if crs is not None:
        file_to_storage(np.empty(0, dtype=object), crs)  # an unknown CRS fails here, first
    if kind in TABULAR:
        frame = read_table(path, sheet=sheet)
        source = SourceFile(path, kind, frame, np.full(len(frame), None, dtype=object),
                            crs or DEFAULT_CRS, sheet=pick_sheet(path, sheet))
        if kind == "csv":
            source.encoding = detect_encoding(path)
        _geometry_from_columns(source, geometry_column)
    else:
        source = _read_gis(path, crs, pick_sheet(path, sheet))
    if require_rows and len(source.frame) == 0:
        raise InvalidInput(f"{path} has a header but no rows", field="file", value=str(path))
    source.geoms = file_to_storage(source.geoms, source.crs)
    return source


def _read_gis(path: Path, crs: str | None, layer: str | None) -> SourceFile:
    import geopandas as gpd
    import pyogrio

    try:
        gdf = gpd.read_file(path, engine="pyogrio", layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidInput(f"{path.name}: not a readable GIS file: {exc}", field="file",
                           value=str(path)) from None
    file_crs = gdf.crs.to_string() if gdf.crs is not None else None
    name = gdf.geometry.name if gdf._geometry_column_name in gdf else None
    geoms = (np.asarray(gdf.geometry.values, dtype=object) if name
             else np.full(len(gdf), None, dtype=object))
    frame = pd.DataFrame(gdf.drop(columns=[name]) if name else gdf)
    return SourceFile(path, kind_of(path), frame, geoms, crs or file_crs or DEFAULT_CRS,
                      sheet=layer, first_row=1, geometry_name=name,
                      source_geometry=gdf.geometry if name else None)


def _geometry_from_columns(source: SourceFile, wanted: str | None) -> None:
    """Geometry from a WKT column, else points from lon/lat columns; bad cells are noted."""
    columns = list(source.frame.columns)
    wkt = pick_column(columns, wanted, WKT_COLUMNS, "geometry")
    lon = pick_column(columns, None, LON_COLUMNS, "lon")
    lat = pick_column(columns, None, LAT_COLUMNS, "lat")
    frame, geoms = source.frame, source.geoms
    if wkt is not None:
        source.geometry_name = wkt
        text = frame[wkt].to_numpy(dtype=object)
        given = np.array([bool(t.strip()) for t in text], dtype=bool)
        geoms[given] = shapely.from_wkt(text[given], on_invalid="ignore")
        for i in np.flatnonzero(given & shapely.is_missing(geoms)):
            source.problem(int(i), wkt, text[i][:80], "unreadable geometry (not WKT)")
    elif lon is not None and lat is not None:
        source.geometry_name = f"{lon}/{lat}"
        x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
        given = ((frame[lon].str.strip() != "").to_numpy()
                 | (frame[lat].str.strip() != "").to_numpy())
        ok = np.isfinite(x) & np.isfinite(y)
        geoms[ok] = shapely.points(x[ok], y[ok])
        for i in np.flatnonzero(given & ~ok):
            source.problem(int(i), f"{lon}/{lat}", f"{frame[lon].iat[i]},{frame[lat].iat[i]}",
                           "longitude/latitude are not numbers")


# Excel's XML holds no control characters but tab, newline and carriage return.
_NOT_IN_EXCEL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_excel_cells(frame: pd.DataFrame, out: Path, sheet: str | None = None) -> None:
    """InvalidInput naming the first cell an Excel file cannot hold (a control character
    typed or pasted into a text cell), before anything is written: never a cell silently
    changed, never a half-written workbook."""
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        for position, value in enumerate(values):
            found = _NOT_IN_EXCEL.search(value) if isinstance(value, str) else None
            if found is not None:
                where = f"sheet {sheet!r}, " if sheet else ""
                raise InvalidInput(
                    f"cannot write {out.name}: {where}row {position + 1}, column {column!r} "
                    f"holds the control character U+{ord(found.group()):04X}, which an Excel "
                    "file cannot store; write .csv, or remove it from the input",
                    field=str(column), value=value[:80])
