"""People are masked without the sensitive scope, hidden fields never leave, reads audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from twin.features.masking import mask_value, masker
from twin.layers import LAYERS, Level
from twin.models import AuditEntry

from .conftest import SENSITIVE, WRITER


def first_people(client, headers=None, **params):
    response = client.get("/collections/people/items", params={"limit": 20, **params},
                          headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["features"]


def test_anonymous_sees_masked_people_and_never_the_hash(client):
    for feature in first_people(client):
        props = feature["properties"]
        assert "id_hash" not in props
        assert re.fullmatch(r".\*+", props["name"]), props["name"]
        assert props["phone"] is None or re.fullmatch(r"\d{3}\*+\d{4}", props["phone"])
        assert props["birth_year"] is None
        assert "*" in props["id_masked"]


def test_writer_without_sensitive_scope_is_masked_too(client):
    assert all("*" in f["properties"]["name"] for f in first_people(client, WRITER))


def test_sensitive_scope_sees_names_and_is_audited(edit_client):
    # Reads write the audit log, so this runs on the private store, not the shared one.
    audit = AuditEntry.__table__
    with edit_client.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(audit).where(
            audit.c.action == "read-sensitive")).scalar()
    masked = first_people(edit_client)
    clear = first_people(edit_client, SENSITIVE)
    assert [f["id"] for f in masked] == [f["id"] for f in clear]
    for m, c in zip(masked, clear, strict=True):
        assert "*" not in c["properties"]["name"]
        assert c["properties"]["name"][0] == m["properties"]["name"][0]
        assert c["properties"]["birth_year"] is not None
        assert "id_hash" not in c["properties"]
    item = edit_client.get(f"/collections/people/items/{clear[0]['id']}", headers=SENSITIVE)
    assert item.json()["properties"]["name"] == clear[0]["properties"]["name"]
    with edit_client.engine.connect() as conn:
        rows = conn.execute(select(audit).where(audit.c.action == "read-sensitive")
                            .order_by(audit.c.id)).all()
    assert len(rows) == before + 2
    assert rows[-1].object_id == clear[0]["id"] and rows[-1].actor.startswith("key:")
    assert "sensitive-key" not in str([tuple(r) for r in rows])  # never the key itself


def test_sensitive_fields_cannot_be_probed_by_filter_or_sort(edit_client):
    client = edit_client
    name = first_people(edit_client, SENSITIVE)[0]["properties"]["name"]
    by_param = client.get("/collections/people/items", params={"name": name})
    assert by_param.status_code == 401  # a key with the sensitive scope would do
    by_filter = client.get("/collections/people/items", params={"filter": "birth_year > 1990"})
    assert by_filter.status_code == 400 and "birth_year" in by_filter.json()["detail"]
    by_sort = client.get("/collections/people/items", params={"sortby": "phone"})
    assert by_sort.status_code == 400
    allowed = client.get("/collections/people/items", params={"name": name}, headers=SENSITIVE)
    assert allowed.status_code == 200 and allowed.json()["numberMatched"] >= 1
    hidden = client.get("/collections/people/items", params={"filter": "id_hash = 'x'"},
                        headers=SENSITIVE)
    assert hidden.status_code == 400


def test_queryables_hide_sensitive_fields_without_the_scope(client):
    anonymous = client.get("/collections/people/queryables").json()["properties"]  # no audit
    allowed = client.get("/collections/people/queryables", headers=SENSITIVE).json()["properties"]
    assert "name" not in anonymous and "phone" not in anonymous and "id_hash" not in anonymous
    assert {"name", "phone", "birth_year"} <= set(allowed) and "id_hash" not in allowed


@pytest.mark.parametrize(("field", "value", "masked"), [
    ("name", "张三丰", "张**"), ("phone", "13812345678", "138****5678"),
    ("note", "4403", "****"), ("birth_year", 1990, None), ("name", None, None),
])
def test_each_sensitive_value_has_one_masked_form(field, value, masked):
    assert mask_value(field, value) == masked


def test_the_masker_leaves_what_a_page_did_not_select():
    people = LAYERS["people"]
    assert masker(people, clearance=Level.sensitive) is None
    assert masker(LAYERS["roads"], clearance=Level.public) is None  # nothing sensitive
    mask = masker(people, clearance=Level.public)
    assert mask({"code": "P1", "name": "李四"}) == {"code": "P1", "name": "李*"}
