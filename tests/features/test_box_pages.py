"""Bbox pages from the kept boxes (PostGIS) answer exactly what the store answers.

Two apps over one private PostGIS store holding the small sample: one keeps the boxes of
every layer (`boxes_min_rows=1`), the other reads everything from the store
(`fast_reads=False`). Their pages, links and counts must agree, and a write, through the
API or behind its back, must show at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import create_app
from tests.conftest import settings_for
from tests.features.conftest import WRITER
from tests.stores import sample_store
from twin.boxes import Hits, LayerBoxes, keeper, read_boxes

LAYER = "buildings"


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> Iterator[tuple[TestClient, TestClient]]:
    """(with boxes, without) over one PostGIS store of the small sample."""
    with sample_store("postgis", tmp_path_factory.mktemp("boxes")) as engine:
        kept_settings = settings_for(engine)
        kept_settings.api.boxes_min_rows = 1
        plain_settings = settings_for(engine)
        plain_settings.api.fast_reads = False
        with TestClient(create_app(kept_settings)) as kept, \
                TestClient(create_app(plain_settings)) as plain:
            kept.engine = engine  # type: ignore[attr-defined]
            yield kept, plain


def _boxes_ready(client: TestClient, table: str = "building") -> LayerBoxes:
    """Ask once so the build starts, then wait for the kept boxes of `table`."""
    client.get(f"/collections/{LAYER}/items", params={"bbox": "113.9,22.5,114.0,22.6"})
    found = keeper(client.app.state.engine)  # type: ignore[attr-defined]
    assert found is not None
    for _ in range(200):
        boxes = found.boxes(table)
        if boxes is not None:
            return boxes
        time.sleep(0.05)
    raise AssertionError(f"the boxes of {table} were not built")


def _pages(client: TestClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    pages, url, query = [], f"/collections/{LAYER}/items", params
    while url:
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        query = None
        assert len(pages) < 200
    return pages


def _summary(pages: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(p["numberMatched"], p["numberReturned"], [f["id"] for f in p["features"]],
             sorted(link["rel"] for link in p["links"])) for p in pages]


def _extent(client: TestClient) -> tuple[float, float, float, float]:
    body = client.get(f"/collections/{LAYER}").json()
    return tuple(body["extent"]["spatial"]["bbox"][0])  # type: ignore[return-value]


def test_kept_pages_equal_the_stores(twins):
    kept, plain = twins
    _boxes_ready(kept)
    x0, y0, x1, y1 = _extent(plain)
    rng = random.Random(7)
    for _ in range(12):
        w, h = (x1 - x0) * rng.uniform(0.01, 0.4), (y1 - y0) * rng.uniform(0.01, 0.4)
        a, b = rng.uniform(x0, x1 - w), rng.uniform(y0, y1 - h)
        params = {"bbox": f"{a},{b},{a + w},{b + h}", "limit": rng.choice([7, 50, 200])}
        ours, theirs = _pages(kept, params), _pages(plain, params)
        assert _summary(ours) == _summary(theirs)
        assert ours[0]["features"] == theirs[0]["features"]


def test_prev_links_and_whole_layer_pages_agree(twins):
    kept, plain = twins
    _boxes_ready(kept)
    x0, y0, x1, y1 = _extent(plain)
    params = {"bbox": f"{x0},{y0},{(x0 + x1) / 2},{(y0 + y1) / 2}", "limit": 4}
    last = _pages(kept, params)[-1]
    url = next(link["href"] for link in last["links"] if link["rel"] == "prev")
    for _ in range(3):
        ours, theirs = kept.get(url).json(), plain.get(url).json()
        assert _summary([ours]) == _summary([theirs])
        url = next(link["href"] for link in ours["links"] if link["rel"] == "prev")
    assert _summary(_pages(kept, {"limit": 40})) == _summary(_pages(plain, {"limit": 40}))


def test_a_write_shows_at_once(twins):
    kept, plain = twins
    boxes = _boxes_ready(kept)
    x0, y0, x1, y1 = _extent(plain)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bbox = {"bbox": f"{cx - 0.001},{cy - 0.001},{cx + 0.001},{cy + 0.001}", "limit": 1000}
    before = kept.get(f"/collections/{LAYER}/items", params=bbox).json()
    square = [[[cx - 1e-5, cy - 1e-5], [cx + 1e-5, cy - 1e-5], [cx + 1e-5, cy + 1e-5],
               [cx - 1e-5, cy + 1e-5], [cx - 1e-5, cy - 1e-5]]]
    created = kept.post(f"/collections/{LAYER}/items", headers=WRITER, json={
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
        "properties": {"name": "新楼", "floors": 3, "use": "办公", "year_built": 2025}})
    assert created.status_code == 201, created.text
    after = kept.get(f"/collections/{LAYER}/items", params=bbox).json()
    assert after["numberMatched"] == before["numberMatched"] + 1
    new_id = created.headers["location"].rsplit("/", 1)[1]
    assert new_id in [f["id"] for f in after["features"]]
    # Behind the service's back: the new building moves far away in plain SQL.
    with kept.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("UPDATE building SET geom = ST_Translate(geom, 1, 1) "
                          "WHERE code = :code"), {"code": new_id})
    moved = kept.get(f"/collections/{LAYER}/items", params=bbox).json()
    assert moved["numberMatched"] == before["numberMatched"]
    assert _summary([moved]) == _summary([plain.get(f"/collections/{LAYER}/items",
                                                    params=bbox).json()])
    rebuilt = _boxes_ready(kept)
    assert rebuilt.version >= boxes.version + 2
    _assert_same(rebuilt, read_boxes(kept.engine, "building"))  # type: ignore[attr-defined]


def _contents(boxes: LayerBoxes) -> dict[int, tuple[float, ...]]:
    found = {}
    for part in (boxes.strips, boxes.loose):
        assert part is not None
        for i, box in zip(part.ids.tolist(), part.boxes.tolist(), strict=True):
            found[i] = tuple(box)
    return found


def _assert_same(ours: LayerBoxes, fresh: LayerBoxes) -> None:
    assert ours.version == fresh.version and ours.rows == fresh.rows
    assert _contents(ours) == _contents(fresh)
    assert ours.bare.tolist() == fresh.bare.tolist()
    strips = ours.strips
    assert strips is not None and (np.diff(strips.key) >= 0).all()
    assert strips.fits(strips.boxes).all()


def test_boxes_brought_up_to_date_equal_boxes_read_whole(twins):
    kept, _ = twins
    engine = kept.engine  # type: ignore[attr-defined]
    before = read_boxes(engine, "building")
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM building ORDER BY id LIMIT 4"))]
        conn.execute(text("UPDATE building SET geom = ST_Multi(ST_Scale(geom, 1.001, 1.0)) "
                          "WHERE id = :i"), {"i": ids[0]})
        conn.execute(text("UPDATE building SET geom = ST_GeomFromText('MULTIPOLYGON EMPTY', "
                          "4490) WHERE id = :i"), {"i": ids[1]})
        conn.execute(text("DELETE FROM building WHERE id = (SELECT min(id) FROM building b "
                          "WHERE NOT EXISTS (SELECT FROM house h "
                          "WHERE h.building_code = b.code))"))
        conn.execute(text("INSERT INTO building (code, name, status, geom, version) SELECT "
                          "code || 'W', name, status, ST_Multi(ST_Scale(geom, 1.01, 1.0)), 1 "
                          "FROM building WHERE id = :i"), {"i": ids[3]})
    _assert_same(read_boxes(engine, "building", since=before), read_boxes(engine, "building"))


def _brute_force(ids: np.ndarray, boxes: np.ndarray, bbox: tuple[float, ...]) -> tuple[set, set]:
    query = shapely.box(*bbox)
    shapes = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    meets = shapely.intersects(shapes, query)
    inside = shapely.covered_by(shapes, query)
    return set(ids[inside].tolist()), set(ids[meets & ~inside].tolist())


def test_hits_are_every_box_that_meets_the_rectangle():
    rng = np.random.default_rng(3)
    n = 20_000
    lo = rng.uniform(0, 100, size=(n, 2))
    size = rng.exponential(0.3, size=(n, 2))
    size[:50] *= 200  # a few long roads
    boxes = np.column_stack([lo, lo + size])
    ids = rng.permutation(n * 3)[:n].astype(np.int64)
    kept = LayerBoxes.of("t", 1, ids, boxes)
    assert kept.strips is not None and 50 <= len(kept.loose) < 1000
    for _ in range(40):
        a, b = rng.uniform(-5, 100, size=2)
        bbox = (a, b, a + rng.uniform(0, 30), b + rng.uniform(0, 30))
        hits = kept.hits(bbox)
        assert (set(hits.inside.tolist()), set(hits.edge.tolist())) == _brute_force(
            ids, boxes, bbox)


def test_changed_boxes_equal_boxes_built_again():
    rng = np.random.default_rng(5)
    n = 5_000
    lo = rng.uniform(0, 10, size=(n, 2))
    boxes = np.column_stack([lo, lo + rng.exponential(0.05, size=(n, 2))])
    boxes[:10] = np.nan  # features without a geometry
    ids = np.arange(n, dtype=np.int64)
    kept = LayerBoxes.of("t", 1, ids, boxes)
    written = rng.choice(n, 300, replace=False)
    now = boxes.copy()
    now[written[:100]] += 0.5  # moved
    now[written[100:110]] = np.nan  # lost their geometry
    wide = np.array([[2.0, 2.0, 9.0, 2.5]])  # wider than any: goes with the wide ones
    still = np.sort(written[:200])  # the rest of `written` were deleted
    new_ids = np.concatenate([still, [n, n + 1]])
    new_boxes = np.vstack([now[still], wide, [[1.0, 1.0, 1.01, 1.01]]])
    changed = kept.changed(2, written, new_ids, new_boxes)
    left = np.setdiff1d(ids, written)
    fresh = LayerBoxes.of("t", 2, np.concatenate([left, new_ids]),
                          np.vstack([boxes[left], new_boxes]))
    assert changed.rows == fresh.rows == n - 100 + 2
    for _ in range(30):
        a, b = rng.uniform(0, 10, size=2)
        bbox = (a, b, a + rng.uniform(0, 3), b + rng.uniform(0, 3))
        ours, theirs = changed.hits(bbox), fresh.hits(bbox)
        assert sorted(ours.inside.tolist()) == sorted(theirs.inside.tolist())
        assert sorted(ours.edge.tolist()) == sorted(theirs.edge.tolist())


def test_page_candidates_hold_the_first_matches():
    inside = np.array([3, 9, 12, 20, 31, 40], dtype=np.int64)
    edge = np.array([1, 10, 11, 35, 50], dtype=np.int64)
    hits = Hits(inside, edge)
    candidates, on_edge = hits.page(2)
    assert candidates.tolist() == [1, 3, 9] and on_edge.tolist() == [1]
    candidates, on_edge = hits.page(2, after=9)
    assert candidates.tolist() == [10, 11, 12, 20] and on_edge.tolist() == [10, 11]
    candidates, on_edge = hits.page(2, before=35)
    assert candidates.tolist() == [20, 31] and on_edge.tolist() == []
    candidates, on_edge = hits.page(10, after=31)
    assert candidates.tolist() == [35, 40, 50] and on_edge.tolist() == [35, 50]
