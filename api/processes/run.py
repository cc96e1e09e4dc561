"""What each process does: read its inputs, call the one core service, write the result.

`Processes(engine, addresses)` is the `Execute` callable that the job workers, the
synchronous route and the pygeoapi plugins all run. Nothing here computes a match, a code
or a place: geocoding is `addressing` (the address base of `addressing.service`, a table
through `addressing.batch`), coding is `twin.coding`, placing is `twin.placement`. Files
go through a temporary directory because the core readers and writers take paths.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from addressing.batch import geocode_table, write_table
from addressing.service import AddressBase, AddressBaseCache
from api.processes import inputs as read
from api.processes.descriptions import GEOJSON, JSON, MAX_ADDRESSES, SUFFIX_OF
from twin.crs import file_to_storage
from twin.errors import InvalidInput, RowProblem
from twin.jobs import Job, JobInput, Outcome, Progress
from twin.placement import DEFAULT_BEIDOU_LEVEL, PlacementIndex
from twin.registry_coding import CodingOptions, code_file
from twin.registry_coding.source import read_registry
from twin.sources import read_table

Process = Callable[["Processes", JobInput, Progress], Outcome]


def _json(value: Any, name: str = "result.json", report: dict[str, Any] | None = None
          ) -> Outcome:
    return Outcome(json.dumps(value, ensure_ascii=False).encode(), JSON, name, report or {})


class Processes:
    """The processes of one store, runnable as `Execute(job, job_input, progress)`."""

    def __init__(self, engine: Engine, addresses: AddressBaseCache):
        self.engine, self.addresses = engine, addresses

    def __call__(self, job: Job, job_input: JobInput, progress: Progress) -> Outcome:
        """Run `job.process` on its input."""
        return self.run(job.process, job_input, progress)

    def run(self, process: str, job_input: JobInput, progress: Progress) -> Outcome:
        """Run one process by id on checked inputs."""
        progress(0, f"{process} started")
        return RUNS[process](self, job_input, progress)

    def address_base(self) -> AddressBase:
        """The store's address base, waiting for its build."""
        return self.addresses.get(self.engine)


def geocode(p: Processes, given: JobInput, progress: Progress) -> Outcome:
    """One address or a list of them."""
    inputs = given.inputs
    single, batch = read.literal(inputs, "address"), read.literal(inputs, "addresses")
    if (single is None) == (batch is None):
        raise InvalidInput("give `address` (one string) or `addresses` (a list), one of "
                           "the two", field="inputs.address", value=None)
    crs = read.text(inputs, "crs")
    if single is not None:
        query = read.text(inputs, "address")
        return _json(p.address_base().geocoder.geocode(query or "", crs).as_dict())
    if not isinstance(batch, list) or not all(isinstance(q, str) for q in batch):
        raise InvalidInput("input 'addresses' must be a list of strings",
                           field="inputs.addresses", value=type(batch).__name__)
    if len(batch) > MAX_ADDRESSES:
        raise InvalidInput(f"input 'addresses' holds {len(batch)} items; at most "
                           f"{MAX_ADDRESSES} (use batch-geocode for a file)",
                           field="inputs.addresses", value=len(batch))
    geocoder = p.address_base().geocoder
    out = []
    for i, query in enumerate(batch):
        out.append(geocoder.geocode(query, crs).as_dict())
        if i % 100 == 99:
            progress(int(100 * (i + 1) / len(batch)), f"{i + 1} of {len(batch)} geocoded")
    return _json(out)


def reverse_geocode(p: Processes, given: JobInput, progress: Progress) -> Outcome:
    """The addresses nearest to a point."""
    inputs = given.inputs
    lon = read.number(inputs, "lon", low=-180, high=180)
    lat = read.number(inputs, "lat", low=-90, high=90)
    radius = read.number(inputs, "radius", default=500.0, low=0.01)
    limit = read.number(inputs, "limit", default=1, low=1, high=50, integer=True)
    crs = read.text(inputs, "crs")
    assert lon is not None and lat is not None and radius is not None and limit is not None
    found = p.address_base().reverse.nearest(lon, lat, crs=crs, radius_m=radius,
                                             limit=int(limit))
    return _json({"lon": lon, "lat": lat, "crs": crs or "CGCS2000", "radius_m": radius,
                  "status": "found" if found else "none within radius",
                  "addresses": [a.as_dict() for a in found]})


def _workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="twin-job-")


def _saved(given: JobInput, folder: str) -> Path:
    if given.data is None or given.name is None:
        raise InvalidInput("input 'file' is required", field="inputs.file")
    path = Path(folder) / given.name
    path.write_bytes(given.data)
    return path


def _file_outcome(path: Path, stem: str, report: dict[str, Any]) -> Outcome:
    media = next(m for m, s in SUFFIX_OF.items() if s == path.suffix)
    return Outcome(path.read_bytes(), media, f"{stem}{path.suffix}", report)


def batch_geocode(p: Processes, given: JobInput, progress: Progress) -> Outcome:
    """One column of a spreadsheet geocoded; every row kept."""
    column = read.text(given.inputs, "column")
    crs = read.text(given.inputs, "crs")
    with _workdir() as folder:
        source = _saved(given, folder)
        frame = read_table(source)
        progress(5, f"{len(frame)} rows read")
        base = p.address_base()
        result, report = geocode_table(
            base.geocoder, frame, column or "", crs=crs,
            progress=lambda done, total: progress(5 + 90 * done // max(total, 1),
                                                  f"{done} of {total} rows geocoded"))
        out = source.with_name("geocoded" + source.suffix)
        write_table(result, out)
        return _file_outcome(out, "geocoded", {
            "rows": report.rows, "by_status": report.by_status,
            "bad_rows": [{"row": row, "field": column, "reason": why}
                         for row, why in report.unreadable]})


def batch_code(p: Processes, given: JobInput, progress: Progress) -> Outcome:
    """A building registry coded: existing codes kept, new buildings placed and coded."""
    inputs = given.inputs
    options = CodingOptions(
        crs=read.text(inputs, "crs"), address_column=read.text(inputs, "address_column"),
        year_column=read.text(inputs, "year_column"),
        geometry_column=read.text(inputs, "geometry_column"),
        chunk_size=int(read.number(inputs, "chunk_size", default=20_000, low=1,
                                   integer=True) or 20_000))
    with _workdir() as folder:
        source = _saved(given, folder)
        out = source.with_name("coded" + source.suffix)
        progress(5, "reading and matching the registry")
        report = code_file(p.engine, source, out, options, progress=lambda done, total:
                           progress(10 + 85 * done // max(total, 1),
                                    f"{done} of {total} new buildings coded"))
        return _file_outcome(out, "coded", report.as_dict())


def place(p: Processes, given: JobInput, progress: Progress) -> Outcome:
    """Township, community, grid and BeiDou code of each feature."""
    inputs = given.inputs
    features, has_file = read.literal(inputs, "features"), given.data is not None
    if (features is not None) == has_file:
        raise InvalidInput("give `features` (a GeoJSON FeatureCollection) or `file`, one "
                           "of the two", field="inputs.features", value=None)
    crs = read.text(inputs, "crs") or "EPSG:4490"
    level = int(read.number(inputs, "beidou_level", default=DEFAULT_BEIDOU_LEVEL, low=1,
                            high=10, integer=True) or DEFAULT_BEIDOU_LEVEL)
    with _workdir() as folder:
        if features is not None or inputs.get("file_media_type") == GEOJSON:
            collection = features if features is not None else json.loads(given.data or b"")
            frame, geoms, problems = _features(collection, crs)
            first_row, suffix = 0, ".geojson"
        else:
            reg = read_registry(_saved(given, folder), crs=crs)
            frame, geoms = reg.frame, reg.geoms
            problems, first_row = list(reg.problems.values()), reg.first_row
            suffix = ".csv" if reg.kind == "csv" else ".xlsx"
        progress(20, f"{len(frame)} features read")
        usable = geoms.copy()
        bad = {pr.row - first_row for pr in problems}
        usable[list(bad)] = None
        places = PlacementIndex.kept(p.engine).assign(usable, beidou_level=level)
        progress(80, "placed")
        for i in np.flatnonzero(shapely.is_missing(usable)):
            if int(i) not in bad:
                problems.append(RowProblem(int(i) + first_row, "geometry", None,
                                           "no geometry to place"))
        outside = [int(i) + first_row for i, t in enumerate(places["township_code"])
                   if pd.isna(t) and not shapely.is_missing(usable[i])]
        report = {"rows": len(frame), "placed": int(places["township_code"].notna().sum()),
                  "outside": outside,
                  "bad_rows": [{"row": pr.row, "field": pr.field, "reason": pr.reason,
                                "value": None if pr.value is None else str(pr.value)}
                               for pr in sorted(problems, key=lambda pr: pr.row)]}
        placed = pd.concat([frame.reset_index(drop=True),
                            places.astype(object).where(places.notna(), None)], axis=1)
        out = Path(folder) / f"placed{suffix}"
        if suffix == ".geojson":
            gdf = gpd.GeoDataFrame(placed, geometry=list(geoms), crs="EPSG:4490")
            out.write_text(gdf.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
            return Outcome(out.read_bytes(), GEOJSON, out.name, report)
        write_table(placed, out)
        return _file_outcome(out, "placed", report)


def _features(collection: object, crs: str
              ) -> tuple[pd.DataFrame, np.ndarray, list[RowProblem]]:
    """Properties, CGCS2000 geometries and bad features of a GeoJSON FeatureCollection."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list):
        raise InvalidInput("`features` must be a GeoJSON FeatureCollection",
                           field="inputs.features", value=str(collection)[:80])
    rows, geoms, problems = [], [], []
    for i, feature in enumerate(collection["features"]):
        props = feature.get("properties") if isinstance(feature, dict) else None
        rows.append(props if isinstance(props, dict) else {})
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        try:
            geom = shapely.geometry.shape(geometry) if geometry else None
        except Exception as exc:  # shapely says why a GeoJSON geometry is unreadable
            problems.append(RowProblem(i, "geometry", str(geometry)[:80],
                                       f"unreadable geometry: {exc}"))
            geom = None
        if geom is not None and not geom.is_valid:
            problems.append(RowProblem(i, "geometry", None,
                                       f"invalid geometry: {shapely.is_valid_reason(geom)}"))
        geoms.append(geom)
    array = np.empty(len(geoms), dtype=object)
    array[:] = geoms
    return pd.DataFrame(rows), file_to_storage(array, crs), problems


RUNS: dict[str, Process] = {
    "geocode": geocode, "reverse-geocode": reverse_geocode, "batch-geocode": batch_geocode,
    "batch-code": batch_code, "place": place,
}
