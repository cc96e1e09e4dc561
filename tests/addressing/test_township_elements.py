"""A township the text names is an element of the parse, decided or not."""

from addressing.parse import parse


def townships(text):
    """The township elements of a parse: the text of each span, and its code."""
    return [(text[e.span[0]:e.span[1]], e.code) for e in parse(text).elements
            if e.level == "township"]


def levels(text):
    return [e.level for e in parse(text).elements]


def test_a_township_typed_under_the_wrong_county_is_named_not_decided():
    text = "江苏省苏州市姑苏区木渎镇长江路88号"  # 木渎镇 lies in 吴中区
    assert townships(text) == [("木渎镇", None)]
    assert levels(text) == ["province", "city", "county", "township", "road", "door"]
    assert "木渎镇 is not inside 姑苏区; ignored" in parse(text).notes


def test_a_subdistrict_named_by_its_office_is_the_subdistrict():
    assert townships("广东省深圳市南山区粤海街道办事处科苑路15号") == [
        ("粤海街道办事处", "440305007000")]
    assert townships("广东省深圳市福田区粤海街道办事处深南大道1号") == [("粤海街道办事处", None)]


def test_a_township_after_an_area_the_table_lacks_is_named_at_its_own_span():
    # 吴县 is no area of the NBS 2023 table; the township after it still is one by name.
    text = "江苏省苏州市吴县木渎镇中山路18号"
    assert townships(text) == [("木渎镇", None)]
    assert [e.value for e in parse(text).leftovers if e.level == "place"] == ["吴县木渎镇"]


def test_a_township_no_table_holds_is_named_when_typed_with_its_kind_word():
    assert townships("江苏省苏州市青禾街道长江路6号") == [("青禾街道", None)]


def test_a_bare_kind_word_or_a_road_is_no_township():
    assert townships("江苏省苏州市吴中区长江路6号") == []
    assert townships("浙江省温州市鹿城区镇前路6号") == []


def test_a_short_area_name_before_a_direction_and_a_road_word_begins_the_road():
    def read(text):
        return [(e.level, text[e.span[0]:e.span[1]]) for e in parse(text).elements]

    # 西湖 (西湖区) and 新塘 (新塘街道) begin these roads: no area is typed after them.
    assert read("浙江省杭州市西湖北路12号") == [
        ("province", "浙江省"), ("city", "杭州市"), ("road", "西湖北路"), ("door", "12号")]
    assert read("浙江省杭州市萧山区新塘西路8号")[-2:] == [("road", "新塘西路"), ("door", "8号")]
    # with an area after it, the short name is the area
    assert read("杭州西湖西溪街道文二路5号")[:3] == [
        ("city", "杭州"), ("county", "西湖"), ("township", "西溪街道")]
