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
