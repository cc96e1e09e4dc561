"""Batch geocoding of a spreadsheet: every input row and column kept, result columns added.

`geocode_table(geocoder, frame, column)` matches one column of a table; `geocode_file`
reads CSV or Excel through `twin.sources` (the reader import and coding use), writes CSV
or Excel. A row whose cell cannot be read
as an address gets status `unreadable` and the reason — rows are never dropped or reordered.
With `workers > 1` the rows are split across forked processes that share the index.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from addressing.errors import AddressInputError
from addressing.match import Geocoder
from addressing.normalize import NormalizedText, normalize
from twin.sources import check_excel_cells, pick_sheet, read_table, sheet_names

Progress = Callable[[int, int], None]
RESULT_COLUMNS = ("geo_status", "geo_level", "geo_code", "geo_full_text", "geo_score",
                  "geo_reason", "geo_lon", "geo_lat", "geo_crs", "geo_candidates")
CHUNK = 2_000


@dataclass
class BatchReport:
    """How a batch went: rows per status, and the unreadable ones."""

    rows: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)

    def summary(self) -> str:
        """One line for people."""
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items()))
        return f"{self.rows} rows: {counts}"


def _cell_text(value: Any) -> str:
    """The address in a cell; "" when the cell holds none (blank, NaN, spaces)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _unreadable(text: str) -> tuple[Any, ...] | None:
    # A blank cell is not unreadable: the geocoder answers it as it answers a blank query
    # over HTTP (unmatched, "empty address"), so both faces use one vocabulary.
    if "\ufffd" in text:
        return ("unreadable", None, None, None, 0,
                "the cell holds undecodable characters (wrong file encoding?)",
                None, None, None, None)
    return None


def _geocoded_row(geocoder: Geocoder, query: str | NormalizedText,
                  crs: str | None) -> tuple[Any, ...]:
    r = geocoder.geocode(query, crs)
    candidates = "; ".join(f"{c.code} {c.full_text}" for c in r.candidates) or None
    return (r.status, r.level, r.code, r.full_text, r.score, r.reason, r.lon, r.lat, r.crs,
            candidates)


def _result_row(geocoder: Geocoder, value: Any, crs: str | None) -> tuple[Any, ...]:
    text = _cell_text(value)
    return _unreadable(text) or _geocoded_row(geocoder, text, crs)


class _BatchMemo:
    """Rows already made in this batch, by cell text and by normalised text.

    A result row depends on the address only through its normalised text (the row holds
    no spans of the original), so a repeated address, typed alike or not, is matched once.
    """

    LIMIT = 100_000  # rows held; beyond that the memo starts again (bounded memory)

    def __init__(self, geocoder: Geocoder, crs: str | None):
        self.geocoder, self.crs = geocoder, crs
        self.by_text: dict[str, tuple[Any, ...]] = {}
        self.by_normal: dict[str, tuple[Any, ...]] = {}

    def row(self, value: Any) -> tuple[Any, ...]:
        text = _cell_text(value)
        unreadable = _unreadable(text)
        if unreadable is not None:
            return unreadable
        row = self.by_text.get(text)
        if row is None:
            normalized = normalize(text)
            row = self.by_normal.get(normalized.text)
            if row is None:
                if len(self.by_normal) >= self.LIMIT:
                    self.by_text.clear()
                    self.by_normal.clear()
                row = _geocoded_row(self.geocoder, normalized, self.crs)
                self.by_normal[normalized.text] = row
            self.by_text[text] = row
        return row


_WORKER_GEOCODER: Geocoder | None = None
_WORKER_MEMO: _BatchMemo | None = None  # one per forked worker, for the batch it serves


def _work(args: tuple[Sequence[Any], str | None, bool]) -> list[tuple[Any, ...]]:
    global _WORKER_MEMO
    values, crs, dedupe = args
    assert _WORKER_GEOCODER is not None
    if not dedupe:
        return [_result_row(_WORKER_GEOCODER, v, crs) for v in values]
    if _WORKER_MEMO is None:
        _WORKER_MEMO = _BatchMemo(_WORKER_GEOCODER, crs)
    return [_WORKER_MEMO.row(v) for v in values]


def geocode_values(
    geocoder: Geocoder, values: Sequence[Any], *, crs: str | None = None, workers: int = 1,
    progress: Progress | None = None, dedupe: bool = True,
) -> list[tuple[Any, ...]]:
    """Result tuples (in RESULT_COLUMNS order) for each value, in order.

    With `dedupe`, addresses repeated in the batch (alike once normalised) are matched once;
    the rows are the same either way.
    """
    # What exists before the batch (the index, the input) lives on: the collector need not
    # scan it again while the batch makes garbage, nor touch its pages in forked workers
    # (which would copy them). A third of the time at city scale went to those scans.
    gc.freeze()
    # Matching makes no reference cycles (refcounting frees all it drops; a test checks a
    # batch leaves none), yet the memos it fills made the collector walk them again and
    # again: 6 % of the time at city scale even when it ran every 100,000 allocations. So
    # it does not run while the batch runs (in forked workers neither), and runs as before
    # after it.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _geocode_chunks(geocoder, values, crs, workers, progress, dedupe)
    finally:
        if enabled:
            gc.enable()


def _geocode_chunks(
    geocoder: Geocoder, values: Sequence[Any], crs: str | None, workers: int,
    progress: Progress | None, dedupe: bool,
) -> list[tuple[Any, ...]]:
    total = len(values)
    # The rows are matched in the order of their text, and given back in the input's: the
    # addresses of one place then come together, and what the matcher works out and keeps
    # for a road, a compound or an admin prefix serves the next rows (and, with workers,
    # mostly one worker) before it is needed elsewhere. 60,000 messy addresses of the city
    # sample ran 1.25–1.4× as fast on two workers so, with the same rows.
    order = sorted(range(total), key=lambda i: _cell_text(values[i]))
    in_order = [values[i] for i in order]
    chunks = [in_order[i : i + CHUNK] for i in range(0, total, CHUNK)]
    rows = _geocode_in_chunks(geocoder, chunks, total, crs, workers, progress, dedupe)
    out: list[tuple[Any, ...]] = [()] * total
    for i, row in zip(order, rows, strict=True):
        out[i] = row
    return out


def _geocode_in_chunks(
    geocoder: Geocoder, chunks: list[list[Any]], total: int, crs: str | None,
    workers: int, progress: Progress | None, dedupe: bool,
) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if workers <= 1 or total < 2 * CHUNK or "fork" not in multiprocessing.get_all_start_methods():
        memo = _BatchMemo(geocoder, crs) if dedupe else None
        for chunk in chunks:
            if memo is not None:
                out.extend(memo.row(v) for v in chunk)
            else:
                out.extend(_result_row(geocoder, v, crs) for v in chunk)
            if progress:
                progress(len(out), total)
        return out
    global _WORKER_GEOCODER
    _WORKER_GEOCODER = geocoder  # forked workers inherit the index without copying it
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for rows in pool.imap(_work, [(c, crs, dedupe) for c in chunks]):
                out.extend(rows)
                if progress:
                    progress(len(out), total)
    finally:
        _WORKER_GEOCODER = None
    return out


def geocode_table(
    geocoder: Geocoder, frame: pd.DataFrame, column: str, *, crs: str | None = None,
    workers: int = 1, progress: Progress | None = None, first_row: int = 2,
) -> tuple[pd.DataFrame, BatchReport]:
    """The table with the result columns appended (input columns and order untouched)."""
    if column not in frame.columns:
        raise AddressInputError(
            f"no column {column!r}; the columns are: {', '.join(map(str, frame.columns))}",
            field="column", value=column,
        )
    clash = [c for c in RESULT_COLUMNS if c in frame.columns]
    if clash:
        raise AddressInputError(f"the file already has result columns {clash}; "
                                "remove them or geocode the original file",
                                field="column", value=clash[0])
    rows = geocode_values(geocoder, list(frame[column]), crs=crs, workers=workers,
                          progress=progress)
    results = pd.DataFrame(rows, columns=list(RESULT_COLUMNS), index=frame.index)
    out = pd.concat([frame, results], axis=1)
    report = BatchReport(rows=len(out))
    for i, status in enumerate(results["geo_status"]):
        report.by_status[status] = report.by_status.get(status, 0) + 1
        if status == "unreadable":
            report.unreadable.append((first_row + i, str(results["geo_reason"].iloc[i])))
    return out, report


def write_table(frame: pd.DataFrame, path: Path, *, sheet: str | None = None,
                others: dict[str, pd.DataFrame] | None = None) -> None:
    """Write CSV (UTF-8 with BOM, so Excel opens it right) or Excel by the file suffix.

    In a workbook the result keeps its sheet's name, and the input's other sheets follow
    unchanged in their order (`others`, by name, the result's own name included as a marker).
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return
    if suffix not in (".xlsx", ".xls"):
        raise AddressInputError(f"cannot write {path.name}: use .csv or .xlsx",
                                field="output", value=str(path))
    name = sheet or "Sheet1"
    sheets = dict(others or {name: frame})
    sheets[name] = frame
    for title, table in sheets.items():
        check_excel_cells(table, path, title if len(sheets) > 1 else None)
    with pd.ExcelWriter(path.with_suffix(".xlsx"), engine="openpyxl") as book:
        for title, table in sheets.items():
            table.to_excel(book, sheet_name=title, index=False)


def geocode_file(
    geocoder: Geocoder, source: Path, column: str, output: Path, *, crs: str | None = None,
    workers: int = 1, progress: Progress | None = None, sheet: str | None = None,
) -> BatchReport:
    """Geocode one column of a CSV/Excel file into `output` (CSV or Excel).

    CSV cells stay text; Excel cells keep their types (numbers stay numbers), the sheet its
    name, and the workbook's other sheets are copied along.
    """
    chosen = pick_sheet(source, sheet)
    frame = read_table(source, sheet=chosen, as_text=False)
    others = None
    if chosen is not None:
        others = {name: read_table(source, sheet=name, as_text=False) if name != chosen
                  else frame for name in sheet_names(source)}
    result, report = geocode_table(geocoder, frame, column, crs=crs, workers=workers,
                                   progress=progress)
    write_table(result, output, sheet=chosen, others=others)
    return report
