"""Hand-written address bases for tests: rows in the import's columns, imported into a
fresh store of one kind, and the geocoder over what the store holds."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from addressing.base_import import import_address_base
from addressing.base_reader import build_index
from addressing.match import Geocoder
from tests.stores import ready_store

HEADER = ["county_code", "township", "community", "road", "door_no", "compound", "building",
          "unit", "floor", "room"]


@contextmanager
def imported(rows: list[list[str]], workdir: Path, store_kind: str = "spatialite"
             ) -> Iterator[tuple[Any, Any, Geocoder]]:
    """The store with `rows` imported (engine, import report) and a geocoder over it."""
    path = workdir / "base.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(rows)
    with ready_store(store_kind, workdir) as engine:
        report = import_address_base(engine, path)
        yield engine, report, Geocoder(build_index(engine))
