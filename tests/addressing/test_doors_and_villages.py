"""Doors written with a word before the number or a sub-door after it, and villages with
groups (issue 16), on both stores: a base that writes them imports them as written, and
typed addresses find each one, never the plain door in its place.

The examples are hand-written, in 南山区 (440305), not taken from any corpus.
"""


import pytest
from sqlalchemy import select

from addressing.door_numbers import split_sub_number
from addressing.grammar import village_names
from addressing.normalize import element_key, normalize
from addressing.parse import parse
from tests.addressing.hand_base import imported
from tests.stores import STORES
from twin.models import Address

BASE = [
    # a door, the doors written with a word before its number, its sub-doors held as doors
    ["440305", "粤海街道", "", "海德四道", "12号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德四道", "甲12号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德四道", "附1号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德四道", "12号之一", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德四道", "12号附3", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德四道", "37-1号", "", "", "", "", ""],
    # a road with the plain door only, and one holding a sub-door under its door
    ["440305", "粤海街道", "", "海德五道", "12号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "海德六道", "12号", "", "附3", "", "", ""],
    ["440305", "粤海街道", "", "海德六道", "12号", "", "之一", "", "", ""],
    # a village with groups, a natural village and doors of its own; a village of the same
    # township with a group of the same number; no road anywhere
    ["440305", "粤海街道", "", "永西村", "6组", "", "197号", "", "", ""],
    ["440305", "粤海街道", "", "永西村", "7组", "", "", "", "", ""],
    ["440305", "粤海街道", "", "永西村", "12号", "", "", "", "", ""],
    ["440305", "粤海街道", "", "永西村", "下庄", "", "12号", "", "", ""],
    ["440305", "粤海街道", "", "禾坪村委会", "6组", "", "197号", "", "", "101室"],
    # two places with no road, each numbering a door 5号: two doors, not one
    ["440305", "粤海街道", "", "", "5号", "百福公寓", "", "", "", ""],
    ["440305", "粤海街道", "", "", "5号", "沁心园", "", "", "", ""],
]


@pytest.fixture(scope="module", params=STORES)
def base(request, tmp_path_factory):
    """The base above imported once per store kind, and a geocoder over it."""
    with imported(BASE, tmp_path_factory.mktemp(request.param), request.param) as base:
        yield base


def test_doors_and_villages_import_as_written(base):
    engine, report, _ = base
    assert not report.problems
    t = Address.__table__
    with engine.connect() as conn:
        values = {(r.level, r.value) for r in conn.execute(select(t.c.level, t.c.value))}
        doors_5 = conn.execute(select(t.c.full_text).where(t.c.value == "5号")).scalars().all()
    assert {("door", "甲12号"), ("door", "附1号"), ("door", "12号之一"), ("door", "12号附3"),
            ("road", "永西村"), ("door", "6组"), ("building", "197号"), ("door", "下庄"),
            ("road", "禾坪村委会")} <= values
    assert sorted(doors_5) == sorted(["广东省深圳市南山区粤海街道百福公寓5号",
                                      "广东省深圳市南山区粤海街道沁心园5号"])


def _found(geocoder, text):
    r = geocoder.geocode(text)
    return r.status, r.level, r.full_text, r.reason


def test_a_door_with_a_word_before_its_number_is_its_own_door(base):
    geocoder = base[2]
    for text, door in (("南山区海德四道甲12号", "甲12号"), ("南山区海德四道甲十二号", "甲12号"),
                       ("南山区海德四道12号", "12号"), ("南山区海德四道附一号", "附1号")):
        status, level, full, reason = _found(geocoder, text)
        assert (status, level) == ("matched", "door"), (text, reason)
        assert full.endswith("海德四道" + door), (text, full)
    # the word before the number where the base has none: the road, never the plain door
    status, level, _, reason = _found(geocoder, "南山区海德五道甲12号")
    assert (status, level) == ("partial", "road") and "甲12号" in reason


def test_a_sub_door_is_found_as_the_base_holds_it_and_never_as_its_door(base):
    geocoder = base[2]
    # held as doors of their own, typed either way
    for text, door in (("南山区海德四道12号之一", "12号之一"),
                       ("南山区海德四道十二号之一", "12号之一"),
                       ("南山区海德四道12号附3", "12号附3"),
                       ("南山区海德四道12号附三号", "12号附3"),
                       ("南山区海德四道37-1号", "37-1号")):
        status, level, full, reason = _found(geocoder, text)
        assert (status, level) == ("matched", "door"), (text, reason)
        assert full.endswith("海德四道" + door), (text, full)
    # held under its door
    for text, sub in (("南山区海德六道12号附3", "附3"), ("南山区海德六道十二号之一", "之一")):
        status, level, full, reason = _found(geocoder, text)
        assert (status, level) == ("matched", "building") and full.endswith("12号" + sub), reason
    # the base has the door only: partial there, naming what it lacks
    for text in ("南山区海德五道12号之一", "南山区海德五道十二号之一"):
        status, level, full, reason = _found(geocoder, text)
        assert (status, level) == ("partial", "door") and full.endswith("海德五道12号"), reason
        assert "之1 not found" in reason


def test_a_village_its_groups_and_its_doors_are_found_however_the_village_is_named(base):
    geocoder = base[2]
    for text in ("南山区永西村6组197号", "南山区永西村委会六组197号",
                 "广东省深圳市南山区粤海街道永西村民委员会第六组一百九十七号"):
        status, level, full, reason = _found(geocoder, text)
        assert (status, level) == ("matched", "building"), (text, reason)
        assert full.endswith("永西村6组197号"), (text, full)
    assert _found(geocoder, "南山区永西村12号")[:2] == ("matched", "door")
    assert _found(geocoder, "南山区永西村7组")[:2] == ("matched", "door")
    # a natural village in the village, and its door (the village has a door 12号 too)
    status, level, full, reason = _found(geocoder, "南山区永西村下庄12号")
    assert (status, level) == ("matched", "building") and full.endswith("下庄12号"), reason
    # the same group number in another village of the township is that village's
    status, level, full, reason = _found(geocoder, "南山区禾坪村6组197号101室")
    assert (status, level) == ("matched", "room") and "禾坪村委会6组197号" in full, reason
    # the village's last word left out
    status, level, full, reason = _found(geocoder, "南山区永西6组197号")
    assert (status, level) == ("matched", "building") and "last word left out" in reason
    # a village typed wrong or by its sound, where it holds the door typed after it
    for text in ("南山区永溪村6组197号", "南山区永四村下庄12号", "南山区 永溪村 6组197号"):
        status, level, _, reason = _found(geocoder, text)
        assert (status, level) == ("matched", "building") and "read as 永西村" in reason, text
    # a village the base does not hold before a group: no village is guessed
    assert _found(geocoder, "南山区石门村6组197号")[0] != "matched"
    # a group the village does not have: the village, saying so
    status, level, _, reason = _found(geocoder, "南山区永西村9组197号")
    assert (status, level) == ("partial", "road") and "9组" in reason


def test_a_door_of_a_place_with_no_road_is_that_place_s(base):
    geocoder = base[2]
    for name in ("百福公寓", "沁心园"):
        status, level, full, reason = _found(geocoder, f"南山区{name}5号")
        assert (status, level) == ("matched", "door") and full.endswith(f"{name}5号"), reason


def test_the_grammar_keys_doors_with_their_words_and_numbers_either_way():
    assert normalize("十二号之一").text == "12号之1"
    assert normalize("十二号附三").text == "12号附3"
    assert normalize("第六组").text == "6组"
    keys = {element_key("door", v) for v in ("12号", "甲12号", "附12号", "12号之一", "12号附1")}
    assert len(keys) == 5
    assert element_key("door", "甲十二号") == element_key("door", "甲12号") == "甲12"
    assert split_sub_number("12号之1") == ("12", "之1")
    assert split_sub_number("12号附3") == ("12", "附3")
    assert split_sub_number("甲12") is None


def test_the_parser_reads_door_words_sub_doors_and_village_groups():
    def street(text):
        return [(e.level, e.key) for e in parse(text).elements
                if e.level in ("road", "door", "building", "room")]

    assert street("海德四道甲12号") == [("road", "海德四道"), ("door", "甲12")]
    assert street("海德四道附1号") == [("road", "海德四道"), ("door", "附1")]
    assert street("海德四道12号之一") == [("road", "海德四道"), ("door", "12号之1")]
    assert street("海德四道12号附3A栋") == [("road", "海德四道"), ("door", "12号附3"),
                                          ("building", "A")]
    assert street("永西路6组197号101室") == [("road", "永西路"), ("door", "6组"),
                                           ("building", "197"), ("room", "101")]
    # 组团 is a cluster of buildings, not a group
    assert street("海德四道3号6组团7栋") == [("road", "海德四道"), ("door", "3"),
                                           ("building", "6组团7")]


def test_a_village_is_named_by_its_committee_too():
    assert village_names("永西村") == ["永西村委会", "永西村民委员会"]
    assert village_names("永西村委会") == ["永西村", "永西村民委员会"]
    assert village_names("桃园社区居委会") == ["桃园社区", "桃园社区居民委员会"]
    assert village_names("科苑路") == []
