"""The element grammar: each address level's words and forms, in one place.

The normaliser folds the synonyms listed here into one form (3幢, 3座, 3号楼 → 3栋), the
parser reads elements by these words, and the base import checks a base's values against
them (a road called 43号 is a door number in the wrong column). Change a level's words
here and all three follow.
"""

from __future__ import annotations

import re

# Building words, folded to 栋 after a number (3幢, B座, 10号楼, 3#楼, A塔楼 → 3栋, B栋, 10栋,
# A栋).
BUILDING_WORDS = ("号塔楼", "号楼", "号栋", "号幢", "号座", "栋楼", "幢楼", "座楼", "塔楼", "栋",
                  "幢", "座")
UNIT_WORDS = ("单元", "单", "梯", "门")  # 2单元, 二单元, 2梯 (a stairway); 2门 only after a
# building (3栋1门: 门 alone is a gate, 79号门 of a market)
FLOOR_WORDS = ("层", "楼", "F")
# Folded to 室; a market's stall or a shop (2064商铺, 20427商位) is numbered as a room.
ROOM_WORDS = ("号房", "房间", "房", "户", "商铺", "商位", "铺位", "室")
DOOR_WORDS = ("号",)
# A door written with a word before its number is a door of its own, never the plain number:
# 甲12号 (乙, 丙, 丁) is not 12号, 附1号 not 1号. Keyed with the word: 甲12, 附1.
DOOR_PREFIXES = ("甲", "乙", "丙", "丁", "附")
# A sub-door written after its door's number: 12号之一, 12号附3. Keyed whole (12号之1,
# 12号附3): the base holds it as a door of its own, or under the door 12号 keyed 之1 / 附3;
# never the same door as 12号, nor as 12-1号 (a base that writes both means two doors).
DOOR_SUB_WORDS = ("之", "附")
# A phase, cluster or zone written before a building (3期12栋, 6组团7栋, A区3栋).
PHASE_WORDS = ("期", "组团", "区")
# 朝晖路416弄173号: a lane numbered on its road, with doors of its own; 龙泉西路8支弄: a
# branch lane, numbered so too.
LANE_WORDS = ("支弄", "弄")
# A lane named on its road (百丈东路王家弄199号), or a chain of lanes (东环路6巷12弄7号,
# 富民街富兴路5弄119号): held as a lane is, a door of the road keyed by the whole chain,
# and the number after it its door (at the building level).
# A name so ending, typed after a road, is a lane's, with its own numbered doors (not 里:
# 铺里, 十里 name villages and places as often).
LANE_NAME_WORDS = ("弄", "巷")
LANE_CHAIN_WORDS = ("巷",)  # a number so ending, then a numbered lane: 6巷12弄
# A village's group, numbered in its village as a lane on its road, with doors of its own
# (永西村6组197号): held at the door level under the village, its doors at the building level.
GROUP_WORDS = ("组",)
# The element words of normalised text (after the folds above), per level: what may
# follow a number of that level.
LEVEL_WORDS = {"door": ("号", "弄", "支弄", "组"), "building": ("栋", "号"), "unit": ("单元", "号"),
               "floor": ("层", "楼", "F"), "room": ("室", "号")}
ELEMENT_WORDS = tuple(dict.fromkeys(w for words in LEVEL_WORDS.values() for w in words))
# The words an element's key leaves out (3号楼 → 3, 12F → 12, 1201室 → 1201); a lane keeps
# 弄 and 组 (416弄 is not door 416号, 6组 not 6号), a unit its 号 (some bases number units so).
KEY_WORDS = {"door": ("号",), "building": ("栋", "号"), "unit": ("单元", "门"),
             "floor": ("层", "楼", "F"), "room": ("室", "号")}
# Markers after which a run of Chinese numerals is a number (三单元, 十二楼, 一二零一室).
NUMBER_MARKERS = ("号", "栋", "幢", "座", "单元", "梯", "楼", "层", "室", "户", "弄", "支弄", "期",
                  "排", "组", "房", "-")
ROAD_SUFFIXES = ("大道", "大街", "公路", "环路", "胡同", "路", "街", "道", "巷", "弄", "里")
COMPOUND_SUFFIXES = (
    "小区", "花园", "家园", "新村", "公寓", "大厦", "广场", "科技园", "科学园", "产业园", "工业园",
    "生态园", "中心", "大楼", "山庄", "公馆", "城", "苑", "园", "村", "阁", "府", "庭", "居", "湾",
    "坊",
)
# An organisation's name (a 实有单位: 浙江智联电子有限公司, 柳市虹艺幼儿园) typed in the street
# part, where the base holds no place of that name: read as the place it names, by its word.
ORGANISATION_SUFFIXES = (
    "公司", "集团", "酒店", "宾馆", "饭店", "医院", "卫生院", "学校", "学院", "大学", "中学",
    "小学", "幼儿园", "银行", "超市", "商场", "市场", "厂", "派出所", "营业厅", "专卖店",
    "门市部", "经营部", "商行",
)
# An industrial or development zone, named after its town or county (白塔镇工业园区, 城东工业园,
# 平湖市经济开发区): a compound where the base holds one of the name there, else a place the
# road or door typed after it lies in. The division table names some townships so (工业园区,
# 经济开发区 of counties elsewhere): typed after an area they are not inside, they are the zone.
ZONE_WORDS = ("经济技术开发区", "高新技术产业开发区", "经济开发区", "工业开发区", "工业集中区",
              "工业园区", "产业园区", "开发区", "工业园", "工业区", "高新区")
# A building named only by its use (综合楼, 办公楼): many places have one, so a base that
# holds one by that name alone does not find it at the end of a longer name typed
# (江北西范综合楼 is some other place's 综合楼).
USE_BUILDINGS = ("综合楼", "办公楼", "宿舍楼", "教学楼", "写字楼", "商住楼", "门诊楼", "住院楼",
                 "行政楼", "实验楼", "科研楼", "厂房")
# A part of a place typed after its name (汇嘉新园南区, 联合市场C区, 春晗二区, 新风丽都北苑):
# where the base holds the place by the name alone, the part is not checked.
PART_AFTER = re.compile("(?:[东西南北中]|[0-9A-Z]{1,2}|[一二三四五六七八九十]{1,2})[区苑]$")
# A segment of a road (世纪大道北段989号): where the base holds the road with it, its name
# holds it; typed after a road held without it, it is passed (not checked).
ROAD_SEGMENTS = ("东段", "西段", "南段", "北段", "中段")
# A village or community the division table may lack, typed before the place in it.
# A township typed in the street part: one the division table lacks (renamed, mistyped).
TOWNSHIP_WORDS = ("街道", "镇", "乡")
VILLAGE_WORDS = ("村", "社区", "行政村", "村委会", "居委会", "村民委员会", "居民委员会")
# A village's or community's committee (王潘流村委会, 彭村村民委员会): the village, typed last too.
VILLAGE_COMMITTEES = ("村委会", "居委会", "村民委员会", "居民委员会")
# A village is named by its committee as often as by itself: 永西村委会, 永西村民委员会 are
# 永西村; 桃园社区居委会 is 桃园社区.
VILLAGE_OFFICES = {"村": ("村委会", "村民委员会"), "社区": ("社区居委会", "社区居民委员会")}


def village_names(name: str) -> list[str]:
    """The other names of a village (or community) the base holds as a place: 永西村 →
    永西村委会, 永西村民委员会; 永西村委会 → 永西村, …; [] for a name that is no village's."""
    for plain, offices in VILLAGE_OFFICES.items():
        for written in (*offices, plain):
            if name.endswith(written) and len(name) > len(written):
                stem = name[: -len(written)]
                return [stem + w for w in (plain, *offices) if w != written]
    return []


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


ROAD_SUFFIX = re.compile(f"(?:{_alternatives(ROAD_SUFFIXES)})$")
COMPOUND_SUFFIX = re.compile(f"(?:{_alternatives(COMPOUND_SUFFIXES)})$")
# A value that is only a numbered element: a door, lane, building, unit, floor or room.
_NUMBERED_ONLY = re.compile(
    r"^[0-9A-Z]+(?:-[0-9A-Z]+)*"
    f"(?:{_alternatives(DOOR_WORDS + LANE_WORDS + BUILDING_WORDS + UNIT_WORDS + ROOM_WORDS)}"
    r"|层|楼)?$"
)


def is_numbered_only(name: str) -> bool:
    """Whether a road or compound name is only a number with an element word (43号, 2栋):
    a door or building in the wrong column, which would be read for the number when typed."""
    return bool(_NUMBERED_ONLY.match(name.replace(" ", "")))


_PHASE_ONLY = re.compile("^[0-9A-Z]+期$")


PHASE_BEFORE = re.compile(f"[0-9A-Z]+(?:{'|'.join(PHASE_WORDS)})(?=[0-9A-Z])")


def without_phase(key: str) -> str:
    """A building's key without the phase, cluster or zone typed before it (2期11 → 11)."""
    phase = PHASE_BEFORE.match(key)
    return key if phase is None else key[phase.end():]


def is_phase_only(key: str) -> bool:
    """Whether a (normalised) name is only a phase (1期): after a compound or road it is the
    compound's phase (龚大堂1期101栋), even where a base holds a place so named. (A cluster
    or zone, 11组团, 5区, may be a place of its own.)"""
    return bool(_PHASE_ONLY.match(key))


# A former name given with the day it stopped being used: 朝阳路~2019-05-01 (地名变更).
_FORMER_NAME = re.compile(r"^(.+?)\s*[~～]\s*(\d{4}-\d{2}-\d{2})$")


def split_alias(alias: str) -> tuple[str, str | None]:
    """An alias and the date its use ended (None for a name still in use)."""
    m = _FORMER_NAME.match(alias.strip())
    return (m.group(1), m.group(2)) if m else (alias.strip(), None)


ROOM_RANGE_SPAN = 20  # the most rooms apart the two ends of a run of rooms are


def is_room_run(first: str, last: str) -> bool:
    """Whether `first`-`last` (or `first`、`last`) numbers a run of rooms: two numbers of
    three digits or more, as long as each other, the second a little above the first
    (1220-1221, 077-079, 101、102); the first may carry its block's letter (D113-115)."""
    if first[:1].isalpha() and first[:1].isascii():
        first = first[1:]
    return (first.isdigit() and last.isdigit() and len(first) == len(last) >= 3
            and 0 < int(last) - int(first) <= ROOM_RANGE_SPAN)
