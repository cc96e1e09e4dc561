"""Numbers typed glued together or in odd forms (issue 16), read by what the base holds:
a door's digits run into the building's or room's (桂湾路342八楼, 星河苑93135), a phase
before a building, dash forms after a road, and 第 both ending a name and as an ordinal;
on both stores.

The examples are hand-written, in 南山区 (440305), not taken from any corpus.
"""


from addressing.normalize import normalize
from addressing.parse import parse
from tests.addressing.hand_base import base_geocoder, reached, street_levels

BASE = [
    # a road's door holding a building, its floor and room; a door holding a floor
    ["440305", "", "", "桂湾路", "34", "", "2", "", "八楼", "1065"],
    ["440305", "", "", "海德大道", "8931", "", "", "", "二楼", ""],
    # a compound whose name ends in 第, numbering its buildings with 第
    ["440305", "", "", "", "", "状元门第", "第10栋", "7单元", "", "1045"],
    # a road's door holding a building; a compound's buildings and rooms, at a door or not
    ["440305", "", "", "运粮路", "700", "", "102号", "", "", ""],
    ["440305", "", "", "东滨路", "971号", "华景公寓", "13", "", "", "2950室"],
    ["440305", "", "", "", "", "电商产业园", "83", "", "", "2155室"],
    ["440305", "", "", "芙蓉南路", "", "星河苑", "93", "", "", "135"],
    # two cuts of 12305 fit here: building 1, room 2305 and building 12, room 305
    ["440305", "", "", "", "", "双拼花园", "1", "", "", "2305"],
    ["440305", "", "", "", "", "双拼花园", "12", "", "", "305"],
    # a short run (345) is cut only where what follows is there too
    ["440305", "", "", "枫林路", "34", "", "5", "", "", ""],
    # a phase typed before a building the base holds without it; a base that also holds a
    # place named 1期 elsewhere
    ["440305", "", "", "", "", "龙华堂", "101栋", "7", "", "1161"],
    ["440305", "", "", "", "", "1期", "98", "", "", ""],
    # dash forms after a road: a door and its sub-door both held; a door, unit and room; a
    # door written with an underscore; a road with doors that keeps a compound's buildings
    # straight under it; a road that keeps a compound's buildings, units and rooms so
    ["440305", "", "", "纽约路", "57", "", "", "", "", ""],
    ["440305", "", "", "纽约路", "57-1", "", "", "", "", ""],
    ["440305", "", "", "西岭路", "1248", "", "", "12", "", "12"],
    ["440305", "", "", "大义路", "72_4", "", "", "", "", ""],
    ["440305", "", "", "建安路", "5号", "", "", "", "", ""],
    ["440305", "", "", "建安路", "", "霞飞苑", "8", "", "", "341"],
    ["440305", "", "", "文苑路", "", "同心苑", "7", "7", "", "1633"],
    # a compound that numbers its buildings with 号 and holds units in them
    ["440305", "", "", "", "", "南山招商城", "48号", "3", "", "296室"],
]


geocoder = base_geocoder(BASE)


def _levels(text, *names):
    return street_levels(text, names, ("compound", "door", "building", "unit", "floor", "room"))


def test_a_numeral_floor_after_digits_is_not_glued_to_them(geocoder):
    assert normalize("桂湾路342八楼1065").text == "桂湾路342 8楼1065"
    assert normalize("海德大道8931二楼").text == "海德大道8931 2楼"
    assert normalize("3栋二单元").text == "3栋2单元"  # after a word, as before
    status, level, full, reason = reached(geocoder, "南山区海德大道8931二楼")
    assert (status, level) == ("matched", "floor") and full.endswith("8931二楼"), reason


def test_di_ending_a_name_before_an_ordinal_stays_with_the_name(geocoder):
    assert normalize("状元门第第十栋").text == "状元门第第10栋"
    assert normalize("第十五号").text == "15号"
    for names in ((), ("状元门第",)):
        assert _levels("状元门第第10栋7单元1045", *names)[:2] == [
            ("compound", "状元门第"), ("building", "10栋")]
    status, level, full, reason = reached(geocoder, "南山区状元门第第10栋7单元1045")
    assert (status, level) == ("matched", "room") and "typo" not in reason, reason


def test_a_run_of_digits_is_cut_where_the_base_holds_both_parts(geocoder):
    status, level, full, reason = reached(geocoder, "南山区桂湾路342八楼1065")
    assert (status, level) == ("matched", "room") and full.endswith("1065"), reason
    assert "door 34, building 2" in reason
    status, level, full, reason = reached(geocoder, "南山区运粮路700102号")
    assert (status, level) == ("matched", "building") and "door 700" in reason, reason
    status, level, full, reason = reached(geocoder, "南山区东滨路971号华景公寓132950室")
    assert (status, level) == ("matched", "room") and "building 13, room 2950室" in reason, (
        reason)
    status, level, full, reason = reached(geocoder, "南山区电商产业园832155室")
    assert (status, level) == ("matched", "room") and full.endswith("83-2155室"), reason
    # a compound the road keeps its buildings for, with no door: read below the road
    status, level, full, reason = reached(geocoder, "南山区芙蓉南路星河苑93135")
    assert (status, level) == ("matched", "room") and "building 93, room 135" in reason, reason
    status, level, full, reason = reached(geocoder, "南山区芙蓉南路星河苑93幢135室")
    assert (status, level) == ("matched", "room"), reason
    # a door typed where the base keeps the compound on the road without one: said
    status, level, full, reason = reached(geocoder, "南山区芙蓉南路1298号星河苑93幢135室")
    assert (status, level) == ("matched", "room") and "not understood" not in reason, reason
    assert "door 1298号 not checked" in reason


def test_a_run_two_cuts_would_read_is_not_cut_and_that_is_said(geocoder):
    status, level, _, reason = reached(geocoder, "南山区双拼花园12305")
    assert (status, level) == ("partial", "compound"), reason
    assert "12305 may be read 1 2305 or 12 305" in reason and "not split" in reason


def test_a_short_run_is_not_cut_on_its_own(geocoder):
    status, level, _, reason = reached(geocoder, "南山区枫林路345")
    assert (status, level) == ("partial", "road"), reason


def test_a_phase_before_a_building_is_the_compounds_not_a_place(geocoder):
    assert _levels("龙华堂1期101栋71161", "龙华堂", "1期")[:2] == [
        ("compound", "龙华堂"), ("building", "1期101栋")]
    status, level, full, reason = reached(geocoder, "南山区龙华堂1期101栋7单元1161")
    assert (status, level) == ("matched", "room") and full.endswith("101栋7-1161"), reason
    assert "1期 not checked" in reason and "not understood" not in reason
    # a unit is never the head of a run (71161 is no unit 7, room 1161): the building stands
    status, level, _, reason = reached(geocoder, "南山区龙华堂1期101栋71161")
    assert (status, level) == ("partial", "building") and "not understood" not in reason


def test_dash_forms_after_a_road_begin_with_its_door(geocoder):
    assert _levels("纽约路57-1") == [("door", "57-1")]
    assert parse("纽约路57-1").get("door").key == parse("纽约路57-1号").get("door").key
    assert _levels("纽约路344-110室") == [("door", "344"), ("room", "110")]
    assert normalize("大义路72_4").text == "大义路72-4"
    # before a number with its own level word, a separator: a door, then its building
    assert normalize("春华路1924_2幢").text == "春华路1924 2栋"
    assert normalize("11一8一646").text == "11-8-646"
    assert normalize("8--33").text == "8-33"
    # a bare 57-1 is the door 57-1, as 57-1号 is, where the road holds 57 and 57-1
    for text in ("南山区纽约路57-1", "南山区纽约路57-1号"):
        status, level, full, reason = reached(geocoder, text)
        assert (status, level) == ("matched", "door") and full.endswith("57-1"), (text, reason)
    # 1248-12-12 reads as building, unit, room (3-1-1201); where the road numbers its
    # doors so, the first is its door
    status, level, _, reason = reached(geocoder, "南山区西岭路1248-12-12")
    assert (status, level) == ("matched", "room") and "read as the door 1248" in reason, reason
    status, level, full, reason = reached(geocoder, "南山区大义路72_4")
    assert (status, level) == ("matched", "door") and full.endswith("72_4"), reason


def test_a_dash_chain_after_a_road_reaches_buildings_it_keeps_without_a_door(geocoder):
    status, level, full, reason = reached(geocoder, "南山区建安路8-341")
    assert (status, level) == ("matched", "room") and full.endswith("8-341"), reason
    status, level, full, reason = reached(geocoder, "南山区文苑路7-7-1633")
    assert (status, level) == ("matched", "room") and full.endswith("7-7-1633"), reason


def test_a_door_typed_where_the_compound_numbers_buildings_is_the_building(geocoder):
    # 48号 then 3-296室: building 48号, unit 3, room 296 where the base holds them so
    status, level, full, reason = reached(geocoder, "南山区南山招商城48号3-296室")
    assert (status, level) == ("matched", "room") and full.endswith("48号3-296室"), reason
    assert "3 as its unit" in reason
    # no such unit there: no guess
    status, level, _, reason = reached(geocoder, "南山区南山招商城48号5-296室")
    assert status == "partial", reason
