"""Admin text as forms and people type it (issue 16): placeholders in the chain, township
names typed short with no county, townships the table lacks glued to what follows, and
road names that begin like an area.

The addresses are hand-written in the corpus's forms, not taken from it.
"""

from addressing.admin import default_gazetteer
from addressing.lexicon import NameLexicon
from addressing.parse import parse


def elements(text, streets=None):
    return [(e.level, e.value) for e in parse(text, streets=streets).elements]


def street_lexicon(**names):
    streets = NameLexicon()
    for name, kind in names.items():
        streets.add(name, kind)
    return streets


# -- kinds typed wrong -------------------------------------------------------------------

def test_an_autonomous_region_typed_as_a_province_is_that_region():
    p = parse("广西省百色市隆林县新州镇")
    assert [(e.level, e.code) for e in p.elements] == [
        ("province", "450000000000"), ("city", "451000000000"), ("county", "451031000000"),
        ("township", "451031100000")]
    assert "wrong kind: 广西省 is 广西壮族自治区" in " ".join(p.notes)
    # by an informal short name, and as an autonomous region without its people's name
    assert parse("新疆省乌鲁木齐市天山区").get("county").code == "650102000000"
    assert parse("广西自治区南宁市青秀区").get("county").code == "450103000000"
    assert parse("内蒙古自治区呼和浩特市新城区").notes == []


# -- placeholders ------------------------------------------------------------------------

def test_a_forms_placeholder_is_skipped_and_said():
    p = parse("浙江省杭州市NULL西湖区文三路5号")
    assert [e.level for e in p.elements] == ["province", "city", "county", "road", "door"]
    assert p.get("county").code == "330106000000"
    assert "placeholder NULL skipped (not an area)" in p.notes
    assert elements("广东省-广州市-市辖区-天河区天河路5号")[2] == ("county", "天河区")
    # lower case, as exports write it, and a catch-all level before the street
    assert elements("江苏省南京市其它区中山路3号")[2:] == [("road", "中山路"), ("door", "3号")]
    assert elements("江苏省南京市null中山路3号")[2:] == [("road", "中山路"), ("door", "3号")]


def test_a_placeholder_before_the_real_chain_lets_the_later_chain_win():
    p = parse("天津市武清区其它地区天津市武清区杨村街道光明路8号")
    assert p.get("township").code == "120114001000"
    assert any("admin chain typed again" in n for n in p.notes)


def test_a_short_placeholder_is_one_only_before_an_area():
    assert ("township", "花桥镇") in elements("重庆市县花桥镇东风村")
    # 其他 before no area is text of the street (a road may be named so)
    assert elements("杭州市其他路3号")[1:] == [("road", "其他路"), ("door", "3号")]


# -- a township's short name with no county before it ------------------------------------

def test_a_short_township_name_after_its_city_is_that_township_when_it_is_the_only_one():
    p = parse("杭州市九堡东大门3号")
    township = p.get("township")
    assert township.value == "九堡"
    assert default_gazetteer().table.by_code[township.code].name == "九堡街道"
    assert ("township", "下沙") in elements("浙江省-杭州市-市辖区下沙学源街9号")


def test_a_short_township_name_shared_in_the_city_is_not_guessed_and_says_why():
    p = parse("金华市城西梅龚路10号")  # 城西街道 of 婺城区 and of 义乌市
    assert p.get("township") is None
    assert any("城西 may be a township of 义乌市/婺城区" in n for n in p.notes)


def test_a_short_township_name_before_a_compound_word_names_the_compound():
    assert elements("北京市北苑家园3栋") == [("province", "北京市"), ("compound", "北苑家园"),
                                            ("building", "3栋")]
    assert ("compound", "望江东园") in elements("杭州市望江东园12栋")


# -- a township the table lacks, glued to what follows ------------------------------------

def test_a_township_the_table_lacks_is_split_from_the_road_or_village_after_it():
    p = parse("诸暨市草塔镇上林塘12号")  # 草塔镇 was merged away
    assert [(e.level, e.value) for e in p.elements][1:] == [
        ("township", "草塔镇"), ("road", "上林塘"), ("door", "12号")]
    p = parse("瑞安市莘城镇东山村8号")  # 莘城 typed for 莘塍
    assert [(e.level, e.value) for e in p.leftovers] == [("place", "莘城镇"),
                                                         ("village", "东山村")]
    assert ("township", "莘城镇") in elements("瑞安市莘城镇东山村8号")


def test_a_town_in_a_compound_name_is_not_split_out():
    assert ("compound", "江南古镇花园") in elements("宁波市海曙区江南古镇花园3栋")


# -- road names that begin like an area ---------------------------------------------------

def test_a_short_area_name_before_a_direction_and_a_road_word_begins_the_road():
    # 西乡 (of 西乡街道, and 西乡县) ends in 乡, the kind word of no level it names here.
    assert elements("广东省深圳市宝安区西乡中路12号")[3:] == [("road", "西乡中路"),
                                                              ("door", "12号")]
    assert elements("西乡北路3号") == [("road", "西乡北路"), ("door", "3号")]
    # a short name typed with its own kind word is still the area (麻勘社区 of 麻勘社区居委会)
    assert ("village", "麻勘社区") in elements("深圳市南山区西丽街道麻勘社区大磡广场")


def test_a_villagers_group_is_not_read_as_a_road_after_its_village():
    streets = street_lexicon(民小组="road", 上屋村民小组="road")
    assert ("road", "上屋村民小组") in elements(
        "云南省昭通市镇雄县芒部镇松林村民委员会上屋村民小组12号", streets)
    only_other = street_lexicon(民小组="road")
    assert ("road", "民小组") not in elements("广州市白云区京溪街道黄石村民小组5号", only_other)


def test_a_road_the_base_holds_that_begins_with_the_village_word_wins():
    streets = street_lexicon(村南街="road", 南街="road")
    p = parse("广州市白云区京溪街道梅花角村南街23号", streets=streets)
    assert p.get("road").value == "村南街"
    assert [(e.level, e.value) for e in p.leftovers] == [("place", "梅花角")]
    # with no such road held, the village stays apart from the road after it
    p = parse("广州市白云区京溪街道梅花角村东街23号", streets=street_lexicon(东街="road"))
    assert p.get("road").value == "东街"


def test_a_county_its_province_administers_directly_is_read_after_a_city():
    p = parse("新疆省阿克苏地区阿拉尔市")
    assert p.get("county").code == "659002000000"
    assert "阿拉尔市 is administered by its province directly, not by 阿克苏地区; " \
        "阿克苏地区 passed" in p.notes
    assert parse("湖北省荆州市潜江市园林街道").get("township").code.startswith("429005")
