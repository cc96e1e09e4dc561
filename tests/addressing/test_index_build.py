"""Building the address index: progress reports, stopping a build, the cache's threads, the
fenced search over its key arrays."""

import random
import threading
from array import array
from bisect import bisect_left

import pytest
from sqlalchemy import func, select

from addressing.base_import import import_address_base
from addressing.base_reader import _level_query, address_rows, build_index
from addressing.index import FENCE_STEP, _first_at_least
from addressing.service import AddressBaseCache, IndexState
from tests.addressing.test_base_import import GOOD, write
from tests.stores import STORES
from twin.models import ADDRESS_LEVELS, Address

T = Address.__table__


def test_progress_counts_every_current_node(sample_engine):
    reports = []
    index = build_index(sample_engine, progress=lambda read, total: reports.append((read, total)))
    with sample_engine.connect() as conn:
        current = conn.execute(select(func.count()).select_from(T)
                               .where(T.c.status != "retired")).scalar()
    assert reports[0] == (0, current) and reports[-1] == (current, current)
    assert [r for r, _ in reports] == sorted(r for r, _ in reports)
    assert index.size == current


@pytest.mark.parametrize("store_kind", STORES)
def test_close_stops_a_build_and_leaves_no_half_index(empty_engine, tmp_path, store_kind):
    import_address_base(empty_engine, write(tmp_path / "base.csv", GOOD))
    cache = AddressBaseCache()
    reached, gate = threading.Event(), threading.Event()

    def hold(read, total):
        reached.set()
        gate.wait(30)

    cache.on_progress = hold
    thread = cache.start(empty_engine)
    assert thread is not None and reached.wait(30)
    assert cache.current(empty_engine) is None
    assert cache.status().state is IndexState.BUILDING
    cache.close(timeout=0)
    gate.set()
    thread.join(30)
    status = cache.status()
    assert (status.state, status.building, status.error) == (IndexState.IDLE, False, None)


@pytest.mark.parametrize("store_kind", STORES)
def test_get_waits_and_current_does_not(empty_engine, tmp_path, store_kind):
    import_address_base(empty_engine, write(tmp_path / "base.csv", GOOD))
    cache = AddressBaseCache(check_every=3600)
    base = cache.get(empty_engine)
    assert cache.current(empty_engine) is base
    status = cache.status()
    assert status.state is IndexState.READY and status.nodes == base.index.size
    assert status.built_at == base.built_at and status.seconds is not None


@pytest.mark.parametrize("store_kind", STORES)
def test_rows_read_for_the_index_are_the_rows_of_the_table(empty_engine, tmp_path, store_kind):
    # On PostGIS they come through COPY as text: escapes, NULLs, JSON and floats read back.
    import_address_base(empty_engine, write(tmp_path / "base.csv", GOOD))
    odd = ["科兴\t园", 'A"座\\B', "科兴科学园"]
    with empty_engine.begin() as conn:
        conn.execute(T.update().where(T.c.level == "door").values(aliases=odd))
    with empty_engine.connect() as conn:
        expected = [dict(r) for level in ADDRESS_LEVELS
                    for r in conn.execute(_level_query(level)).mappings()]
    assert any(r["aliases"] == odd for r in expected)
    assert list(address_rows(empty_engine)) == expected


def test_the_fenced_search_finds_what_a_plain_binary_search_finds():
    # Sizes around the fence's step, keys repeated and missing, probes below, between and
    # above them.
    rng = random.Random(7)
    for size in (0, 1, 2, FENCE_STEP - 1, FENCE_STEP, FENCE_STEP + 1, 2 * FENCE_STEP, 3000):
        keys = array("q", sorted(rng.randrange(3 * size + 5) for _ in range(size)))
        fence = keys[::FENCE_STEP]
        for key in range(-2, 3 * size + 8):
            assert _first_at_least(keys, fence, key) == bisect_left(keys, key), (size, key)
