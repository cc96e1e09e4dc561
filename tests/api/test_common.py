from sqlalchemy import func, select

from twin.layers import LAYERS

OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def test_landing_page_links_everything(client):
    body = client.get("/").json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels


def test_collections_list_every_layer_with_real_counts(client, sample_engine):
    body = client.get("/collections").json()
    listed = {c["id"]: c for c in body["collections"]}
    assert set(listed) == set(LAYERS)
    with sample_engine.connect() as conn:
        for name, layer in LAYERS.items():
            expected = conn.execute(select(func.count()).select_from(layer.table)).scalar()
            assert listed[name]["numberOfFeatures"] == expected, name
    extent = listed["buildings"]["extent"]["spatial"]["bbox"][0]
    assert 113.8 < extent[0] < extent[2] < 114.1 and 22.4 < extent[1] < extent[3] < 22.7


def test_unknown_collection_is_problem_json_404(client):
    response = client.get("/collections/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "layers are" in response.json()["detail"]


def test_openapi_is_served_with_the_ogc_media_type(client):
    response = client.get("/api")
    assert response.headers["content-type"] == OPENAPI
    assert response.json()["openapi"].startswith("3.")


def test_openapi_is_valid_and_says_bad_input_is_a_400_problem(client):
    from openapi_spec_validator import validate

    document = client.get("/api").json()
    validate(document)
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert not [op for op in operations if "422" in op["responses"]]
    items = document["paths"]["/collections/buildings/items"]["get"]["responses"]
    assert "application/problem+json" in items["400"]["content"]


def test_html_by_f_and_by_accept(client):
    assert client.get("/collections?f=html").headers["content-type"].startswith("text/html")
    page = client.get("/collections", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "buildings" in page.text


def test_links_follow_the_proxy(client):
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "twin.example.cn",
        "X-Forwarded-Prefix": "/gis",
    }
    body = client.get("/", headers=headers).json()
    assert all(link["href"].startswith("https://twin.example.cn/gis/") for link in body["links"])


def test_bad_format_is_400_naming_the_parameter(client):
    response = client.get("/collections?f=xml")
    assert response.status_code == 400
    assert response.json()["field"] == "f"


def test_health_reports_the_store(client):
    assert client.get("/health").json()["status"] == "ok"
