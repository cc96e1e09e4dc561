"""The forms real bases and records use (issue 16), on both stores: a base written with them
imports as written, and typed addresses that use them reach the finest level, or say why not.

The examples are hand-written, in 南山区 (440305), not taken from any corpus.
"""

import csv

import pytest
from sqlalchemy import select

from addressing.base_import import import_address_base
from addressing.base_reader import build_index
from addressing.door_numbers import split_sub_number
from addressing.index import is_numbered_name
from addressing.lexicon import NameLexicon
from addressing.match import Geocoder
from addressing.normalize import element_key, normalize
from addressing.parse import parse
from tests.stores import STORES, ready_store
from twin.models import Address

HEADER = ["county_code", "township", "community", "road", "door_no", "compound", "building",
          "unit", "floor", "room", "aliases"]
BASE = [
    # lanes: the lane is numbered on its road, its own doors follow
    ["440305", "粤海街道", "", "朝晖路", "416弄", "", "173号", "", "", ""],
    # a building keeps its phase; a cluster before a building
    ["440305", "粤海街道", "", "科苑路", "15号", "科兴科学园", "3期12栋", "2单元", "", "1201室"],
    ["440305", "粤海街道", "", "科苑路", "15号", "科兴科学园", "6组团7栋", "", "", "301"],
    # a compound with no road and no township (a base with gaps), reached by name alone
    ["440305", "", "", "", "", "百福公寓", "5幢", "10单元", "", "400"],
    # a room straight under a door, and a building straight under a road
    ["440305", "粤海街道", "", "高新南一道", "9号", "", "", "", "", "1084室"],
    ["440305", "", "", "学府路", "", "", "B座", "", "", ""],
    # an old kind of township name: 粤海镇 is 粤海街道 now
    ["440305", "粤海镇", "", "文心五路", "33号", "", "", "", "", ""],
    # a renamed road: its old name kept with the day it ended (on the road's own row)
    ["440305", "粤海街道", "", "创新路", "", "", "", "", "", "", "旧城路~2019-05-01"],
    ["440305", "粤海街道", "", "创新路", "8号", "", "", "", "", ""],
    # a door and the building behind it, typed as one number (119-52号); a door held as
    # written with its sub-number; a compound numbering buildings with rooms in them
    ["440305", "粤海街道", "", "海德三道", "119号", "", "52号", "", "", ""],
    ["440305", "粤海街道", "", "海德三道", "34-76号", "", "", "", "", ""],
    ["440305", "", "", "", "", "沁心园", "80幢", "", "", "206室"],
    # a village group held as the road its doors are numbered on (X村X组X号)
    ["440305", "粤海街道", "", "六组", "197号", "", "", "", "", ""],
    # one road held twice, with and without its township; one name in two townships
    ["440305", "粤海街道", "", "海德二道", "5号", "", "", "", "", ""],
    ["440305", "", "", "海德二道", "5号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德一道", "5号", "", "", "", "", ""],
    ["440305", "南头街道", "", "海德一道", "5号", "", "", "", "", ""],
    # compounds with one building each: rooms in one, the other numbered like a room
    ["440305", "", "", "", "", "柯北贸易中心", "6栋", "", "", "101室"],
    ["440305", "", "", "", "", "广博工业园", "442", "", "", ""],
    # levels the grammar would read otherwise: 11号 a unit of its building, a room with a
    # letter after it, a building named with its compound's name, a floor below ground or
    # written with F, a building written without the phase typed before it
    ["440305", "", "", "", "", "凤鸣苑", "53幢", "11号", "", ""],
    ["440305", "", "", "", "", "嘉欣华庭", "8", "", "", "215A"],
    ["440305", "", "", "", "", "金福小区", "金福一号楼", "7单元", "", "736"],
    ["440305", "粤海街道", "", "景坛路", "135号", "庆春银泰", "", "", "负三楼", ""],
    ["440305", "粤海街道", "", "丹桂街", "86号", "迪凯国际中心", "", "", "79F", ""],
    ["440305", "", "", "", "", "格兰云天", "171幢", "", "", "1025室"],
    ["440305", "", "", "", "", "龚家园", "101栋", "7", "", "1161"],
    ["440305", "", "", "", "", "阳光棕榈园", "1组团1栋", "1单元", "3层", "301室"],
    # two places, one typed inside the other (an industrial zone, a compound in it)
    ["440305", "", "", "", "", "滨海工业区", "", "", "", ""],
    ["440305", "", "", "", "", "风华园小区", "", "", "", ""],
    # bases that leave levels out: no buildings in a compound whose units hold floors; a
    # room straight under a door; rooms straight under a compound that has buildings too;
    # a room straight under a road that numbers doors elsewhere
    ["440305", "", "", "", "", "翠湖南苑", "", "3单元", "12楼", ""],
    ["440305", "粤海街道", "", "海德四道", "20号", "海景酒店", "", "", "", "815号"],
    ["440305", "", "", "", "", "南油商贸城", "1栋", "", "", "101"],
    ["440305", "", "", "", "", "南油商贸城", "", "", "6楼", "36041"],
    ["440305", "粤海街道", "", "桂庙路", "3号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "桂庙路", "", "", "", "", "", "2514"],
    # buildings written without the phase; a unit numbered with 号 behind a sub-number
    ["440305", "粤海街道", "", "桃园路", "", "", "11栋", "3单元", "", "1154室"],
    ["440305", "", "", "", "", "南湾", "11栋", "46号", "", ""],
    ["440305", "", "", "", "", "桥东新村", "13", "13号", "", ""],
    # a company in a zone held at a road's door; a compound whose name is one typo from
    # another's, on a road that holds buildings straight under it
    ["440305", "粤海街道", "", "创业路", "8号", "蛇口新区", "", "", "", ""],
    ["440305", "", "", "", "", "华强电子有限公司", "", "", "", ""],
    ["440305", "", "", "", "", "南光东苑", "2栋", "", "", ""],
    ["440305", "粤海街道", "", "南光路", "", "", "144幢", "4单元", "", "1521"],
    # a building named by where it stands behind the door; a door with buildings
    ["440305", "粤海街道", "", "新华路", "368号", "", "后幢", "", "", ""],
    ["440305", "粤海街道", "", "大桥路", "12号", "", "4幢", "", "", "624室"],
    # a compound on a road with no door number (kept on what lies in it); a compound one
    # typo from its name elsewhere; the road holds buildings at a door too
    ["440305", "粤海街道", "", "湾厦路", "", "湾厦大厦", "", "", "", "2608室"],
    ["440305", "粤海街道", "", "湾厦路", "1号", "", "2栋", "", "", ""],
    ["440305", "粤海街道", "", "", "5号", "湾夏大厦", "", "", "", ""],
    # a compound on a road with no door, numbering its buildings (the road has doors too)
    ["440305", "粤海街道", "", "沙河路", "", "海月花园", "8", "", "", "341"],
    ["440305", "粤海街道", "", "沙河路", "2号", "", "", "", "", ""],
    # a building named only by its use, held as a place of its own; a place with nothing in it
    ["440305", "", "", "", "", "综合楼", "", "", "4楼", ""],
    ["440305", "", "", "", "", "西范大院", "", "", "", ""],
    # a part of a village held by its short name, with its doors; a road of two characters
    ["440305", "粤海街道", "", "", "104号", "后山", "", "", "", ""],
    ["440305", "粤海街道", "", "北路", "3号", "", "", "", "", ""],
    # a place whose name ends in a part another place is named by alone
    ["440305", "", "", "", "", "下西陶5区", "1081号", "", "", ""],
    ["440305", "粤海街道", "", "", "77号", "5区", "", "", "", ""],
    # places named like a city far away (Jilin's 长春) and like one of the own province
    ["440305", "", "", "", "", "长春", "97", "", "", "10号"],
    ["440305", "", "", "", "", "广州", "", "", "", ""],
    # a road of another county named like a place people type before a road (王家埭)
    ["440304", "", "", "王家", "1号", "", "", "", "", ""],
    # a compound named with the county's short name before it, another named across its
    # end and a part after it, and a place named by that part
    ["440305", "", "", "", "", "南山商会", "", "", "", ""],
    ["440305", "", "", "", "", "商会南楼", "", "", "", "3681室"],
    ["440304", "", "", "", "", "南楼", "", "", "", ""],
    # a shop of two rooms, listed
    ["440305", "粤海街道", "", "大桥路", "12号", "", "4幢", "", "", "101、102号"],
    # a market kept on its road with no door, its stalls as runs of rooms with a block letter
    ["440305", "粤海街道", "", "瑞康路", "", "皮革交易中心", "", "", "", "D113-115号"],
]
REFUSED = [
    ["440305", "粤海街道", "", "43号", "", "", "", "", "", ""],  # a door number as a road
    ["440305", "粤海街道", "", "", "7号", "", "", "", "", ""],  # a door with no road or place
    ["440305", "粤海街道", "", "创新路", "9号", "", "", "", "", "", "旧路~2019-13-01"],
    ["440305", "", "", "", "", "三幢", "", "", "", ""],  # a building (3栋) as a compound
]


@pytest.fixture(scope="module", params=STORES)
def base(request, tmp_path_factory):
    """The base above imported once per store kind, the import's report and a geocoder
    over it: the tests only read."""
    workdir = tmp_path_factory.mktemp(request.param)
    path = workdir / "base.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(row + [""] * (len(HEADER) - len(row)) for row in BASE + REFUSED)
    with ready_store(request.param, workdir) as engine:
        report = import_address_base(engine, path)
        yield engine, report, Geocoder(build_index(engine))


def test_a_base_with_real_forms_imports_as_written(base):
    engine, report, _ = base
    first_refused = len(BASE) + 2
    assert {(p.row, p.field) for p in report.problems} == {
        (first_refused, "road"), (first_refused + 1, "road"), (first_refused + 2, "aliases"),
        (first_refused + 3, "compound")}
    assert "is a number, not a name" in report.problems[0].reason
    t = Address.__table__
    with engine.connect() as conn:
        values = {(r.level, r.value) for r in conn.execute(select(t.c.level, t.c.value))}
        township = conn.execute(select(t.c.township_code).where(t.c.road == "文心五路")).scalar()
    # values as the base writes them, never reduced (3期12栋 stays 3期12栋)
    assert {("building", "3期12栋"), ("building", "6组团7栋"), ("door", "416弄"),
            ("building", "173号"), ("compound", "百福公寓"), ("room", "1084室"),
            ("building", "B座")} <= values
    assert township == "440305007000"  # 粤海镇 resolved to 粤海街道


def test_real_forms_reach_the_finest_level(base):
    geocoder = base[2]

    def finest(text):
        r = geocoder.geocode(text)
        assert r.status == "matched", (text, r.status, r.reason)
        return r

    assert finest("深圳市南山区朝晖路416弄173号").full_text.endswith("朝晖路416弄173号")
    assert finest("南山区科苑路15号科兴科学园三期十二栋二单元1201").level == "room"
    assert finest("南山区科兴科学园6组团7栋301室").level == "room"
    # the compound alone, by name, with 幢 for 栋 and no township typed
    assert finest("广东省深圳市南山区百福公寓5幢10单元400").level == "room"
    # digits or Chinese numerals inside a name; the room under a door with no building
    r = finest("南山区高新南1道9号1084室")
    assert r.level == "room" and "高新南一道" in r.full_text
    assert finest("南山区学府路B座").level == "building"
    # an old township kind typed, separators between admin names, a prefix and noise
    assert finest("广东省-深圳市-南山区粤海镇文心5路33号").level == "door"
    assert finest("寄件人 南山区 文心五路33号 门口").level == "door"
    # the old name of a renamed road finds the address, and the answer names the current one
    r = finest("南山区旧城路8号")
    assert "创新路8号" in r.full_text and "renamed 创新路" in r.reason and "2019-05-01" in r.reason


def test_what_the_base_does_not_hold_is_partial_with_the_reason(base):
    geocoder = base[2]
    # a typed building the door lacks: partial at the door, never matched there
    r = geocoder.geocode("南山区科苑路15号科兴科学园9栋1201")
    assert (r.status, r.level) == ("partial", "door") and "9栋" in r.reason
    # text not understood after a door that has buildings below it: partial, and listed
    r = geocoder.geocode("南山区科苑路15号科兴科学园甲乙丙")
    assert (r.status, r.level) == ("partial", "door")
    assert "not understood: 甲乙丙" in r.reason
    # 12栋 typed where the base holds 3期12栋 alone at that door: read so, and said
    r = geocoder.geocode("南山区科苑路15号12栋2单元1201")
    assert r.status == "matched" and "read as 3期12栋" in r.reason


def test_the_parser_reads_lanes_phases_and_rooms_after_doors():
    def levels(text):
        return [(e.level, e.value) for e in parse(text).elements if e.level in (
            "road", "door", "building", "unit", "room")]

    assert levels("朝晖路416弄173号") == [("road", "朝晖路"), ("door", "416弄"),
                                          ("building", "173号")]
    assert levels("科苑路15号3期12栋1201") == [("road", "科苑路"), ("door", "15号"),
                                               ("building", "3期12栋"), ("room", "1201")]
    assert levels("建国中路209号1084室") == [("road", "建国中路"), ("door", "209号"),
                                             ("room", "1084室")]
    assert levels("宏远路1820号12号") == [("road", "宏远路"), ("door", "1820号"),
                                          ("building", "12号")]


def test_dashes_between_names_separate_them_and_numbers_keep_theirs():
    assert normalize("浙江省-金华市-义乌市").text == "浙江省金华市义乌市"
    assert normalize("3-1-1201").text == "3-1-1201"


def test_a_place_the_base_lacks_glued_before_a_known_name_is_kept_apart():
    streets: NameLexicon[str] = NameLexicon()
    streets.add("五洲路", "road")
    streets.add("义福新村", "compound")
    streets.add("芸海北路", "road")

    def read(text):
        p = parse(text, streets=streets)
        return ([(e.level, e.value) for e in p.elements if e.level in ("road", "compound")],
                [(e.level, e.value) for e in p.leftovers])

    # an unknown place before a road; a place before a compound, a shop after it
    assert read("浙江省杭州市余杭区塘河五洲路186号") == ([("road", "五洲路")], [("place", "塘河")])
    # 临平 of 余杭区 is a township of 2020 (临平区 since): read as that, not a place
    p = parse("浙江省杭州市余杭区临平五洲路186号", streets=streets)
    read_as = [(e.level, e.value) for e in p.elements][3:5]
    assert read_as == [("township", "临平"), ("road", "五洲路")]
    assert read("拱北街道拱北义福新村107栋小王商店") == (
        [("compound", "义福新村")], [("place", "拱北"), ("unknown", "小王商店")])
    # a township the division table lacks, typed before the road: not a road called …街道
    assert read("东阳市江丽街道芸海北路12号")[0] == [("road", "芸海北路")]
    assert read("东阳市丽江街道湖滨路12号") == ([("road", "湖滨路")], [("place", "丽江街道")])
    # a known name of two characters is too short to be cut out of unknown text
    streets.add("中路", "road")
    assert read("南山区东大中路7号")[0] == [("road", "东大中路")]


def test_a_place_typed_before_a_known_road_does_not_stop_the_match(base):
    geocoder = base[2]
    r = geocoder.geocode("南山区黄泥塘科苑路15号科兴科学园3期12栋2单元1201")
    assert (r.status, r.level) == ("matched", "room")
    assert "place 黄泥塘 before the street not checked" in r.reason


def test_a_door_typed_with_its_sub_number_reaches_what_the_base_holds_behind_it(base):
    geocoder = base[2]
    for text in ("南山区海德三道119-52号", "南山区海德三道119-52", "南山区海德三道119一52"):
        r = geocoder.geocode(text)
        assert (r.status, r.level) == ("matched", "building"), (text, r.reason)
        assert r.full_text.endswith("海德三道119号52号") and "read as" in r.reason, r.reason
    # held as written: found directly, no reading needed
    r = geocoder.geocode("南山区海德三道34-76号")
    assert (r.status, r.level, r.reason) == ("matched", "door", "every typed element found")
    # a compound that numbers its buildings: building 80, room 206
    r = geocoder.geocode("南山区沁心园80-206号电联")
    assert (r.status, r.level) == ("matched", "room") and r.full_text.endswith("80幢206室")
    # and the elements say so, each number with its own span
    assert [(e.level, e.value, e.span) for e in r.elements if e.level in ("building", "room")
            ] == [("building", "80", (6, 8)), ("room", "206号", (9, 13))]
    # the door exists but holds nothing numbered so: partial at the door, saying why
    r = geocoder.geocode("南山区海德三道119-7号")
    assert (r.status, r.level) == ("partial", "door") and "7 not found there" in r.reason


def test_a_sub_numbered_key_splits_once_into_door_and_sub_number():
    assert split_sub_number("119-52") == ("119", "52")
    assert split_sub_number("119") is None
    assert split_sub_number("A-3") is None
    assert split_sub_number("1-2-3") is None


def test_a_village_group_after_the_village_name_is_read_as_the_base_holds_it(base):
    geocoder = base[2]
    for text in ("南山区永西村六组197号", "南山区永西6组197号"):
        r = geocoder.geocode(text)
        assert (r.status, r.level) == ("matched", "door"), (text, r.reason)
        assert r.full_text.endswith("6组197号") or r.full_text.endswith("六组197号")
    # an unknown name before a numbered door is still no place: it stays not understood
    r = geocoder.geocode("南山区永西7组197号")
    assert r.status != "matched"


def test_one_place_held_twice_is_one_answer_and_two_places_stay_a_tie(base):
    geocoder = base[2]
    r = geocoder.geocode("南山区海德二道5号")
    assert (r.status, r.level) == ("matched", "door")
    assert "粤海街道" in r.full_text and "holds this place twice" in r.reason
    r = geocoder.geocode("南山区海德一道5号")
    assert r.status == "tie" and len(r.candidates) == 2


def test_a_building_not_typed_is_the_answer_only_when_what_is_typed_below_confirms_it(base):
    geocoder = base[2]
    r = geocoder.geocode("南山区柯北贸易中心101")  # the only building holds room 101
    assert (r.status, r.level) == ("matched", "room") and r.full_text.endswith("6栋101室")
    r = geocoder.geocode("南山区柯北贸易中心3264")  # it does not hold 3264: the compound
    assert (r.status, r.level) == ("partial", "compound") and "3264" in r.reason
    r = geocoder.geocode("南山区广博工业园442")  # the number read as a room is the building
    assert (r.status, r.level) == ("matched", "building")


def test_what_is_typed_below_a_found_place_is_read_by_the_names_the_base_holds_there(base):
    geocoder = base[2]

    def reached(text):
        r = geocoder.geocode(text)
        return r.status, r.level, r.full_text, r.reason

    status, level, full, reason = reached("南山区凤鸣苑53幢11号")
    assert (status, level) == ("matched", "unit") and full.endswith("53幢11号")
    assert "read as unit 11号" in reason and "not found" not in reason
    # the letter stays with its room; a delivery note after it is no address
    status, level, full, _ = reached("南山区嘉欣华庭8-215A电联")
    assert (status, level) == ("matched", "room") and full.endswith("215A")
    status, level, _, _ = reached("南山区金福小区金福1号楼7单元736")
    assert (status, level) == ("matched", "room")
    status, level, _, _ = reached("南山区景坛路135号庆春银泰负3楼桑语专柜")
    assert (status, level) == ("matched", "floor")
    status, level, _, _ = reached("南山区丹桂街86号迪凯国际中心79F")
    assert (status, level) == ("matched", "floor")
    status, level, _, reason = reached("南山区格兰云天二期171幢1025室")
    assert (status, level) == ("matched", "room") and "2期 not checked" in reason
    # one character where the building word belongs, between numbers the base confirms
    status, level, _, reason = reached("南山区阳光棕榈园1组团1冻1单元301室")
    assert (status, level) == ("matched", "room") and "冻 not checked" in reason
    # a run of digits is never cut (71161 is not unit 7, room 1161), nor 1期 a floor
    status, level, _, _ = reached("南山区龚家园101栋71161")
    assert (status, level) == ("partial", "building")
    # the elements listed are as the base read them
    r = geocoder.geocode("南山区凤鸣苑53幢11号")
    assert [(e.level, e.value) for e in r.elements if e.level in ("building", "unit", "room")] == [
        ("building", "53栋"), ("unit", "11号")]


def test_the_later_of_two_admin_chains_is_the_address(base):
    geocoder = base[2]
    # a form's chain, then the real one (with or without the country before it)
    for text in ("河南省漯河市召陵区中国广东省深圳市南山区朝晖路416弄173号",
                 "四川省成都市郫都区广东省深圳市南山区朝晖路416弄173号",
                 "广东省广州市天河区广东深圳南山区朝晖路416弄173号"):
        r = geocoder.geocode(text)
        assert (r.status, r.level) == ("matched", "building"), (text, r.reason)
        assert "dropped, the later one read" in r.reason


def test_a_province_name_starts_a_second_chain_only_when_an_area_inside_it_follows():
    def admin(text):
        return [(e.level, e.value) for e in parse(text).elements
                if e.level in ("province", "city", "county")]

    assert admin("安徽省宿州市萧县浙江省杭州市淳安县千岛湖镇") == [
        ("province", "浙江省"), ("city", "杭州市"), ("county", "淳安县")]
    assert admin("浙江省杭州市西湖区浙江商城5号") == [
        ("province", "浙江省"), ("city", "杭州市"), ("county", "西湖区")]
    assert admin("浙江省杭州市西湖区浙江省人民医院") == [
        ("province", "浙江省"), ("city", "杭州市"), ("county", "西湖区")]


def test_a_city_or_county_typed_in_full_starts_a_second_chain_when_an_area_in_it_follows():
    def admin(text):
        p = parse(text)
        return [(e.level, e.value) for e in p.elements
                if e.level in ("city", "county", "township")], p.admin.notes

    # a wrong city, then the real county and its town; a city, then another with its county
    found, notes = admin("衢州德清县武康镇顺达路975号")
    assert found == [("county", "德清县"), ("township", "武康镇")]
    assert any("typed again from 德清县: 衢州 dropped" in n for n in notes), notes
    found, _ = admin("温州广州市荔湾区站前路167号")
    assert found == [("city", "广州市"), ("county", "荔湾区")]
    # the city typed again, with another of its counties after it: the later is read
    found, _ = admin("浙江省宁波市海曙区宁波市镇海区招宝山街道平海路1225号")
    assert found == [("city", "宁波市"), ("county", "镇海区"), ("township", "招宝山街道")]
    # a county typed again with its own township after it is one chain, said nothing of
    found, notes = admin("深圳市南山区南山区粤海街道")
    assert found == [("city", "深圳市"), ("county", "南山区"), ("township", "粤海街道")]
    assert not notes
    # a county not inside the city, with no area of its own after it, is not read
    found, notes = admin("浙江省杭州市柯桥区万商路1875号")
    assert found == [("city", "杭州市")] and "柯桥区 is not inside 杭州市; ignored" in notes


def test_of_two_known_places_typed_one_after_the_other_the_later_lies_in_the_earlier(base):
    geocoder = base[2]
    r = geocoder.geocode("南山区滨海工业区风华园小区")
    assert (r.status, r.level) == ("matched", "compound") and r.full_text.endswith("风华园小区")
    assert "place 滨海工业区 before the street not checked" in r.reason
    r = geocoder.geocode("南山区滨海工业区")  # alone, the earlier is the place
    assert (r.status, r.level) == ("matched", "compound") and r.full_text.endswith("滨海工业区")


def test_a_name_that_is_only_a_numbered_element_is_no_street_name():
    assert is_numbered_name("43号") and is_numbered_name("二幢") and is_numbered_name("一号楼")
    assert not is_numbered_name("三元里") and not is_numbered_name("七星花园")
    assert not is_numbered_name("高新南一道")


def test_a_level_the_base_leaves_out_never_hides_what_is_typed_below_it(base):
    geocoder = base[2]

    def reached(text):
        r = geocoder.geocode(text)
        return r.status, r.level, r.full_text or "", r.reason

    # 12楼 before a unit, where the compound has no buildings: the floor of that unit
    status, level, full, reason = reached("南山区翠湖南苑12楼3单元")
    assert (status, level) == ("matched", "floor") and full.endswith("3单元12楼")
    assert "12楼 read as a floor" in reason
    # a number after the door read as a building where the base has none: the room there
    status, level, full, _ = reached("南山区海德四道20号海景酒店815号")
    assert (status, level) == ("matched", "room") and full.endswith("815号")
    # a building typed that the door lacks, nothing below it: partial, never matched above
    status, level, _, reason = reached("南山区海德四道20号海景酒店9栋")
    assert (status, level) == ("partial", "door") and "9栋" in reason
    # no building typed: a room filed straight under the compound is found beside buildings
    status, level, full, _ = reached("南山区南油商贸城6楼36041")
    assert (status, level) == ("matched", "room") and full.endswith("36041")
    # no such door on the road, and one room so numbered straight under it
    status, level, full, reason = reached("南山区桂庙路2514")
    assert (status, level) == ("matched", "room") and "read as a room of 桂庙路" in reason


def test_a_phase_typed_where_the_base_writes_none_is_stepped_over(base):
    geocoder = base[2]
    r = geocoder.geocode("南山区桃园路二期11栋3单元1154室")
    assert (r.status, r.level) == ("matched", "room") and "2期 not checked" in r.reason
    # the elements say the phase was passed and the building is 11栋 as typed
    assert [(e.level, e.value, e.span) for e in r.elements if e.level in ("zone", "building")
            ] == [("zone", "2期", (6, 8)), ("building", "11栋", (8, 11))]
    # what follows the building is read by what the base holds there (46号 a unit)
    r = geocoder.geocode("南山区南湾4区11栋46号")
    assert (r.status, r.level) == ("matched", "unit") and r.full_text.endswith("11栋46号")
    # a sub-number that the base holds as a unit numbered with 号
    r = geocoder.geocode("南山区桥东新村13-13号")
    assert (r.status, r.level) == ("matched", "unit") and r.full_text.endswith("13-13号")
    assert [(e.level, e.value) for e in r.elements if e.level in ("building", "unit")] == [
        ("building", "13"), ("unit", "13号")]


def test_the_later_place_typed_after_a_zone_is_the_answer(base):
    r = base[2].geocode("南山区蛇口新区华强电子有限公司")
    assert (r.status, r.level) == ("matched", "compound")
    assert r.full_text.endswith("华强电子有限公司") and "place 蛇口新区" in r.reason


def test_a_compound_guessed_elsewhere_does_not_outweigh_the_road_typed_exactly(base):
    r = base[2].geocode("南山区南光路南光西苑144幢4单元1521")
    assert (r.status, r.level) == ("matched", "room") and r.full_text.endswith("1521")
    assert "compound 南光西苑 not found on 南光路" in r.reason


def test_text_after_the_door_that_names_no_known_compound_is_read_below_it(base):
    geocoder = base[2]
    r = geocoder.geocode("南山区新华路368号后幢")
    assert (r.status, r.level) == ("matched", "building") and r.full_text.endswith("368号后幢")
    # a second building typed that nothing read has: not understood, never dropped
    r = geocoder.geocode("南山区大桥路12号4幢9幢")
    assert (r.status, r.level) == ("partial", "building") and "not understood: 9栋" in r.reason


def test_a_compound_on_a_road_with_no_door_number_is_kept_and_read_as_a_compound(base):
    engine, _, geocoder = base
    t = Address.__table__
    with engine.connect() as conn:
        kept = conn.execute(select(t.c.compound).where(t.c.value == "2608室")).scalar()
    assert kept == "湾厦大厦"
    r = geocoder.geocode("南山区湾厦路湾厦大厦2608室")
    assert (r.status, r.level) == ("matched", "room")
    assert r.full_text.endswith("湾厦路湾厦大厦2608室")  # the compound's name in it
    assert ("compound", "湾厦大厦") in [(e.level, e.value) for e in r.elements]
    # the name is held exactly: never read as a typo of another compound's name
    r = geocoder.geocode("深圳市南山区湾厦大厦5号")
    assert r.status != "matched" and "湾夏大厦" not in (r.full_text or "") + r.reason


def test_a_village_or_town_glued_before_an_unknown_road_is_kept_apart():
    def read(text):
        p = parse(text, streets=NameLexicon())
        return ([(e.level, e.value) for e in p.elements if e.level == "road"],
                [(e.level, e.value) for e in p.leftovers])

    assert read("南山区东坑村海昌北路706号") == ([("road", "海昌北路")], [("place", "东坑村")])
    assert read("南山区白石湖镇双桥路8号") == ([("road", "双桥路")], [("place", "白石湖镇")])
    # an area word early in a road's own name, or too little after it, is the road's
    assert read("南山区新村路5号") == ([("road", "新村路")], [])
    assert read("南山区刘家村东路5号") == ([("road", "刘家村东路")], [])


def test_numbers_after_a_floor_are_inside_it_and_a_roads_first_number_is_its_door():
    def levels(text):
        return [(e.level, e.value) for e in parse(text).elements
                if e.level in ("road", "door", "building", "floor", "room")]

    assert levels("南山区轻工市场三楼819号") == [("floor", "3楼"), ("room", "819号")]
    # a door with its sub-number, as 344-110号 is (the match reads it as the base holds it)
    assert levels("南山区东滨路344-110") == [("road", "东滨路"), ("door", "344-110")]
    assert levels("南山区东滨路344-110室") == [("road", "东滨路"), ("door", "344"), ("room", "110")]


def test_a_bare_number_that_is_no_door_of_the_road_is_its_building(base):
    r = base[2].geocode("南山区沙河路海月花园8-341")
    assert (r.status, r.level) == ("matched", "room") and r.full_text.endswith("341")


def test_a_building_named_by_its_use_names_no_place_after_another_name(base):
    geocoder = base[2]
    # where the base holds it alone, it is found so
    r = geocoder.geocode("南山区综合楼")
    assert (r.status, r.level, r.full_text) == ("matched", "compound", "广东省深圳市南山区综合楼")
    # after a place the base holds, it is that place's building, not the other 综合楼: the
    # place is the answer and the use is said not understood (its base holds no building)
    r = geocoder.geocode("南山区西范大院综合楼电联")
    assert r.full_text.endswith("西范大院") and "not understood: 综合楼" in r.reason, r.reason
    # after a name the base lacks, no place is found inside the name typed, unless what is
    # typed after it is what the base holds there
    r = geocoder.geocode("深圳市南山区江北西范综合楼")
    assert (r.status, r.level) == ("partial", "county"), (r.status, r.level, r.reason)
    r = geocoder.geocode("深圳市南山区陈庄综合楼四楼")
    assert (r.status, r.level) == ("matched", "floor") and "place 陈庄" in r.reason, r.reason


def test_a_short_place_name_after_a_village_is_read_only_before_a_door_number(base):
    geocoder = base[2]
    r = geocoder.geocode("深圳市南山区粤海街道雅庄后山104号")
    assert (r.status, r.level) == ("matched", "door") and r.full_text.endswith("后山104号")
    assert "place 雅庄" in r.reason, r.reason
    # with no door number after it, the longer name is not read as the short one
    r = geocoder.geocode("深圳市南山区粤海街道雅庄后山")
    assert r.level == "township", (r.status, r.level, r.reason)
    # nor is a road of two characters read at the end of a longer road's name
    r = geocoder.geocode("深圳市南山区粤海街道春秋北路3号")
    assert r.level == "township", (r.status, r.level, r.reason)


def test_a_street_typed_with_a_wrong_township_is_read_in_the_county_typed(base):
    geocoder = base[2]
    # 海德三道 lies in 粤海街道; typed with 南头街道 of the same county it is still found
    r = geocoder.geocode("广东省深圳市南山区南头街道海德三道119号")
    assert (r.status, r.level) == ("matched", "door"), r.reason
    assert "海德三道 is not in 南头街道; read in the township's county, 南山区" in r.reason
    assert r.score < geocoder.geocode("广东省深圳市南山区粤海街道海德三道119号").score
    # a county typed wrong is not widened: no street of another county is guessed
    r = geocoder.geocode("广东省深圳市福田区南头街道海德三道119号")
    assert r.level not in ("road", "door"), (r.status, r.level, r.reason)


def test_a_known_name_begun_inside_unknown_text_wins_over_the_part_it_ends_with(base):
    geocoder = base[2]
    # 荷叶塘 (a place the base lacks) glued before 下西陶5区: the longer name is read, not 5区
    r = geocoder.geocode("深圳市南山区荷叶塘下西陶5区1081号")
    assert (r.status, r.level) == ("matched", "building"), r.reason
    assert r.full_text.endswith("下西陶5区1081号")


def test_a_crossing_is_on_the_first_road_and_says_the_other(base):
    geocoder = base[2]
    r = geocoder.geocode("深圳市南山区科苑路与学府路交叉口")
    assert (r.status, r.level) == ("matched", "road") and r.full_text.endswith("科苑路")
    assert "crossing with 学府路 not checked" in r.reason, r.reason
    # what follows the crossing is read afresh: a place the base holds on the road
    r = geocoder.geocode("深圳市南山区科苑路和学府路路口科兴科学园3期12栋2单元1201室")
    assert (r.status, r.level) == ("matched", "room"), r.reason
    # where the base holds only the other road, the place is on that one
    r = geocoder.geocode("深圳市南山区盈丰路与学府路交汇处")
    assert r.level == "road" and r.full_text.endswith("学府路"), (r.level, r.reason)
    assert "crossing with 盈丰路 not checked" in r.reason, r.reason


def test_a_crossing_is_read_by_its_words_not_by_a_road_name_beginning_with_one():
    crossing = [e.value for e in parse("中山路与解放路十字路口").leftovers if e.level == "crossing"]
    assert crossing == ["解放路"]
    # 和平路 begins with 和: no crossing with a road 平路
    parsed = parse("中山路和平路交叉口")
    assert not [e for e in parsed.leftovers if e.level == "crossing"]
    assert [e.value for e in parse("和平路12号").elements] == ["和平路", "12号"]


def test_an_organisation_after_the_door_is_read_as_the_place_it_names(base):
    geocoder = base[2]
    # the base holds the door, not the company: the door is the answer, the company said
    r = geocoder.geocode("深圳市南山区文心五路33号深圳智联电子有限公司")
    assert r.level == "door" and r.full_text.endswith("文心五路33号"), (r.level, r.reason)
    assert any(e.level == "compound" and e.value == "深圳智联电子有限公司" for e in r.elements)
    assert "not understood" not in r.reason, r.reason


def test_a_place_named_like_a_far_city_is_read_by_its_name_one_named_like_a_near_one_is_not(
        base):
    geocoder = base[2]
    # 长春 is a city of 吉林, nobody's area inside a Shenzhen address: the place's own name,
    # not a place before 五区 (which the base holds elsewhere, 5区 at 77号)
    r = geocoder.geocode("深圳市南山区长春五区97-10号店面")
    assert (r.status, r.level) == ("matched", "room"), (r.level, r.reason)
    assert r.full_text.endswith("长春97-10号"), r.full_text
    # a shop called 广州 in Guangdong would hide the city typed: no street name
    streets = geocoder.index.streets
    assert streets.get("长春") == ["compound"] and not streets.get("广州")


def test_a_road_held_only_elsewhere_typed_before_a_road_held_here_is_a_place_before_it(base):
    geocoder = base[2]
    for text, place in (("深圳市南山区王家埭桂庙路3号", "王家埭"),  # read as a compound
                        ("深圳市南山区王家桂庙路3号", "王家")):  # read as a crossing
        r = geocoder.geocode(text)
        assert (r.status, r.level) == ("matched", "door"), (text, r.level, r.reason)
        assert r.full_text.endswith("桂庙路3号"), r.full_text
        assert f"place {place} before the street not checked" in r.reason, r.reason
    # in the county that holds it, 王家 is the road, and the road after it is not read so
    r = geocoder.geocode("深圳市福田区王家1号")
    assert (r.status, r.level) == ("matched", "door"), r.reason


def test_a_compound_named_across_the_part_typed_after_an_area_name_is_read_so(base):
    geocoder = base[2]
    # 南山商会 + 南楼, or 南山 (the county typed again) + 商会南楼: the base holds the room in
    # the second
    r = geocoder.geocode("深圳市南山区南山商会南楼3681室")
    assert (r.status, r.level) == ("matched", "room"), r.reason
    assert r.full_text.endswith("商会南楼3681室"), r.full_text
    assert "南山商会南楼 read as 商会南楼 of 南山" in r.reason, r.reason
    # alone, the compound typed is the one read
    r = geocoder.geocode("深圳市南山区南山商会")
    assert (r.status, r.level) == ("matched", "compound") and r.full_text.endswith("南山商会")


def test_a_chain_typed_again_by_short_names_names_where_the_street_is_when_the_first_does_not(
        base):
    geocoder = base[2]
    # a form's chain (湖南省长沙市岳麓区), then the sender's own by short names
    for text in ("湖南省长沙市岳麓区深圳南山科苑路15号",
                 "湖南省长沙市岳麓区广东深圳南山科苑路15号"):
        r = geocoder.geocode(text)
        assert (r.status, r.level) == ("matched", "door"), (text, r.reason)
        assert "南山区" in r.full_text and "科苑路15号" in r.full_text, r.full_text
        assert "read as 南山区 (the areas typed before it do not hold the street)" in r.reason


def test_rooms_listed_are_one_run_of_rooms_as_the_base_lists_them(base):
    geocoder = base[2]
    for text in ("南山区大桥路12号4幢101、102号", "南山区大桥路12号4幢101-102室"):
        r = geocoder.geocode(text)
        assert (r.status, r.level) == ("matched", "room"), (text, r.reason)
        assert r.full_text.endswith("4幢101、102号"), r.full_text
    # numbers too far apart to be one run are not read as one
    assert element_key("room", "101、305") != element_key("room", "101、102号")


def test_a_compound_the_base_does_not_hold_is_said_wherever_it_is_typed(base):
    geocoder = base[2]
    # before the door as after it: the door is the answer, the compound named as not checked
    for text in ("南山区桂庙路银河大厦3号", "南山区桂庙路3号银河大厦"):
        r = geocoder.geocode(text)
        assert r.level == "door" and r.full_text.endswith("桂庙路3号"), (text, r.reason)
        assert "银河大厦 not checked (the base holds no place so named here)" in r.reason, r.reason
    # a stall numbered as a run with its block's letter, in the market the road keeps
    r = geocoder.geocode("南山区粤海街道瑞康路皮革交易中心D113-115号")
    assert (r.status, r.level) == ("matched", "room"), r.reason
