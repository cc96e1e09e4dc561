"""Hand-written address bases for tests: rows in the import's columns, imported into a
fresh store of one kind, and the geocoder over what the store holds."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from addressing.base_import import import_address_base
from addressing.base_reader import build_index
from addressing.lexicon import NameLexicon
from addressing.match import Geocoder
from addressing.parse import parse
from tests.stores import STORES, ready_store

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


def base_geocoder(rows: list[list[str]]) -> Any:
    """A module fixture: `rows` imported once per store kind, and a geocoder over it."""

    @pytest.fixture(scope="module", params=STORES)
    def geocoder(request: Any, tmp_path_factory: Any) -> Iterator[Geocoder]:
        with imported(rows, tmp_path_factory.mktemp(request.param), request.param) as (
                _, report, found):
            assert not report.problems, report.problems
            yield found

    return geocoder


def reached(geocoder: Geocoder, text: str) -> tuple[Any, Any, str, str]:
    """Status, level, full text and reason of one geocode."""
    r = geocoder.geocode(text)
    return r.status, r.level, r.full_text or "", r.reason


def street_levels(text: str, names: tuple[str, ...], levels: tuple[str, ...]
                  ) -> list[tuple[str, str]]:
    """(level, value) of the elements at `levels` that the parser reads in `text`, with
    `names` known as compounds."""
    streets: NameLexicon[str] = NameLexicon()
    for name in names:
        streets.add(name, "compound")
    return [(e.level, e.value) for e in parse(text, streets=streets).elements
            if e.level in levels]
