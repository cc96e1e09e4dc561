"""Names that look like numbers of a level, names that begin with the country, and lanes as
real texts write them (issue 16); on both stores.

The examples are hand-written, in 南山区 (440305) and 福田区 (440304), not taken from any
corpus.
"""


from addressing.index import name_key
from addressing.normalize import normalize
from addressing.parse import parse
from tests.addressing.hand_base import base_geocoder, reached

BASE = [
    # villages named with a numeral and a level's word (三房, 二楼, 五栋), held as roads
    ["440305", "", "", "三房村", "12号", "", "", "", "", ""],
    ["440305", "", "", "二楼村", "8号", "", "", "", "", ""],
    ["440305", "", "", "五栋村", "", "", "", "", "", ""],
    # compounds whose name begins with the country, and one without it
    ["440304", "", "", "", "", "中国皮具城", "3栋", "", "", ""],
    ["440304", "", "", "", "", "皮具城", "5栋", "", "", ""],
    ["440304", "", "", "", "", "中国茶都", "2栋", "", "", ""],
    # lanes held as the import holds 朝晖路416弄173号: a door of the road, keyed by the
    # lane, its doors at the building level
    ["440305", "", "", "南海大道", "王家弄", "", "199号", "", "", ""],
    ["440305", "", "", "南海大道", "199号", "", "", "", "", ""],
    ["440305", "", "", "桂庙路", "富兴路5弄", "", "119号", "", "", ""],
    ["440305", "", "", "东环路", "6巷12弄", "", "7号", "", "", ""],
    ["440305", "", "", "龙泉路", "8支弄", "", "12号", "", "", ""],
    ["440305", "", "", "学府路", "88号", "", "", "", "", ""],
    # a lane held, and beside it a door of the lane written whole in door_no
    ["440305", "", "", "创业路", "3巷5弄", "", "", "", "", ""],
    ["440305", "", "", "创业路", "3巷5弄9号", "", "", "", "", ""],
]


geocoder = base_geocoder(BASE)


def _reached(geocoder, text):
    return reached(geocoder, text)[:3]


def test_a_numeral_and_level_word_inside_a_village_name_stay_the_name():
    assert normalize("三房村委会").text == "三房村委会"
    assert normalize("二楼村3号").text == "二楼村3号"
    assert normalize("十三号街5号").text == "十三号街5号"
    assert normalize("3房村").text == "3房村"
    # in room, floor or group position they are numbers still
    assert normalize("三房").text == "3室"
    assert normalize("华星大厦三楼").text == "华星大厦3楼"
    assert normalize("六组村民小组").text == "6组村民小组"
    # read without a base, the village is one the division table lacks, not a room
    parsed = parse("深圳市南山区三房村委会12号")
    assert [(e.level, e.value) for e in parsed.elements][-1:] == [("door", "12号")]
    assert [(e.level, e.value) for e in parsed.leftovers] == [("village", "三房村委会")]


def test_villages_named_with_a_level_word_are_found(geocoder):
    assert _reached(geocoder, "深圳市南山区三房村委会12号") == (
        "matched", "door", "广东省深圳市南山区三房村12号")
    assert _reached(geocoder, "深圳市南山区二楼村八号") == (
        "matched", "door", "广东省深圳市南山区二楼村8号")
    status, level, full = _reached(geocoder, "深圳市南山区五栋村")
    assert (status, level, full) == ("matched", "road", "广东省深圳市南山区五栋村")


def test_the_country_is_dropped_only_before_a_province_or_city():
    assert normalize("中国广东省深圳市").text == "广东省深圳市"
    assert normalize("中国深圳南山区").text == "深圳南山区"
    assert normalize("河南省中国广东省深圳市").text == "河南省广东省深圳市"
    assert normalize("中国皮具城3栋").text == "中国皮具城3栋"
    assert name_key("中国皮具城") != name_key("皮具城")


def test_a_name_beginning_with_the_country_is_its_own(geocoder):
    assert _reached(geocoder, "深圳市福田区中国皮具城3栋") == (
        "matched", "building", "广东省深圳市福田区中国皮具城3栋")
    assert _reached(geocoder, "深圳市福田区皮具城5栋") == (
        "matched", "building", "广东省深圳市福田区皮具城5栋")
    # each compound's buildings are its own: no building 5栋 at 中国皮具城
    status, level, full = _reached(geocoder, "深圳市福田区中国皮具城5栋")
    assert (status, level, full) == ("partial", "compound", "广东省深圳市福田区中国皮具城")
    status, level, full = _reached(geocoder, "中国广东省深圳市福田区中国茶都2栋")
    assert (status, level, full) == ("matched", "building", "广东省深圳市福田区中国茶都2栋")


def _street(text):
    return [(e.level, e.value) for e in parse(text).elements
            if e.level in ("road", "door", "building", "room")]


def test_lanes_after_a_road_are_read_as_lanes():
    assert normalize("东环路六巷十二弄7号").text == "东环路6巷12弄7号"
    assert normalize("龙泉路八支弄12号").text == "龙泉路8支弄12号"
    assert normalize("八巷村").text == "八巷村"  # no lane chain: a name
    assert _street("东环路六巷十二弄7号") == [("road", "东环路"), ("door", "6巷12弄"),
                                          ("building", "7号")]
    assert _street("龙泉路8支弄12号") == [("road", "龙泉路"), ("door", "8支弄"),
                                      ("building", "12号")]


def test_a_lane_named_or_chained_after_a_road_is_the_roads_lane(geocoder):
    assert _reached(geocoder, "深圳市南山区南海大道王家弄199号") == (
        "matched", "building", "广东省深圳市南山区南海大道王家弄199号")
    assert _reached(geocoder, "深圳市南山区桂庙路富兴路5弄119号") == (
        "matched", "building", "广东省深圳市南山区桂庙路富兴路5弄119号")
    assert _reached(geocoder, "深圳市南山区东环路六巷十二弄7号") == (
        "matched", "building", "广东省深圳市南山区东环路6巷12弄7号")
    assert _reached(geocoder, "深圳市南山区龙泉路八支弄12号") == (
        "matched", "building", "广东省深圳市南山区龙泉路8支弄12号")
    # a stray character between the lane's door and the room (a slip for 号)
    assert _reached(geocoder, "深圳市南山区东环路6巷12弄7搞") == (
        "matched", "building", "广东省深圳市南山区东环路6巷12弄7号")


def test_a_lanes_door_is_not_the_roads(geocoder):
    # 88号 in 李家巷 is no door 88号 of the road: the lane is not in the base
    status, level, full = _reached(geocoder, "深圳市南山区学府路李家巷88号")
    assert (status, level, full) == ("partial", "road", "广东省深圳市南山区学府路")
    status, level, full = _reached(geocoder, "深圳市南山区学府路9支弄88号")
    assert (status, level, full) == ("partial", "road", "广东省深圳市南山区学府路")
    assert _reached(geocoder, "深圳市南山区学府路88号") == (
        "matched", "door", "广东省深圳市南山区学府路88号")


def test_a_lanes_door_written_whole_beside_the_lane_is_found(geocoder):
    """The lane is held with nothing numbered 9号 in it, the door 3巷5弄9号 beside it on the
    road: what is typed after the road is read by what the road holds."""
    r = geocoder.geocode("南山区创业路三巷五弄9号")
    assert (r.status, r.level) == ("matched", "door"), r.reason
    assert r.full_text.endswith("创业路3巷5弄9号")
    assert "read as door 3巷5弄9号" in r.reason
    r = geocoder.geocode("南山区创业路3巷5弄8号")  # no such door: the lane, partial
    assert (r.status, r.level) == ("partial", "door"), r.reason
    assert r.full_text.endswith("创业路3巷5弄")
