"""Building the address index: progress reports, stopping a build, the cache's threads, the
fenced search over its key arrays."""

import random
import threading
from array import array

import pytest
from sqlalchemy import func, select

from addressing.base_import import import_address_base
from addressing.base_reader import _level_query, address_rows, build_index
from addressing.index import _lookup, _starts
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


def test_each_nodes_entries_are_a_slice_and_a_key_is_found_among_them():
    # Nodes with no entries, one, many, keys repeated and missing; the first, the last and
    # beyond the last node.
    rng = random.Random(7)
    for size in (0, 1, 2, 5, 300):
        pairs = sorted((rng.randrange(size), rng.randrange(6)) for _ in range(3 * size))
        keys = array("q", [(parent << 32) | key for parent, key in pairs])
        nodes = array("i", range(len(keys)))
        starts = _starts(keys, size)
        assert len(starts) == size + 1
        for parent in range(size):
            mine = [i for i, (p, _) in enumerate(pairs) if p == parent]
            assert list(range(starts[parent], starts[parent + 1])) == mine
            for key in range(-1, 8):
                expected = [i for i in mine if pairs[i][1] == key]
                found = _lookup(keys, nodes, starts[parent], starts[parent + 1],
                                (parent << 32) | key)
                assert found == expected, (size, parent, key)
