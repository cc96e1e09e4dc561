"""Every fact about a layer lives on its Layer, and the code's users read it there."""

from __future__ import annotations

from twin.codes.schemes import all_schemes
from twin.layers import LAYERS, Level, code_layers, layers_coded_by, layers_of_object_type


def test_editable_layers_name_their_scheme_and_object_type():
    editable = {name for name, layer in LAYERS.items() if layer.editable}
    assert editable == {"buildings", "houses", "addresses", "city_objects", "organizations"}
    for name in editable:
        layer = LAYERS[name]
        assert layer.scheme in (*all_schemes(), "uscc"), name


def test_retire_create_and_placement_facts():
    buildings = LAYERS["buildings"]
    assert buildings.retired_status == "demolished" and buildings.is_gone("demolished")
    assert LAYERS["addresses"].retired_status == "retired"
    assert buildings.issued_on_create and not LAYERS["houses"].issued_on_create
    # 落图 for every object: each layer of 一标三实 and the city objects is placed.
    assert {n for n, layer in LAYERS.items() if layer.placed} == {
        "buildings", "city_objects", "addresses", "houses", "people", "organizations"}
    for name in ("houses", "people", "organizations", "addresses", "city_objects"):
        extra = ("beidou_code_3d",) if name == "houses" else ()  # a house's storey in 3D
        assert LAYERS[name].place_columns == (
            "township_code", "community_code", "grid_code", *extra)
        assert LAYERS[name].column_class("grid_code") == "place"
    assert LAYERS["houses"].column_class("beidou_code_3d") == "place"
    assert LAYERS["admin_areas"].column_class("has_boundary") == "system"
    assert "has_boundary" not in {c.name for c in LAYERS["admin_areas"].importable_columns()}
    assert buildings.place_columns == ("township_code", "community_code", "grid_code",
                                       "beidou_code")
    assert buildings.column_class("beidou_code") == "place"
    assert LAYERS["people"].column_class("name") == "sensitive"
    assert LAYERS["people"].column_class("id_hash") == "hidden"


def test_the_registry_and_code_lookup_read_the_layers():
    assert [layer.name for layer in layers_coded_by("building", "building")] == [
        "buildings", "houses"]
    assert [layer.name for layer in layers_of_object_type("house")] == ["houses"]
    ranked = [layer.name for layer in code_layers()]
    assert ranked[:3] == ["buildings", "houses", "addresses"] and "people" in ranked
    # every scheme that codes a layer is one the twin can read
    for layer in LAYERS.values():
        if layer.scheme not in (None, "uscc", "division"):
            assert layer.scheme in all_schemes()


def test_tile_limits_are_layer_facts():
    from tiles.rules import tile_layers

    buildings = LAYERS["buildings"].tiles
    assert (buildings.min_zoom, buildings.max_zoom) == (12, 22)
    assert buildings.attributes_at(14) == () and "height" in buildings.attributes_at(15)
    assert not buildings.shows(11) and buildings.shows(12)
    assert LAYERS["people"].tiles.min_zoom == 17
    assert LAYERS["people"] not in tile_layers(Level.public)
