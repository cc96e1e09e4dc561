"""Admin areas say whether they have a boundary, in the API and in an export (issue 14):
most of the country's divisions come without one, and a client must tell them apart."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from twin.layers import LAYERS
from twin.transfer import export_layer

from .conftest import everything


def test_features_flag_the_areas_without_a_boundary(client):
    bounded = everything(client, "admin_areas", has_boundary="true")
    assert len(bounded) > 100  # the sample county, its townships and communities
    assert all(f["properties"]["has_boundary"] is True and f["geometry"] for f in bounded)
    page = client.get("/collections/admin_areas/items",
                      params={"has_boundary": "false", "limit": 50}).json()
    assert page["numberMatched"] > 40_000
    assert all(f["properties"]["has_boundary"] is False and f["geometry"] is None
               for f in page["features"])
    queryables = client.get("/collections/admin_areas/queryables").json()["properties"]
    assert "has_boundary" in queryables
    cql = client.get("/collections/admin_areas/items", params={
        "filter": "has_boundary = true AND level = 'township'", "limit": 50}).json()
    assert cql["numberMatched"] == 9


def test_an_export_carries_the_flag(sample_engine, tmp_path):
    gpkg, csv = tmp_path / "areas.gpkg", tmp_path / "areas.csv"
    rows = export_layer(sample_engine, LAYERS["admin_areas"], gpkg)
    frame = gpd.read_file(gpkg)
    assert len(frame) == rows and "has_boundary" in frame
    assert (frame.has_boundary.astype(bool) == frame.geometry.notna()).all()
    assert frame.has_boundary.astype(bool).sum() > 100
    export_layer(sample_engine, LAYERS["admin_areas"], csv)
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert set(table.has_boundary) == {"True", "False"}
    assert (table.has_boundary == "True").sum() == frame.has_boundary.astype(bool).sum()
