"""The levels below the door as real cities write them (issue 16): stairways and gates as
units, a unit numbered with 号 before the floor or room, rows of houses, buildings named by
where they stand, a market's zone, floor, aisle and stall, and rooms typed straight after a
road's compound; on both stores.

The examples are hand-written, in 南山区 (440305), not taken from any corpus.
"""



from addressing.lexicon import NameLexicon
from addressing.normalize import element_key, normalize
from addressing.parse import parse
from tests.addressing.hand_base import base_geocoder, reached, street_levels

BASE = [
    # units written as stairways and gates; a building whose base holds no units
    ["440305", "", "", "", "", "榕荫苑", "3幢", "2单元", "", "553室"],
    ["440305", "", "", "", "", "枫丹苑", "5幢", "", "", "708室"],
    ["440305", "", "", "", "", "天悦苑", "29号楼", "1单元", "", "366室"],
    # a unit numbered with 号 (a base that writes it so), floors below it
    ["440305", "", "", "", "", "翠竹苑", "7幢", "9号", "13楼", ""],
    ["440305", "", "", "", "", "翠竹苑", "6幢", "1号", "", "496室"],
    # a market: aisles (街) hold floors, floors hold stalls
    ["440305", "", "", "", "", "星辰商贸城", "", "7街", "6楼", "41050"],
    ["440305", "", "", "", "", "星辰商贸城", "", "11街", "9层", "20427"],
    # a place elsewhere named like a market's zone
    ["440305", "", "", "", "", "四区", "", "", "", ""],
    # rows of houses, a house numbered in its row
    ["440305", "", "", "", "", "桂园新村", "12排", "59号", "", ""],
    # buildings named by where they stand, or by a letter
    ["440305", "", "", "", "", "文景大厦", "西座", "", "3楼", ""],
    ["440305", "", "", "", "", "文景大厦", "A座", "", "15楼", ""],
    # a road's compound with rooms; a road holding a building straight under it
    ["440305", "粤海街道", "", "学苑路", "8号", "学苑商务中心", "", "", "", "1618"],
    ["440305", "粤海街道", "", "火炬路", "", "", "173", "", "", ""],
    # buildings the base holds without the block or wing typed before them
    ["440305", "", "", "", "", "隽云中心", "4号楼", "", "6楼", ""],
    ["440305", "", "", "", "", "星湖苑", "13号楼", "", "", "2299"],
    # a compound in phases and with gates the base does not write; a unit named by where
    # it stands
    ["440305", "", "", "", "", "碧水花园", "6", "2", "", "604"],
    ["440305", "", "", "", "", "星辰商贸城", "", "9街", "8楼", "31390"],
    ["440305", "粤海街道", "", "文华路", "3号", "华新大厦", "", "西单元", "", "1041"],
    # a compound held at its door, and what is in it held straight under the road (the
    # base leaves door and compound out there)
    ["440305", "粤海街道", "", "东湖路", "103号", "华侨写字楼", "", "", "", ""],
    ["440305", "粤海街道", "", "东湖路", "", "华侨写字楼", "", "", "", "2491"],
    # rooms numbered with a letter
    ["440305", "", "", "", "", "远帆大厦", "A座", "", "50楼", "A2123"],
    ["440305", "", "", "", "", "远帆大厦", "B座", "", "7楼", "10C"],
    # doors held with a compound, numbering what lies behind them
    ["440305", "粤海街道", "", "南苑路", "109", "金诚诊所", "10号", "", "", ""],
    ["440305", "粤海街道", "", "冶金路", "483", "模具城", "8", "", "", ""],
    # a market held also under its area's name (with nothing below it there); a place
    # named with another county's name before a compound of this one
    ["440305", "", "", "", "", "南山星辰商贸城", "", "", "", ""],
    ["440305", "", "", "", "", "宝安星辰商贸城", "", "", "", ""],
    # a compound kept on its road with no door and no building: a floor, a unit with a
    # room, straight under the road (another compound's floor so numbered beside it)
    ["440305", "粤海街道", "", "桥东路", "", "桥东大厦", "", "", "四楼", ""],
    ["440305", "粤海街道", "", "桥东路", "", "金桥大厦", "", "", "4楼", ""],
    ["440305", "粤海街道", "", "桥东路", "", "金桥大厦", "", "2单元", "", "301"],
]


geocoder = base_geocoder(BASE)


def _levels(text, *names):
    return street_levels(text, names, ("compound", "building", "unit", "floor", "room"))


def test_stairways_and_gates_after_a_building_are_units():
    assert normalize("3幢2梯553室").text == "3栋2单元553室"
    assert normalize("二梯").text == "2单元"
    assert normalize("29号楼1门366室").text == "29栋1单元366室"
    assert normalize("94栋2号门1440").text == "94栋2单元1440"
    # 门 alone is a gate, 门面 a shopfront: never a unit
    assert normalize("星辰商贸城79号门").text == "星辰商贸城79号门"
    assert normalize("3栋2号门面").text == "3栋2号门面"
    assert element_key("unit", "1门") == "1" and element_key("unit", "2梯") == "2"


def test_a_unit_typed_in_the_forms_a_city_writes_reaches_the_room(geocoder):
    status, level, full, _ = reached(geocoder, "南山区榕荫苑三幢2梯553室")
    assert (status, level) == ("matched", "room") and full.endswith("2单元553室")
    status, level, _, _ = reached(geocoder, "南山区天悦苑29号楼1门366室")
    assert (status, level) == ("matched", "room")
    # the base holds no units in the building: the unit typed is not checked, and said
    status, level, full, reason = reached(geocoder, "南山区枫丹苑5幢2梯708室")
    assert (status, level) == ("matched", "room") and full.endswith("708室")
    assert "unit 2单元 not checked" in reason
    # a room the building does not hold stays partial
    status, level, _, _ = reached(geocoder, "南山区枫丹苑5幢2梯709室")
    assert status == "partial"


def test_a_number_with_hao_between_building_and_floor_or_room_is_a_unit(geocoder):
    assert _levels("翠竹苑7幢9号13楼", "翠竹苑")[1:] == [
        ("building", "7栋"), ("unit", "9号"), ("floor", "13楼")]
    assert _levels("翠竹苑6栋底商一号496室", "翠竹苑")[1:] == [
        ("building", "6栋"), ("unit", "1号"), ("room", "496室")]
    # alone after the building it stays what the grammar reads (the base decides below)
    assert _levels("翠竹苑6栋15号", "翠竹苑")[1:] == [("building", "6栋"), ("room", "15号")]
    status, level, full, _ = reached(geocoder, "南山区翠竹苑7幢9号13楼")
    assert (status, level) == ("matched", "floor") and full.endswith("7幢9号13楼")
    status, level, _, _ = reached(geocoder, "南山区翠竹苑6栋一号496室")
    assert (status, level) == ("matched", "room")


def test_a_markets_zone_floor_aisle_and_stall(geocoder):
    assert _levels("星辰商贸城4区6楼7街41050", "星辰商贸城") == [
        ("compound", "星辰商贸城"), ("unit", "7街"), ("floor", "6楼"), ("room", "41050")]
    assert _levels("星辰商贸城9层1区11街20427商位", "星辰商贸城")[1:] == [
        ("unit", "11街"), ("floor", "9层"), ("room", "20427室")]
    for text in ("南山区星辰商贸城四区六楼7街41050", "南山区星辰商贸城4区7街41050",
                 "南山区星辰商贸城9层1区11街20427商位"):
        status, level, _, reason = reached(geocoder, text)
        assert (status, level) == ("matched", "room"), (text, reason)
    # (a zone the base also holds as a place elsewhere is said not checked all the same)
    assert "四区 not checked" in reached(geocoder, "南山区星辰商贸城四区六楼7街41050")[3]
    # a zone named like a place the base holds elsewhere, before the aisle: still the zone
    status, level, _, reason = reached(geocoder, "南山区星辰商贸城四区7街41050")
    assert (status, level) == ("matched", "room") and "zone 四区 not checked" in reason, reason
    # the aisle after a zone and the gate typed with it
    assert ("unit", "7街") in _levels("星辰商贸城四区79号门7街41050", "星辰商贸城")
    # a numbered street after a compound is no aisle where no floor or zone comes before
    assert ("unit", "112街") not in _levels("星辰新村112街58号", "星辰新村")


def test_a_row_of_houses_is_a_building(geocoder):
    assert _levels("桂园新村3区12排59号", "桂园新村")[1] == ("building", "3区12排")
    status, level, full, _ = reached(geocoder, "南山区桂园新村12排59号")
    assert (status, level) == ("matched", "unit") and full.endswith("12排59号")
    status, level, _, reason = reached(geocoder, "南山区桂园新村3区12排59号")
    assert (status, level) == ("matched", "unit") and "3区 not checked" in reason


def test_a_building_named_by_where_it_stands_or_by_a_letter(geocoder):
    assert _levels("文景大厦西座三楼", "文景大厦") == [
        ("compound", "文景大厦"), ("building", "西座"), ("floor", "3楼")]
    assert normalize("文景大厦A楼15楼").text == "文景大厦A栋15楼"
    assert normalize("B1楼").text == "B1楼"  # a floor below ground, not a building
    assert normalize("文景大厦A塔楼2455").text == "文景大厦A栋2455"
    assert normalize("文景大厦3号塔楼").text == "文景大厦3栋"
    status, level, full, _ = reached(geocoder, "南山区文景大厦西座三楼")
    assert (status, level) == ("matched", "floor") and full.endswith("西座3楼")
    status, level, full, _ = reached(geocoder, "南山区文景大厦A楼15楼")
    assert (status, level) == ("matched", "floor") and full.endswith("A座15楼")


def test_a_number_typed_straight_after_a_roads_compound_is_a_room(geocoder):
    streets: NameLexicon[str] = NameLexicon()
    streets.add("学苑路", "road")
    streets.add("学苑商务中心", "compound")
    levels = [(e.level, e.value) for e in parse("学苑路学苑商务中心1618", streets=streets).elements
              if e.level in ("road", "compound", "door", "room")]
    assert levels == [("road", "学苑路"), ("compound", "学苑商务中心"), ("room", "1618")]
    # with 号, or before the compound, it is the road's door
    typed = parse("学苑路8号学苑商务中心1618", streets=streets)
    levels = [(e.level, e.value) for e in typed.elements if e.level in ("door", "room")]
    assert levels == [("door", "8号"), ("room", "1618")]
    status, level, full, _ = reached(geocoder, "南山区学苑路学苑商务中心1618")
    assert (status, level) == ("matched", "room") and full.endswith("1618")
    # the road holds the number as a building straight under it: that building
    status, level, _, reason = reached(geocoder, "南山区火炬路星光购物中心173")
    assert (status, level) == ("matched", "building") and "read as the building" in reason


def test_a_stall_or_shop_is_numbered_as_a_room():
    assert normalize("2064商铺").text == "2064室"
    assert normalize("20427商位").text == "20427室"
    assert normalize("6409店 355档").text == "6409室355室"
    assert normalize("4S店 3店面").text == "4S店3店面"  # a shop's name, a shopfront
    assert element_key("room", "2064商铺") == "2064"


def test_a_note_to_the_courier_after_a_door_keeps_it_matched(geocoder):
    # the door holds a building: text not understood after it would leave it partial
    assert reached(geocoder, "南山区南苑路109号金诚诊所")[:2] == ("matched", "door")
    for note in ("电联", "放门卫", "11点-12点取件"):
        status, level, _, reason = reached(geocoder, f"南山区南苑路109号金诚诊所{note}")
        assert (status, level) == ("matched", "door") and note not in reason, reason


def test_a_run_of_rooms_is_one_room_as_typed(geocoder):
    assert _levels("远帆大厦A座1220-1221", "远帆大厦")[-1] == ("room", "1220-1221")
    assert _levels("远帆大厦12楼077-079", "远帆大厦")[-2:] == [("floor", "12楼"),
                                                         ("room", "077-079")]
    # numbers far apart, or short, are building and room (or unit and room) as before
    assert ("room", "1220-1221") not in _levels("远帆大厦A座1220-1290", "远帆大厦")
    assert _levels("远帆大厦3栋12-13", "远帆大厦")[-2:] == [("unit", "12单元"), ("room", "13")]
    # right after a road, a range is the road's doors
    assert [(e.level, e.value) for e in parse("南山区文华路396-398号").elements][-1] == (
        "door", "396-398号")


def test_of_two_buildings_typed_the_one_the_base_holds_is_read(geocoder):
    status, level, full, reason = reached(geocoder, "南山区隽云中心A座4号楼6楼")
    assert (status, level) == ("matched", "floor") and full.endswith("4号楼6楼")
    assert "building A栋 not checked" in reason
    # the compound typed again between them
    status, level, _, _ = reached(geocoder, "南山区星湖苑4号楼星湖苑13号楼2299")
    assert (status, level) == ("matched", "room")
    # neither held: never matched
    assert reached(geocoder, "南山区隽云中心A座5号楼6楼")[0] != "matched"


def test_a_door_typed_with_its_sub_number_beside_its_compound(geocoder):
    status, level, full, reason = reached(geocoder, "南山区南苑路109-10号金诚诊所")
    assert (status, level) == ("matched", "building") and full.endswith("10号")
    assert "read as" in reason
    status, level, full, _ = reached(geocoder, "南山区模具城冶金路483-8")
    assert (status, level) == ("matched", "building") and full.endswith("483模具城8")
    # the door holds nothing numbered so: not matched
    assert reached(geocoder, "南山区南苑路109-11号金诚诊所")[0] != "matched"


def test_the_answers_elements_say_how_the_base_read_the_numbers(geocoder):
    def read(text):
        r = geocoder.geocode(text)
        return r.status, [(e.level, text[e.span[0]:e.span[1]]) for e in r.elements
                          if e.level in ("door", "building", "room")]

    # a door with its sub-number: the door and the building behind it, each with its span
    assert read("南山区南苑路109-10号金诚诊所") == ("matched", [("door", "109"),
                                                        ("building", "10号")])
    # read as building and room by the grammar, as door and building by the base
    assert read("南山区模具城冶金路483-8") == ("matched", [("door", "483"), ("building", "8")])
    # a door number the road holds as a building
    assert read("南山区火炬路173") == ("matched", [("building", "173")])
    # what the base does not hold stays as typed
    assert read("南山区南苑路109-11号金诚诊所")[1] == [("door", "109-11号")]


def test_a_phase_zone_or_gate_the_base_does_not_write_is_not_checked_and_said(geocoder):
    assert _levels("碧水花园2期凤栖苑6-2-604", "碧水花园") == [
        ("compound", "碧水花园"), ("building", "6栋"), ("unit", "2单元"), ("room", "604")]
    # a phase before a building stays the building's (the base may write it so)
    assert _levels("碧水花园2期6栋", "碧水花园")[1] == ("building", "2期6栋")
    status, level, _, reason = reached(geocoder, "南山区碧水花园二期6-2-604")
    assert (status, level) == ("matched", "room") and "zone 2期 not checked" in reason
    status, level, _, reason = reached(geocoder, "南山区星辰商贸城三期79号门8楼9街31390")
    assert (status, level) == ("matched", "room") and "gate 79号门 not checked" in reason
    # a gate is no door; 门面 (a shopfront) is no gate
    typed = parse("星辰商贸城79号门")
    assert typed.get("door") is None and [e.level for e in typed.leftovers] == ["gate"]
    assert parse("星辰商贸城79号门面").get("door") is not None


def test_a_unit_named_by_where_it_stands(geocoder):
    streets: NameLexicon[str] = NameLexicon()
    streets.add("文华路", "road")
    streets.add("华新大厦", "compound")
    typed = parse("文华路华新大厦西单元1041", streets=streets)
    assert [(e.level, e.value) for e in typed.elements][-2:] == [
        ("unit", "西单元"), ("room", "1041")]
    status, level, full, _ = reached(geocoder, "南山区文华路3号华新大厦西单元1041")
    assert (status, level) == ("matched", "room") and full.endswith("西单元1041")


def test_numbers_after_a_roads_compound_are_the_compounds():
    streets: NameLexicon[str] = NameLexicon()
    streets.add("江湾路", "road")
    typed = parse("江湾路明锦园7-2225", streets=streets)
    assert [(e.level, e.value) for e in typed.elements][-3:] == [
        ("compound", "明锦园"), ("building", "7栋"), ("room", "2225")]
    # straight after the road, the first number is the road's door (with its sub-number, as
    # 344-110号 is)
    typed = parse("江湾路344-110", streets=streets)
    assert [(e.level, e.value) for e in typed.elements][-2:] == [
        ("road", "江湾路"), ("door", "344-110")]


def test_what_the_compounds_door_lacks_is_found_straight_under_the_road(geocoder):
    status, level, full, reason = reached(geocoder, "南山区东湖路华侨写字楼2491")
    assert (status, level) == ("matched", "room") and full.endswith("东湖路华侨写字楼2491")
    assert "found straight under the road" in reason
    # the compound alone is its door; a room held nowhere stays partial
    assert reached(geocoder, "南山区东湖路华侨写字楼")[:2] == ("matched", "door")
    assert reached(geocoder, "南山区东湖路华侨写字楼2492")[0] == "partial"


def test_a_name_right_before_a_building_or_floor_is_the_place_they_are_in():
    def compound(text):
        typed = parse(text)
        found = typed.get("compound")
        return None if found is None else found.value

    assert compound("南山区先科大院七栋六楼") == "先科大院"
    assert compound("南山区科苑路88号海岸银泰12楼") == "海岸银泰"
    assert compound("南山区科苑路945号嘉里中心写字楼1511") == "嘉里中心写字楼"
    # not after a building already read, nor where nothing numbered follows
    assert compound("南山区科苑路88号3栋后门") is None
    assert compound("南山区科苑路88号海岸银泰") is None


def test_a_room_numbered_with_a_letter(geocoder):
    assert _levels("远帆大厦A座50楼A2123", "远帆大厦")[-1] == ("room", "A2123")
    assert _levels("远帆大厦B座7楼10C", "远帆大厦")[-2:] == [("floor", "7楼"), ("room", "10C")]
    assert _levels("远帆大厦2期57楼2375C", "远帆大厦")[-1] == ("room", "2375C")
    # a letter glued to a building's number is the building's (3A1234: no room A1234)
    assert ("room", "A1234") not in _levels("远帆大厦3A1234", "远帆大厦")
    status, level, full, _ = reached(geocoder, "南山区远帆大厦A座50楼A2123")
    assert (status, level) == ("matched", "room") and full.endswith("A2123")
    assert reached(geocoder, "南山区远帆大厦B座7楼10C")[:2] == ("matched", "room")


def test_a_dash_typed_twice_between_numbers_is_one():
    assert normalize("沁园8--33商铺").text == "沁园8-33室"
    assert normalize("3---1-1201").text == "3-1-1201"
    # between numerals too, so that normalising twice changes nothing
    assert normalize("一--0").text == normalize("1--0").text == "1-0"


def test_four_numbers_after_a_road_and_sub_numbered_buildings():
    streets: NameLexicon[str] = NameLexicon()
    streets.add("将台路", "road")
    streets.add("艮山小区", "compound")

    def read(text):
        return [(e.level, e.key) for e in parse(text, streets=streets).elements
                if e.level in ("door", "building", "unit", "room")]

    # the road's door, then building, unit and room
    assert read("将台路1326-11-6-434") == [
        ("door", "1326"), ("building", "11"), ("unit", "6"), ("room", "434")]
    assert read("将台路3-1-1201") == [("building", "3"), ("unit", "1"), ("room", "1201")]
    # a building numbered with a sub-number keeps it (as the base keys 2-2幢)
    assert read("艮山小区2-2幢7单元1188") == [
        ("building", "2-2"), ("unit", "7"), ("room", "1188")]
    assert element_key("building", "2-2幢") == "2-2"


def test_a_gate_typed_on_a_markets_floor_is_not_its_room():
    assert _levels("星辰商贸城五区三楼97号门9街61568", "星辰商贸城") == [
        ("compound", "星辰商贸城"), ("unit", "9街"), ("floor", "3楼"), ("room", "61568")]
    assert _levels("星辰商贸城4楼01", "星辰商贸城")[-1] == ("room", "401")
    # a market the base names with its zone (星辰市场H区): the aisle right after the name,
    # a gate, then the stall
    assert _levels("星辰市场H区15街55号门22760", "星辰市场H区") == [
        ("compound", "星辰市场H区"), ("unit", "15街"), ("room", "22760")]


def test_a_floor_or_unit_kept_on_the_road_for_a_compound_with_no_door(geocoder):
    # The base keeps what lies in the compound straight under the road: the compound typed
    # picks among what the road keeps, and the level typed below it is found there.
    status, level, full, _ = reached(geocoder, "南山区桥东路桥东大厦4楼")
    assert (status, level) == ("matched", "floor") and full.endswith("桥东路桥东大厦四楼")
    status, level, full, _ = reached(geocoder, "南山区桥东路金桥大厦四楼")
    assert (status, level) == ("matched", "floor") and full.endswith("桥东路金桥大厦4楼")
    status, level, full, _ = reached(geocoder, "南山区桥东路金桥大厦2单元301")
    assert (status, level) == ("matched", "room") and full.endswith("金桥大厦2单元301")
    # a floor the road keeps for neither compound typed stays at the road; a room the unit
    # does not hold stays at the unit
    assert reached(geocoder, "南山区桥东路桥东大厦9楼")[:2] == ("partial", "road")
    assert reached(geocoder, "南山区桥东路金桥大厦2单元302")[:2] == ("partial", "unit")


def test_a_compound_named_with_its_areas_name_is_read_without_it_where_that_goes_further(
        geocoder):
    # The base holds the market twice: as 南山星辰商贸城 (nothing below) and as 星辰商贸城
    # with its aisles and stalls. The aisle and stall typed decide.
    status, level, full, reason = reached(geocoder, "深圳南山星辰商贸城7街6楼41050")
    assert (status, level) == ("matched", "room") and full.endswith("南山区星辰商贸城7街41050")
    assert "南山星辰商贸城 read as 星辰商贸城 of 南山" in reason
    # the name alone is the place so named
    assert reached(geocoder, "深圳南山星辰商贸城")[:3] == (
        "matched", "compound", "广东省深圳市南山区南山星辰商贸城")
    # another county's name before it: 星辰商贸城 of 南山区 is not one of 宝安
    assert "read as 星辰商贸城" not in reached(geocoder, "深圳宝安星辰商贸城7街6楼41050")[3]
