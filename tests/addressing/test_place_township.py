"""A township typed by its short name with no county or city before it (issue 16): the
place before the street says which of the road's (or compound's) candidates is meant when
exactly one township of that name holds one; otherwise it decides nothing and says so.

The base and the typed addresses are hand-written (real township names, made-up roads),
from no corpus.
"""


import pytest

from tests.addressing.hand_base import imported, reached

BASE = [
    # one road name in three townships of three counties
    ["330114", "下沙街道", "", "东大街", "16号", "", "", "", "", ""],
    ["330106", "北山街道", "", "东大街", "16号", "", "", "", "", ""],
    ["330483", "梧桐街道", "", "东大街", "16号", "", "", "", "", ""],
    # two townships of one county
    ["330483", "濮院镇", "", "环城东路", "12号", "", "", "", "", ""],
    ["330483", "梧桐街道", "", "环城东路", "12号", "", "", "", "", ""],
    ["330481", "硖石街道", "", "", "", "振东花园", "3栋", "", "", ""],
    ["330483", "濮院镇", "", "", "", "振东花园", "3栋", "", "", ""],
    # 城西街道 of 婺城区 and of 义乌市 (both in 金华市) hold the road, and a third township
    ["330702", "城西街道", "", "梅岭路", "10号", "", "", "", "", ""],
    ["330782", "城西街道", "", "梅岭路", "10号", "", "", "", "", ""],
    ["330703", "多湖街道", "", "梅岭路", "10号", "", "", "", "", ""],
    ["330102", "九堡街道", "", "格林路", "3号", "", "", "", "", ""],
    ["330114", "白杨街道", "", "格林路", "3号", "", "", "", "", ""],
    # roads the base files in no township of their county
    ["330102", "九堡街道", "", "新塘路", "5号", "", "", "", "", ""],
    ["330114", "", "", "新塘路", "5号", "", "", "", "", ""],
    ["330702", "城西街道", "", "梅园路", "7号", "", "", "", "", ""],
    ["330782", "", "", "梅园路", "7号", "", "", "", "", ""],
    ["330703", "多湖街道", "", "梅园路", "7号", "", "", "", "", ""],
    # a compound whose name begins with a township's short name (江南镇 of 桐庐县)
    ["330122", "", "", "", "", "江南古镇花园", "3栋", "", "", ""],
    ["330106", "", "", "", "", "古镇花园", "3栋", "", "", ""],
    # one compound name in two counties of 温州市
    ["330302", "", "", "", "", "星河仓储基地", "33栋", "", "", ""],
    ["330304", "", "", "", "", "星河仓储基地", "33栋", "", "", ""],
    ["330302", "", "", "六虹桥路", "8号", "", "", "", "", ""],
    ["330304", "", "", "六虹桥路", "8号", "", "", "", "", ""],
    # a road of 前进街道, moved from 萧山区 to 钱塘区 in 2021
    ["330114", "前进街道", "", "三丰路", "98号", "", "", "", "", ""],
]


@pytest.fixture(scope="module")
def geocoder(tmp_path_factory):
    with imported(BASE, tmp_path_factory.mktemp("place_township")) as (_, report, geocoder):
        assert not report.problems, report.problems
        yield geocoder


def test_a_short_township_name_before_the_road_chooses_the_road_that_lies_there(geocoder):
    assert geocoder.geocode("东大街16号").status == "tie"  # the road alone: three fit
    r = geocoder.geocode("下沙东大街16号")
    assert (r.status, r.level) == ("matched", "door"), r.reason
    assert r.full_text == "浙江省杭州市钱塘区下沙街道东大街16号"
    assert "place 下沙 read as 下沙街道, where 东大街 lies" in r.reason
    # the place so read is the answer's township element, with the township's code
    assert [(e.value, e.span, e.code) for e in r.elements if e.level == "township"] == [
        ("下沙", (0, 2), "330114001000")]
    r = geocoder.geocode("濮院环城东路12号")  # two townships of one county
    assert (r.status, r.full_text) == ("matched", "浙江省嘉兴市桐乡市濮院镇环城东路12号")
    r = geocoder.geocode("九堡格林路3号")
    assert (r.status, r.full_text) == ("matched", "浙江省杭州市上城区九堡街道格林路3号")


def test_a_short_township_name_before_a_compound_chooses_it_too(geocoder):
    assert geocoder.geocode("振东花园3栋").status == "tie"  # in two counties
    r = geocoder.geocode("濮院振东花园3栋")
    assert (r.status, r.level) == ("matched", "building"), r.reason
    assert "濮院镇" in r.full_text and "place 濮院 read as 濮院镇" in r.reason


def test_a_place_that_names_no_township_holding_the_road_is_not_checked(geocoder):
    r = geocoder.geocode("下沙环城东路12号")  # 下沙街道 holds no 环城东路
    assert r.status == "tie" and len(r.candidates) == 2
    assert "place 下沙 before the street not checked" in r.reason
    r = geocoder.geocode("三墩东大街16号")  # a place that is no township at all
    assert r.status == "tie" and len(r.candidates) == 3
    assert "place 三墩 before the street not checked" in r.reason


def test_two_townships_of_the_name_holding_the_road_are_never_chosen_between(geocoder):
    r = geocoder.geocode("金华市城西梅岭路10号")
    assert r.status == "tie", r.reason
    # the township of another name is out; the two of the typed name stay, both named
    assert sorted(c.full_text for c in r.candidates) == [
        "浙江省金华市义乌市城西街道梅岭路10号", "浙江省金华市婺城区城西街道梅岭路10号"]
    assert "城西街道 (义乌市)" in r.reason and "城西街道 (婺城区)" in r.reason
    assert "not decided by the place" in r.reason


def test_a_road_the_base_files_in_no_township_of_the_places_county_may_lie_there(geocoder):
    # 钱塘区 has no 九堡: its 新塘路 does not fit the place
    r = geocoder.geocode("九堡新塘路5号")
    assert (r.status, r.full_text) == ("matched", "浙江省杭州市上城区九堡街道新塘路5号")
    # 钱塘区's 新塘路 may lie in its 下沙街道, but no 下沙 holds one for certain
    r = geocoder.geocode("下沙新塘路5号")
    assert r.status == "tie" and len(r.candidates) == 2, r.reason
    assert "place 下沙 before the street not checked" in r.reason
    # 义乌市's 梅园路 may lie in its 城西街道: the place does not choose 婺城区's over it
    r = geocoder.geocode("金华市城西梅园路7号")
    assert r.status == "tie" and len(r.candidates) == 2, r.reason
    assert "城西街道 (义乌市, where the base files it in no township)" in r.reason
    assert "多湖" not in " ".join(c.full_text for c in r.candidates)


def test_the_bases_compound_name_wins_over_a_township_name_it_begins_with(geocoder):
    # 江南 is the short name of 江南镇 (桐庐县, 杭州市), the only one in the city
    r = geocoder.geocode("杭州市江南古镇花园3栋")
    assert (r.status, r.full_text) == ("matched", "浙江省杭州市桐庐县江南古镇花园3栋"), r.reason
    assert ("compound", "江南古镇花园") in [(e.level, e.value) for e in r.elements]


def test_a_township_name_refused_in_the_city_is_split_from_the_road_the_base_holds(geocoder):
    r = geocoder.geocode("金华市城西梅岭路")
    assert [(e.level, e.value) for e in r.elements] == [("city", "金华市"), ("road", "梅岭路")]
    assert r.status == "tie" and len(r.candidates) == 2


def test_a_short_name_repeating_the_township_typed_is_no_second_township(geocoder):
    r = geocoder.geocode("下沙街道下沙东大街16号")
    assert r.full_text == "浙江省杭州市钱塘区下沙街道东大街16号", r.reason
    assert [e.value for e in r.elements if e.level == "township"] == ["下沙街道"]


def test_a_township_typed_after_other_text_and_moved_out_of_the_county_typed(geocoder):
    # 萧山区大江东前进街道: 大江东 (an industrial cluster's name, no area) keeps the chain from
    # reading the township; 前进街道 was moved from 萧山区 to 钱塘区, and the road lies there.
    status, level, full, reason = reached(geocoder, "浙江省杭州市萧山区大江东前进街道三丰路98号")
    assert (status, level) == ("matched", "door")
    assert full == "浙江省杭州市钱塘区前进街道三丰路98号"
    assert "now 前进街道 of 钱塘区" in reason and "place 前进街道" not in reason
    # a township of the name that was never in the county typed decides nothing
    assert reached(geocoder, "浙江省杭州市余杭区大江东前进街道三丰路98号")[0] != "matched"


def test_an_admin_chain_typed_again_mid_text_says_where_the_street_lies(geocoder):
    # 新桥街道 (of 瓯海区) typed first, then 温州鹿城 between the road and the compound: the
    # later, fuller chain says where the compound is (the same compound name is in both).
    status, level, full, reason = reached(geocoder, "新桥街道六虹桥路温州鹿城星河仓储基地33栋")
    assert (status, level, full) == ("matched", "building", "浙江省温州市鹿城区星河仓储基地33栋")
    assert "place 温州鹿城 read as 鹿城区, where no area typed before it lies" in reason
    # the city typed before holds it: the chain narrows the city to the county
    status, level, full, reason = reached(geocoder, "温州市六虹桥路温州鹿城星河仓储基地33栋")
    assert full == "浙江省温州市鹿城区星河仓储基地33栋"
    assert "place 温州鹿城 read as 鹿城区" in reason and "where no area" not in reason
    # a lone short name is a place's name as often as a county's: not read as one
    assert "read as 鹿城区" not in reached(geocoder, "新桥街道六虹桥路鹿城星河仓储基地33栋")[3]
    # a county typed before it wins over the chain typed later
    status, level, full, _ = reached(geocoder, "瓯海区六虹桥路温州鹿城星河仓储基地33栋")
    assert full == "浙江省温州市瓯海区星河仓储基地33栋"
