"""`GET /audit` on both stores: admin only, every write and sensitive read found by who,
when, what and which record, newest first, paged, and its own reading on record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.api.test_collections import new_building
from tests.conftest import settings_for
from tests.stores import STORES, ready_store

ADMIN = {"X-API-Key": "admin-key"}
WRITER = {"X-API-Key": "writer-key"}


@pytest.fixture(scope="module", params=STORES)
def audited(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[TestClient]:
    """The app over a private store of each kind (divisions only), with some writes."""
    with ready_store(request.param, tmp_path_factory.mktemp(f"audit-{request.param}")) as engine:
        with TestClient(create_app(settings_for(engine))) as client:
            for n in range(3):
                made = client.post("/collections/buildings/items",
                                   json=new_building(400 + n, 113.93, 22.52), headers=WRITER)
                assert made.status_code == 201, made.text
            gone = client.delete(made.headers["location"], headers=WRITER)
            assert gone.status_code == 204, gone.text
            yield client


def test_only_admin_reads_the_audit(audited):
    assert audited.get("/audit").status_code == 401
    assert audited.get("/audit", headers=WRITER).status_code == 403
    assert audited.get("/audit", headers=ADMIN).status_code == 200


def test_every_write_is_there_newest_first(audited):
    body = audited.get("/audit", headers=ADMIN, params={"layer": "buildings"}).json()
    actions = [(line["action"], line["object_id"]) for line in body["lines"]]
    created = [a for a in actions if a[0] == "create"]
    assert len(created) == 3
    assert actions[0][0] == "delete"  # the last write comes first
    ids = [line["id"] for line in body["lines"]]
    assert ids == sorted(ids, reverse=True)
    assert {line["actor"] for line in body["lines"]} == {body["lines"][0]["actor"]}


def test_filters_by_who_what_which_and_when(audited):
    everything = audited.get("/audit", headers=ADMIN, params={"layer": "buildings"}).json()
    one = everything["lines"][-1]
    by_record = audited.get("/audit", headers=ADMIN,
                            params={"object": one["object_id"]}).json()["lines"]
    assert by_record and {line["object_id"] for line in by_record} == {one["object_id"]}
    by_actor = audited.get("/audit", headers=ADMIN, params={"actor": one["actor"]}).json()
    assert len(by_actor["lines"]) >= 4
    assert audited.get("/audit", headers=ADMIN,
                       params={"actor": "key:nobody"}).json()["lines"] == []
    deletes = audited.get("/audit", headers=ADMIN, params={"action": "delete"}).json()
    assert [line["action"] for line in deletes["lines"]] == ["delete"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert audited.get("/audit", headers=ADMIN, params={"since": future}).json()["lines"] == []
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert audited.get("/audit", headers=ADMIN, params={"until": past}).json()["lines"] == []
    bad = audited.get("/audit", headers=ADMIN, params={"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["field"] == "since"


def test_pages_follow_next_links_and_reading_is_on_record(audited):
    seen, url = [], "/audit?layer=buildings&limit=2"
    while url:
        body = audited.get(url, headers=ADMIN).json()
        seen += [line["id"] for line in body["lines"]]
        url = next((x["href"] for x in body["links"] if x["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 4
    reads = audited.get("/audit", headers=ADMIN, params={"action": "read-audit"}).json()
    # The newest reading on record is the last page read above (this one is logged after).
    assert reads["lines"][0]["detail"]["filters"] == {"layer": "buildings", "limit": "2"}
