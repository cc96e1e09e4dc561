"""Writing the coded registry: every input column and row, plus code/status/method/reason.

Output is deterministic, so a rerun on the same input gives the same bytes: CSV is plain
text; an Excel file's zip entries and document times are pinned; a GeoPackage is written
with GDAL's `OGR_CURRENT_DATE` pinned.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from twin.registry_coding.batch import RESULT_COLUMNS, CodingReport
from twin.registry_coding.source import RegistryFile, kind_of
from twin.sources import check_excel_cells

PINNED_TIME = "2000-01-01T00:00:00Z"
SHAPEFILE_NAMES = {"match_method": "match_meth"}
# The files GDAL may write beside a shapefile, which move with it.
SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg", ".qix")


def _parts(path: Path) -> list[Path]:
    if path.suffix.lower() != ".shp":
        return [path]
    return [path, *(path.with_suffix(s) for s in SHAPEFILE_PARTS)]


@contextmanager
def whole_output(out: Path) -> Iterator[Path]:
    """A path beside `out` to write to, renamed onto `out` when the block ends well.

    A write that fails (a value the format cannot hold, a full disk, an interrupt) leaves
    no partial file, and an `out` that existed stays as it was. The temporary name keeps
    the suffix, which says the format.
    """
    out = Path(out)
    temp = out.with_name(f".{out.stem}.{os.getpid()}.partial{out.suffix}")
    try:
        yield temp
    except BaseException:
        for part in _parts(temp):
            part.unlink(missing_ok=True)
        raise
    for written, final in zip(_parts(temp), _parts(out), strict=True):
        if written.exists():
            os.replace(written, final)
        else:
            final.unlink(missing_ok=True)  # a side file of an older output, not of this one


def result_names(reg: RegistryFile) -> dict[str, str]:
    """Names of the added columns: code, status … or twin_code … if the input has them."""
    taken = set(map(str, reg.frame.columns))
    return {c: (f"twin_{c}" if c in taken else c) for c in RESULT_COLUMNS}


def _pin_xlsx(path: Path) -> None:
    """Rewrite an .xlsx with fixed zip entry times and document times."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                              rb"\g<1>" + PINNED_TIME.encode(), data)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def placeholder_result(reg: RegistryFile) -> pd.DataFrame:
    """Empty result columns for every row: what a rehearsal of the write writes."""
    return pd.DataFrame({c: [""] * len(reg.frame) for c in RESULT_COLUMNS})


def write_coded(reg: RegistryFile, result: pd.DataFrame, out: Path) -> None:
    """Write input columns + results to `out` (format from its suffix)."""
    out = Path(out)
    names = result_names(reg)
    frame = reg.frame.copy()
    for column in RESULT_COLUMNS:
        frame[names[column]] = result[column].to_numpy()
    kind = kind_of(out)
    if kind == "csv":
        frame.to_csv(out, index=False, encoding=reg.encoding, lineterminator="\n")
    elif kind == "excel":
        check_excel_cells(frame, out)
        frame.to_excel(out, index=False, engine="openpyxl", sheet_name=reg.sheet or "Sheet1")
        _pin_xlsx(out)
    else:
        geometry = reg.source_geometry
        if geometry is None:  # tabular input written as GIS: geometry in CGCS2000
            geometry = gpd.GeoSeries(reg.geoms, crs="EPSG:4490")
        if kind == "shp":
            frame = frame.rename(columns=SHAPEFILE_NAMES)
        gdf = gpd.GeoDataFrame(frame, geometry=geometry.values,  # type: ignore[attr-defined]
                               crs=geometry.crs)  # type: ignore[attr-defined]
        if out.exists():
            out.unlink()
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": PINNED_TIME})
        # The layer keeps the input's name, not the output file's, so the same input
        # coded twice gives the same bytes whatever the outputs are called.
        layer = {"layer": reg.path.stem} if kind == "gpkg" else {}
        gdf.to_file(out, engine="pyogrio", **layer)


def write_report(report: CodingReport, path: Path) -> None:
    """The run's summary as JSON (no timings, so reruns give the same file)."""
    Path(path).write_text(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
