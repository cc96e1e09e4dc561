import pytest

from twin.divisions import Level, level_of, load_divisions, normalize_code, parent_of
from twin.errors import InvalidInput, NotFound


def test_table_covers_the_country_to_township_and_shenzhen_to_community():
    table = load_divisions()
    levels = dict.fromkeys(Level, 0)
    for d in table:
        levels[d.level] += 1
    assert levels[Level.province] == 31
    assert levels[Level.county] > 2_800
    assert levels[Level.township] > 40_000
    assert all(d.code.startswith("4403") for d in table if d.level is Level.village)
    assert len(table.children("440305")) == 9  # eight 街道 and 前海合作区


def test_chain_and_parents_follow_the_code():
    chain = load_divisions().chain("440305007")
    assert [d.name for d in chain] == ["广东省", "深圳市", "南山区", "粤海街道"]
    assert parent_of("440305007000") == "440305000000"
    assert parent_of("440000000000") is None
    assert level_of("440305") is Level.county


def test_duplicate_county_names_are_all_kept():
    nanshan = {d.code for d in load_divisions().by_name["南山区"]}
    assert nanshan == {"440305000000", "230404000000"}


@pytest.mark.parametrize("bad", ["4403051", "44a305", "", "4403050070001"])
def test_malformed_codes_are_refused(bad):
    with pytest.raises(InvalidInput):
        normalize_code(bad)


def test_unknown_code_is_not_found():
    with pytest.raises(NotFound):
        load_divisions().get("449999")
