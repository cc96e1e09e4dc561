import pytest

from api import create_app
from tests.conftest import settings_for


def a_room(rows):
    return next(r for r in rows if r["level"] == "room" and r["unit"])


def test_get_geocode(client, sample_rows):
    row = a_room(sample_rows)
    messy = row["full_text"].replace("广东省深圳市", "深圳").replace("单元", "单元 ") + " 附近"
    response = client.get("/geocode", params={"q": messy})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["code"], body["level"]) == ("matched", row["code"], "room")
    assert body["full_text"] == row["full_text"]
    assert body["crs"] == "CGCS2000"
    assert body["lon"] == pytest.approx(row["lon"]) and body["lat"] == pytest.approx(row["lat"])
    room = next(e for e in body["elements"] if e["level"] == "room")
    assert messy[room["start"]:room["end"]] == row["room"]
    assert body["admin"][-1]["code"] == row["community_code"]


def test_get_geocode_in_gcj02(client, sample_rows):
    row = a_room(sample_rows)
    body = client.get("/geocode", params={"q": row["full_text"], "crs": "GCJ-02"}).json()
    assert body["crs"] == "GCJ-02"
    assert body["lon"] != pytest.approx(row["lon"], abs=1e-4)


def test_geocode_errors_are_problems(client):
    response = client.get("/geocode", params={"q": "科苑路", "crs": "EPSG:9999"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "crs"
    missing = client.get("/geocode")
    assert missing.status_code == 400 and missing.json()["field"] == "q"
    assert "Field required" in missing.json()["detail"]


def test_post_geocode_keeps_order(client, sample_rows):
    rooms = [r for r in sample_rows if r["level"] == "room"][:5]
    queries = [r["full_text"] for r in rooms] + ["", 42, "朝阳区"]
    response = client.post("/geocode", json=queries)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["code"] for r in results[:5]] == [r["code"] for r in rooms]
    assert [r["status"] for r in results[5:]] == ["unmatched", "unmatched", "tie"]


def test_post_geocode_limit(sample_engine):
    settings = settings_for(sample_engine)
    settings.api.max_geocode_batch = 3
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings)) as small:
        response = small.post("/geocode", json=["科苑路"] * 4)
        assert response.status_code == 413
        assert "limit is 3" in response.json()["detail"]
        assert small.post("/geocode", json=["科苑路"] * 3).status_code == 200


def test_reverse(client, sample_rows):
    door = next(r for r in sample_rows if r["level"] == "building")
    response = client.get("/reverse", params={"lon": door["lon"], "lat": door["lat"] + 0.0001})
    assert response.status_code == 200, response.text
    found = response.json()["addresses"][0]
    assert found["level"] in ("door", "building")
    assert 0 < found["distance_m"] < 15
    assert [a["level"] for a in found["admin"]][:3] == ["province", "city", "county"]
    many = client.get("/reverse", params={"lon": door["lon"], "lat": door["lat"], "limit": 5,
                                          "radius": 3000})
    distances = [a["distance_m"] for a in many.json()["addresses"]]
    assert distances == sorted(distances) and len(distances) == 5


def test_reverse_far_away_and_bad_input(client):
    body = client.get("/reverse", params={"lon": 100.0, "lat": 30.0}).json()
    assert body["addresses"] == [] and body["status"] == "none within radius"
    bad = client.get("/reverse", params={"lon": 500, "lat": 22.5})
    assert bad.status_code == 400 and bad.json()["field"] == "lon"


def test_reverse_from_gcj02_lands_on_the_same_address(client, sample_rows):
    from twin.crs import to_display as from_cgcs2000

    b = next(r for r in sample_rows if r["level"] == "building")
    lon, lat = from_cgcs2000(b["lon"], b["lat"], "GCJ-02")
    body = client.get("/reverse", params={"lon": lon, "lat": lat, "crs": "GCJ-02"}).json()
    assert body["addresses"][0]["distance_m"] < 0.5


def test_address_by_code(client, sample_rows):
    row = a_room(sample_rows)
    body = client.get(f"/addresses/{row['code']}").json()
    assert body["full_text"] == row["full_text"]
    assert body["lon"] == pytest.approx(row["lon"])
    assert body["admin"][-1]["code"] == row["community_code"]
    parent = client.get(f"/addresses/{row['parent_code']}").json()
    assert row["code"] in {c["code"] for c in parent["children"]}
    missing = client.get("/addresses/NO-SUCH-CODE")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_openapi_documents_the_routes(client):
    paths = client.get("/api").json()["paths"]
    assert {"/geocode", "/reverse", "/addresses/{code}"} <= set(paths)
    assert "TWIN_MAX_GEOCODE_BATCH" in str(paths["/geocode"]["post"])
