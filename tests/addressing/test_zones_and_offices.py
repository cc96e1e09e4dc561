"""Industrial and development zones, township offices and village committees, and road
segments as real address text writes them (issue 16), on both stores.

The examples are hand-written, in 余姚市 (330281), not taken from any corpus. The division
table names townships 工业园区 and 经济开发区 in other counties: typed after a town here
they are its zone.
"""

from addressing.parse import parse
from tests.addressing.hand_base import base_geocoder, reached

BASE = [
    # a town's zone the base holds as a compound, with numbers of its own
    ["330281", "大隐镇", "", "", "", "工业园区", "36号", "", "", ""],
    # roads in zones the base does not hold by the zone's name
    ["330281", "", "", "华夏路", "616号", "", "", "", "", ""],
    ["330281", "", "", "玉盘路", "148", "", "", "", "", ""],
    # a zone the base holds by the bare word, elsewhere in the county
    ["330281", "", "", "", "", "工业园", "", "", "", ""],
    # a county's zone filed at a door of one road
    ["330281", "", "", "龙舟路", "977号", "经济开发区", "", "", "", ""],
]


geocoder = base_geocoder(BASE)


def test_a_towns_zone_the_base_holds_is_found_with_its_numbers(geocoder):
    status, level, full, reason = reached(geocoder, "余姚市大隐镇工业园区36号")
    assert (status, level) == ("matched", "building"), reason
    assert full.endswith("大隐镇工业园区36号")
    assert "not inside" not in reason
    status, level, full, reason = reached(geocoder, "余姚市大隐镇工业园区华美超市")
    assert (level, full[-7:]) == ("compound", "大隐镇工业园区"), reason
    assert "华美超市" in reason


def test_a_zone_the_base_does_not_hold_leaves_the_road_after_it(geocoder):
    for text, road in (("余姚市经济开发区华夏路616号", "华夏路616号"),
                       ("余姚市城东工业园玉盘路148", "玉盘路148"),
                       ("余姚市大隐镇经济开发区华夏路616号", "华夏路616号")):
        status, level, full, reason = reached(geocoder, text)
        assert (status, level) == ("matched", "door"), (text, reason)
        assert full.endswith(road), text


def test_a_zone_does_not_locate_a_road_the_base_lacks(geocoder):
    # The zone is held at 龙舟路977号: a door typed on another road is not there.
    status, level, full, reason = reached(geocoder, "余姚市经济开发区新洲路1765号")
    assert level == "county", (full, reason)
    assert "新洲路" in reason and "经济开发区" in reason


def test_an_area_after_the_zone_is_read():
    parsed = parse("宁波市经济技术开发区江北区环城北路8号")
    assert [(e.level, e.value) for e in parsed.elements if e.level == "county"] == [
        ("county", "江北区")]
    assert any("经济技术开发区 read as a zone" in n for n in parsed.notes)


def test_zone_forms_without_a_base():
    def street(text):
        parsed = parse(text)
        return ([(e.level, e.value) for e in parsed.elements if e.level in (
            "road", "compound", "door")], [(e.level, e.value) for e in parsed.leftovers])

    assert street("余姚市大隐镇工业园区36号") == ([("compound", "工业园区"), ("door", "36号")], [])
    assert street("余姚市城东工业园玉盘路148") == (
        [("road", "玉盘路"), ("compound", "城东工业园"), ("door", "148")], [])
    # a place in the zone is the finer; a part of the zone is not a place of its own
    assert street("余姚市高新区研发园8号楼") == ([("compound", "研发园")], [("place", "高新区")])
    # a road named after the zone, and a zone's township, are not split
    assert street("余姚市开发区大道8号")[0] == [("road", "开发区大道"), ("door", "8号")]
    assert ("road", "街道") not in street("余姚市经济开发区街道迎宾路8号")[0]


OFFICE_BASE = [
    ["420106", "水果湖街道", "", "黄鹂路", "", "东亭小区", "10栋", "", "", ""],
    ["420102", "谌家矶街道", "", "", "", "天兴花园", "1280栋", "", "", ""],
]


office_geocoder = base_geocoder(OFFICE_BASE)  # places in 武昌区 and 江岸区


def test_a_subdistrict_named_by_its_office_is_the_subdistrict(office_geocoder):
    for text, end in (("武昌区水果湖街街道水果湖街办事处黄鹂路东亭小区10栋", "10栋"),
                      ("武昌区水果湖办事处黄鹂路东亭小区10栋", "10栋"),
                      ("江岸区谌家矶街办事处天兴花园1280栋", "天兴花园1280栋")):
        status, level, full, reason = reached(office_geocoder, text)
        assert (status, level) == ("matched", "building"), (text, reason)
        assert full.endswith(end) and "办事处" not in reason, (text, full, reason)


def test_an_office_the_table_does_not_name_as_typed_is_a_place_before_the_street(
        office_geocoder):
    # 谌家矶 typed as 湛家机 (a slip): the office is a place, the estate after it the street
    status, level, full, reason = reached(office_geocoder, "江岸区湛家机街办事处天兴花园1280栋")
    assert (status, level) == ("matched", "building") and full.endswith("天兴花园1280栋")
    assert "place 湛家机街办事处 before the street not checked" in reason, reason
    # read so by the grammar alone, with no base's names to go by
    p = parse("江岸区湛家机街办事处天兴花园1280栋")
    assert [(e.level, e.value) for e in p.elements if e.level in ("road", "compound")] == [
        ("compound", "天兴花园")]
    assert ("place", "湛家机街办事处") in [(e.level, e.value) for e in p.leftovers]


def test_a_village_named_by_its_committee_is_a_village(office_geocoder):
    for text, village in (("武昌区王潘流村委会门口", "王潘流村委会"),
                          ("武昌区水果湖街道彭村行政村村民委员会", "彭村行政村村民委员会"),
                          # typed last with nothing of the street before it, a village the
                          # base lacks is a village too, not a compound
                          ("武昌区水果湖街道五福村", "五福村")):
        status, level, _, reason = reached(office_geocoder, text)
        assert status == "partial" and level in ("county", "township"), (text, reason)
        assert f"village {village} not checked" in reason, reason
        assert "not understood" not in reason
        assert "compound" not in {e.level for e in office_geocoder.geocode(text).elements}


SEGMENT_BASE = [
    ["330212", "福明街道", "", "世纪大道", "989号", "", "", "", "", ""],
    ["330212", "", "", "环城北路东段", "18号", "", "", "", "", ""],
]


segment_geocoder = base_geocoder(SEGMENT_BASE)  # one road held with its segment


def test_a_road_segment_the_base_does_not_write_is_passed(segment_geocoder):
    status, level, full, reason = reached(segment_geocoder, "鄞州区世纪大道北段989号")
    assert (level, full[-8:]) == ("door", "世纪大道989号"), reason
    assert "segment 北段" in reason and "not understood" not in reason
    # held with its segment: the name holds it
    status, level, full, reason = reached(segment_geocoder, "鄞州区环城北路东段18号")
    assert (status, level) == ("matched", "door") and full.endswith("环城北路东段18号"), reason
