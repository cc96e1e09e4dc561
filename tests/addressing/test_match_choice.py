"""The matcher's choice among candidates (issue 16): a false answer becomes partial at the
level that is right, or a tie naming the candidates, never a guess; where the text decides,
it decides.

The base and the typed addresses are hand-written, in 南山区 (440305), from no corpus.
"""


import pytest

from tests.addressing.hand_base import imported

BASE = [
    # a compound held at one door of a road (building C座 behind it), and held alone with a
    # building numbered like a door
    ["440305", "蛇口街道", "", "望海路", "7号", "海湾广场", "C座", "", "12楼", ""],
    ["440305", "", "", "", "", "海湾广场", "31号", "C座", "18楼", ""],
    # zones that the base files at one door of a road, and the roads running through them
    ["440305", "西丽街道", "", "留仙大道", "880号", "留仙工业区", "", "", "", ""],
    ["440305", "西丽街道", "", "留仙大道", "12号", "", "", "", "", ""],
    ["440305", "西丽街道", "", "茶光路", "", "", "", "", "", ""],
    ["440305", "西丽街道", "", "", "", "松白工业园", "", "", "", ""],
    ["440305", "西丽街道", "", "打石一路", "40号", "", "", "8楼", "", ""],
    # a compound on a road at a door, and buildings of it kept straight under the road
    ["440305", "招商街道", "", "工业八路", "3号", "蓝湾大厦", "A座", "", "", "1701室"],
    ["440305", "招商街道", "", "工业八路", "", "蓝湾大厦", "A座", "", "29楼", ""],
]


@pytest.fixture(scope="module")
def geocoder(tmp_path_factory):
    with imported(BASE, tmp_path_factory.mktemp("choice")) as (_, report, geocoder):
        assert not report.problems, report.problems
        yield geocoder


def test_a_door_that_differs_is_never_gone_below_on_a_part_of_what_is_typed(geocoder):
    # 31号 is no door of 海湾广场 at 望海路; its C座 there has no 18楼: stopping at C座
    # would answer another building than the one typed.
    r = geocoder.geocode("南山区海湾广场31号C座18楼")
    assert (r.status, r.level) == ("matched", "floor"), r.reason
    assert r.full_text.endswith("海湾广场31号C座18楼")
    r = geocoder.geocode("南山区海湾广场55号C座18楼")
    assert r.status == "partial" and r.level in ("compound", "door"), (r.level, r.full_text)
    assert "C座" not in r.full_text and "55号" in r.reason
    # everything typed below found at the compound's own door confirms it
    r = geocoder.geocode("南山区望海路海湾广场9号C座12楼")
    assert (r.level, r.full_text) == ("floor", "广东省深圳市南山区蛇口街道望海路7号海湾广场C座12楼")
    assert "differs from 7号" in r.reason


def test_a_zone_typed_before_its_road_names_where_the_road_runs(geocoder):
    # the base files the zone at 880号: typed before the road with no door, it is no door
    r = geocoder.geocode("南山区留仙工业区留仙大道")
    assert (r.status, r.level) == ("matched", "road"), r.reason
    assert "留仙工业区 typed before 留仙大道" in r.reason
    # the door typed decides, the zone is not its name
    r = geocoder.geocode("南山区留仙工业区留仙大道12号")
    assert (r.status, r.level) == ("matched", "door") and r.full_text.endswith("留仙大道12号")
    # a zone held on no road: the road it is typed before is the answer, not a tie
    r = geocoder.geocode("南山区松白工业园茶光路")
    assert (r.status, r.level) == ("matched", "road") and r.full_text.endswith("茶光路")
    # typed after the road, the compound is the road's: its door is the answer
    r = geocoder.geocode("南山区留仙大道留仙工业区")
    assert (r.status, r.level) == ("matched", "door") and r.full_text.endswith("880号留仙工业区")
    # something typed between the place and the road: the place's own address follows
    r = geocoder.geocode("南山区留仙工业区8楼留仙大道880号")
    assert r.level != "road"


def test_a_compound_on_its_road_is_looked_for_at_its_door_and_straight_under_the_road(
        geocoder):
    r = geocoder.geocode("南山区工业八路蓝湾大厦A座29楼")
    assert (r.status, r.level) == ("matched", "floor"), r.reason
    assert r.full_text == "广东省深圳市南山区招商街道工业八路蓝湾大厦A座29楼"
    r = geocoder.geocode("南山区工业八路蓝湾大厦A座1701室")
    assert (r.status, r.level) == ("matched", "room") and "3号" in r.full_text
    # only the building typed: the base holds two of that name on the road, a tie
    r = geocoder.geocode("南山区工业八路蓝湾大厦A座")
    assert r.status == "tie" and len(r.candidates) == 2


def test_one_road_held_with_its_numbers_written_two_ways_is_one_place(tmp_path):
    rows = [["440305", "", "", "科技南十路", "", "", "", "", "", ""],
            ["440305", "", "", "科技南10路", "", "", "", "", "", ""],
            ["440305", "", "", "科技南路", "", "", "", "", "", ""]]
    with imported(rows, tmp_path) as (_, _, geocoder):
        for typed in ("科技南十路", "科技南10路"):
            r = geocoder.geocode(f"南山区{typed}")
            assert (r.status, r.level) == ("matched", "road"), r.reason
            assert r.full_text.endswith(typed) and "numbers written two ways" in r.reason
