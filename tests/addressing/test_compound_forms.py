"""Compounds the grammar reads as something else (issue 16): a compound named like a lane
(its name ends in 巷), typed without a door, and a compound the base keeps straight under
its road, typed after the road and a door the road does not hold; on both stores.

The base and the typed addresses are hand-written, in 南山区 (440305), from no corpus.
"""



from addressing.lexicon import NameLexicon
from addressing.parse import parse
from tests.addressing.hand_base import base_geocoder, imported

BASE = [
    # a lane and an estate of the same name: the lane has doors, the estate buildings
    ["440305", "", "", "青桐巷", "8号", "", "", "", "", ""],
    ["440305", "", "", "", "", "青桐巷", "31幢", "2单元", "", "604"],
    # a lane with no estate of its name: buildings typed on it stay unfound
    ["440305", "", "", "柳荫巷", "5号", "", "", "", "", ""],
    # estates the base keeps straight under their road (no door of their own)
    ["440305", "", "", "湾厦路", "", "海悦花园", "27幢", "", "", "1503室"],
    ["440305", "", "", "湾厦路", "", "海悦花园", "9号", "", "", ""],
    ["440305", "", "", "湾厦路", "16号", "", "", "", "", ""],
    ["440305", "", "", "登良路", "", "金桂苑", "44号", "", "", ""],
    # estates typed after a road: one filed on no road, one kept straight under the road
    # and held alone as well, one held at a door of another road
    ["440305", "", "", "科苑路", "", "", "", "", "", ""],
    ["440305", "", "", "", "", "翠湖苑", "3幢", "", "", ""],
    ["440305", "", "", "登良路", "", "星河苑", "", "", "", "1204室"],
    ["440305", "", "", "", "", "星河苑", "6幢", "", "", ""],
    ["440305", "", "", "南光路", "", "", "", "", "", ""],
    ["440305", "", "", "创业路", "21号", "荔香苑", "", "", "", ""],
    # a place whose doors are numbered with and without 号
    ["440305", "蛇口街道", "", "", "98", "李家塘", "", "", "", ""],
    ["440305", "蛇口街道", "", "", "1028号", "李家塘", "", "", "", ""],
    ["440305", "蛇口街道", "", "", "55号", "李家塘", "", "", "", ""],
    # a college, and the college town it lies in
    ["440305", "", "", "", "", "深圳学院", "", "", "", ""],
    ["440305", "桃源街道", "", "", "", "学院城", "", "", "", ""],
    # a place with a door of its own and buildings numbered with 号 straight under it
    ["440305", "", "", "", "178号", "斗南新区", "", "", "", ""],
    ["440305", "", "", "", "", "斗南新区", "613号", "", "", ""],
    # a building named by a letter, its rooms by numbers
    ["440305", "", "", "东部路", "143号", "东部软件园", "A", "", "", "832"],
    # a place the base holds by a kind's word alone
    ["440305", "", "", "", "", "幼儿园", "", "", "", ""],
]


geocoder = base_geocoder(BASE)


def test_a_compound_named_like_a_lane_is_read_as_the_compound_below_it(geocoder):
    r = geocoder.geocode("南山区青桐巷31幢2单元604")
    assert (r.status, r.level) == ("matched", "room"), r.reason
    assert r.full_text == "广东省深圳市南山区青桐巷31幢2单元604"
    assert "青桐巷 read as the compound" in r.reason
    assert [e.level for e in r.elements if e.value == "青桐巷"] == ["compound"]
    # a door typed: the lane's door, as before
    r = geocoder.geocode("南山区青桐巷8号")
    assert (r.status, r.level) == ("matched", "door") and r.full_text.endswith("青桐巷8号")
    # a building the estate does not hold: no answer below the lane is made up
    r = geocoder.geocode("南山区青桐巷77幢2单元604")
    assert r.status == "partial" and "77" not in (r.full_text or "")
    # no estate of the lane's name: the lane, said to stop there
    r = geocoder.geocode("南山区柳荫巷3幢1单元201")
    assert (r.status, r.level) == ("partial", "road"), r.reason


def test_a_compound_kept_under_its_road_is_found_by_its_buildings(geocoder):
    # the road holds no door 1298号; the estate's building 27幢 is under the road
    r = geocoder.geocode("南山区湾厦路1298号海悦花园27幢1503室")
    assert (r.status, r.level) == ("matched", "room"), r.reason
    assert r.full_text == "广东省深圳市南山区湾厦路海悦花园27幢1503室"
    assert "door 1298号 not checked" in r.reason
    # the number typed as a door is the estate's building numbered so
    r = geocoder.geocode("南山区登良路金桂苑44号")
    assert (r.status, r.level) == ("matched", "building"), r.reason
    assert r.full_text == "广东省深圳市南山区登良路金桂苑44号"
    assert "44号 read as a building of 金桂苑" in r.reason
    # the road holds the door typed: the door, not the estate's building
    r = geocoder.geocode("南山区湾厦路16号海悦花园")
    assert (r.level, r.full_text) == ("door", "广东省深圳市南山区湾厦路16号")
    # a building the estate does not hold: not found, never another one
    r = geocoder.geocode("南山区湾厦路1298号海悦花园28幢1503室")
    assert r.status == "partial" and r.level == "road", (r.level, r.full_text)
    # another estate's name: its buildings are not this one's
    r = geocoder.geocode("南山区湾厦路金桂苑9号")
    assert r.level == "road", (r.level, r.full_text)
    # a place with a door of its own: a number it holds as a building is the building
    r = geocoder.geocode("南山区斗南新区613号")
    assert (r.status, r.level) == ("matched", "building"), r.reason
    r = geocoder.geocode("南山区斗南新区178号")
    assert (r.status, r.level) == ("matched", "door"), r.reason


def test_a_compound_typed_after_a_road_is_the_answer_where_the_road_does_not_contradict_it(
        geocoder):
    # filed on no road: the typed road says nothing against it, and it is finer
    r = geocoder.geocode("南山区科苑路翠湖苑")
    assert (r.status, r.level) == ("matched", "compound"), r.reason
    assert r.full_text == "广东省深圳市南山区翠湖苑"
    assert "the base files 翠湖苑 on no road" in r.reason
    # kept straight under the typed road: the road is where both names meet
    r = geocoder.geocode("南山区登良路星河苑")
    assert (r.level, r.full_text) == ("road", "广东省深圳市南山区登良路"), r.reason
    assert "keeps 星河苑 straight under 登良路" in r.reason
    # held at a door of another road: a tie, whose reason names both
    r = geocoder.geocode("南山区南光路荔香苑")
    assert r.status == "tie", r.reason
    assert "荔香苑 is not on 南光路" in r.reason
    assert "南山区南光路" in r.reason and "创业路21号荔香苑" in r.reason


def test_a_bare_number_after_a_place_is_its_door_so_numbered(geocoder):
    r = geocoder.geocode("南山区蛇口街道李家塘98")
    assert (r.status, r.level) == ("matched", "door"), r.reason
    assert r.full_text.endswith("李家塘98")
    r = geocoder.geocode("南山区蛇口街道李家塘55")
    assert (r.status, r.level) == ("matched", "door") and r.full_text.endswith("李家塘55号")
    # no door so numbered: never another door
    r = geocoder.geocode("南山区蛇口街道李家塘77")
    assert r.status != "matched" and "77" not in (r.full_text or "")


def test_a_known_name_inside_a_longer_one_typed_is_not_read(geocoder):
    # 深圳学院区 is another place than 深圳学院: the town typed before it is the answer
    r = geocoder.geocode("南山区桃源街道学院城深圳学院区")
    assert (r.level, r.full_text) == ("compound", "广东省深圳市南山区桃源街道学院城"), r.reason
    assert "not understood: 深圳学院区" in r.reason
    r = geocoder.geocode("广东省深圳市南山区深圳学院区")
    assert (r.status, r.level) == ("partial", "county"), r.reason
    assert "not understood: 深圳学院区" in r.reason
    # the name alone, or followed by what lies in it, is read
    r = geocoder.geocode("南山区深圳学院")
    assert (r.status, r.level) == ("matched", "compound")


def test_a_road_and_a_place_neither_held_typed_together_are_read_as_the_two():
    def street(text):
        typed = parse(text)
        return [(e.level, e.value) for e in typed.elements if e.level in ("road", "compound")]

    assert street("南山区南新街福泰花园5-4-1230") == [("road", "南新街"), ("compound", "福泰花园")]
    assert street("南山区八卦四路先科大院七栋六楼") == [("road", "八卦四路"),
                                                 ("compound", "先科大院")]
    assert street("南山区中兴路东方名庭70号707") == [("road", "中兴路"), ("compound", "东方名庭")]
    # no name of its own after the road's word: one compound; a township's 街道 is no road
    assert street("南山区东方大道小区3栋") == [("compound", "东方大道小区")]
    assert street("南山区新丝路花园3栋") == [("compound", "新丝路花园")]
    typed = parse("南山区江丽街道福泰花园3栋")
    assert typed.get("road") is None and typed.get("compound").value == "福泰花园"
    # two roads typed together stay one unknown road's text, not a road and a compound
    assert ("compound", "营兴街") not in street("南山区蜀汉路营兴街7栋")


def test_a_part_of_a_place_typed_after_its_name_is_not_checked():
    typed = parse("南山区汇嘉新园南区106-229")
    assert typed.get("compound").value == "汇嘉新园"
    assert [(e.level, e.value) for e in typed.leftovers] == [("zone", "南区")]
    # a name that is no place's before it stays whole
    assert parse("南山区明楼南区3栋").get("compound").value == "明楼南区"


def test_a_compound_typed_with_a_part_after_its_name_is_the_one_that_holds_the_rest(tmp_path):
    rows = [["440305", "", "", "", "", "青口", "39栋", "9单元", "", ""],
            ["440305", "", "", "", "", "青口南区", "2栋", "", "", ""],
            ["440305", "", "", "", "", "丽都", "16栋", "", "", ""],
            ["440305", "", "", "", "", "丽都北苑", "3栋", "", "", ""]]
    with imported(rows, tmp_path) as (_, report, geocoder):
        assert not report.problems
        # 青口南区 holds no 39栋; 青口 does: the part 南区 is not checked, and that is said
        r = geocoder.geocode("南山区青口南区39栋9单元")
        assert (r.status, r.level) == ("matched", "unit") and r.full_text.endswith("青口39栋9单元")
        assert "南区 not checked" in r.reason
        # what 青口南区 holds is found there
        r = geocoder.geocode("南山区青口南区2栋")
        assert (r.status, r.full_text[-6:]) == ("matched", "青口南区2栋")
        # held by neither: not matched
        assert geocoder.geocode("南山区青口南区77栋").status != "matched"
        r = geocoder.geocode("南山区丽都北苑16栋")
        assert (r.status, r.full_text[-5:]) == ("matched", "丽都16栋") and "北苑" in r.reason


def test_a_place_named_only_by_its_kind_is_not_read_at_the_end_of_a_longer_name(geocoder):
    r = geocoder.geocode("南山区幼儿园")
    assert (r.status, r.level) == ("matched", "compound"), r.reason
    # 柳市虹艺幼儿园 is that name's kindergarten, not the base's 幼儿园
    r = geocoder.geocode("南山区柳市虹艺幼儿园")
    assert r.level != "compound", (r.status, r.level, r.full_text, r.reason)
    assert [e.value for e in r.elements if e.level == "compound"] == ["柳市虹艺幼儿园"]


def test_a_room_typed_with_its_buildings_letter_is_read_as_the_base_holds_it(geocoder):
    r = geocoder.geocode("南山区东部路143号东部软件园A832")
    assert (r.status, r.level) == ("matched", "room"), r.reason
    assert [(e.level, e.value) for e in r.elements if e.level in ("building", "room")] == [
        ("building", "A"), ("room", "832")]
    # with text not understood before it, still the room (no longer the door)
    r = geocoder.geocode("南山区东部路143号东部软件园科技大厦A832")
    assert r.level == "room" and "A832 read as building A, room 832" in r.reason, r.reason
    assert [(e.level, e.value) for e in r.elements if e.level in ("building", "room")] == [
        ("building", "A"), ("room", "832")]


def test_a_known_name_that_goes_on_into_letters_or_digits_is_read_after_unknown_text():
    # 中天MCC and 半山1号 (半山一号) begin inside text the base does not hold and end in the
    # letters or digits after it: the names, not a place's name and a building MCC10.
    streets = NameLexicon()
    for name, kind in (("文一西路", "road"), ("中天MCC", "compound"), ("甬台温高速", "road"),
                       ("半山1号", "compound")):
        streets.add(name, kind)

    def levels(text):
        return [(e.level, e.value) for e in parse(text, streets=streets).elements]

    assert levels("文一西路毛家桥路中天mcc10座714") == [
        ("road", "文一西路"), ("compound", "中天MCC"), ("building", "10栋"), ("room", "714")]
    assert levels("甬台温高速出口半山一号") == [("road", "甬台温高速"), ("compound", "半山1号")]
    # a number after unknown text that no known name reaches into is still the door
    assert levels("甬台温高速出口半山2号")[-1] == ("door", "2号")


def test_a_short_known_name_at_the_end_of_a_village_is_read_before_a_bare_number_too():
    # 大舜长浜600 as 大舜长浜600号: the base's 长浜 (two characters) after the place 大舜
    streets = NameLexicon()
    streets.add("长浜", "compound")
    for text in ("大舜长浜600号", "大舜长浜600"):
        parsed = parse(text, streets=streets)
        assert parsed.get("compound").value == "长浜", text
        assert [(e.level, e.value) for e in parsed.leftovers] == [("place", "大舜")], text
