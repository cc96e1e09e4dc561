"""Numbers typed glued together or in odd forms (issue 16), read by what the base holds:
a door's digits run into the building's or room's (桂湾路342八楼, 星河苑93135), a phase
before a building, dash forms after a road, and 第 both ending a name and as an ordinal;
on both stores.

The examples are hand-written, in 南山区 (440305), not taken from any corpus.
"""

import pytest

from addressing.lexicon import NameLexicon
from addressing.normalize import normalize
from addressing.parse import parse
from tests.addressing.hand_base import imported
from tests.stores import STORES

BASE = [
    # a road's door holding a building, its floor and room; a door holding a floor
    ["440305", "", "", "桂湾路", "34", "", "2", "", "八楼", "1065"],
    ["440305", "", "", "海德大道", "8931", "", "", "", "二楼", ""],
    # a compound whose name ends in 第, numbering its buildings with 第
    ["440305", "", "", "", "", "状元门第", "第10栋", "7单元", "", "1045"],
]


@pytest.fixture(scope="module", params=STORES)
def geocoder(request, tmp_path_factory):
    """The base above imported once per store kind, and a geocoder over it."""
    with imported(BASE, tmp_path_factory.mktemp(request.param), request.param) as (_, report,
                                                                                geocoder):
        assert not report.problems, report.problems
        yield geocoder


def _reached(geocoder, text):
    r = geocoder.geocode(text)
    return r.status, r.level, r.full_text or "", r.reason


def _levels(text, *names):
    streets: NameLexicon[str] = NameLexicon()
    for name in names:
        streets.add(name, "compound")
    return [(e.level, e.value) for e in parse(text, streets=streets).elements
            if e.level in ("compound", "door", "building", "unit", "floor", "room")]


def test_a_numeral_floor_after_digits_is_not_glued_to_them(geocoder):
    assert normalize("桂湾路342八楼1065").text == "桂湾路342 8楼1065"
    assert normalize("海德大道8931二楼").text == "海德大道8931 2楼"
    assert normalize("3栋二单元").text == "3栋2单元"  # after a word, as before
    status, level, full, reason = _reached(geocoder, "南山区海德大道8931二楼")
    assert (status, level) == ("matched", "floor") and full.endswith("8931二楼"), reason


def test_di_ending_a_name_before_an_ordinal_stays_with_the_name(geocoder):
    assert normalize("状元门第第十栋").text == "状元门第第10栋"
    assert normalize("第十五号").text == "15号"
    for names in ((), ("状元门第",)):
        assert _levels("状元门第第10栋7单元1045", *names)[:2] == [
            ("compound", "状元门第"), ("building", "10栋")]
    status, level, full, reason = _reached(geocoder, "南山区状元门第第10栋7单元1045")
    assert (status, level) == ("matched", "room") and "typo" not in reason, reason
