"""A messy address set with known truth, made from the sample city's true addresses.

Each row is what a clerk might type for a real address of the base, in one difficulty class
(full-width digits, traditional characters, Chinese numerals, marker synonyms, 3-1-1201
forms, compound names instead of roads, road aliases, homophones, typos, noise …), with the
code it should match and the status expected. Negative classes (a room or road that does
not exist) measure false matches. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sample_data.messy_unforeseen import UNFORESEEN, unforeseen_item
from sample_data.slips import (
    HOMOPHONES,
    TRADITIONAL,
    digits_in_chinese,
    full_width,
    number_in_chinese,
    numbers_in_chinese,
    one_substitution_from,
    slip,
)

PROVINCE_CITY = "广东省深圳市"
COUNTY = "南山区"

# Classes drawn from the rows the sample writes as real bases do (issue 16): doors with a
# word before the number, a sub-door or a sub-number (甲5号, 1号之一, 3号附1, 1-1号), lanes
# (16弄1号), and villages with groups and natural villages (永西村1组2号, 永西村上屋1号).
REAL_FORMS = ("door_forms", "lane", "village")
CLASSES = (
    "clean", "no_province_city", "short_admin", "no_admin", "full_width", "traditional",
    "chinese_numerals", "marker_synonyms", "dash_form", "compound_for_road", "road_alias",
    "homophone", "typo", "random_typo", "noise", "spaces_punctuation", "skipped_levels",
    "repeated_admin", "no_road_suffix", "mixed",
    *UNFORESEEN, *REAL_FORMS,
    "absent_room", "absent_road", "wrong_district", "ambiguous_room",
)
NEGATIVE = {"absent_room": "partial", "absent_road": "partial", "wrong_district": "partial",
            "ambiguous_room": "tie"}


@dataclass(frozen=True)
class MessyAddress:
    """One messy row: what was typed, what it means, and what a matcher should say."""

    text: str
    truth_code: str | None  # the code the finest typed level should match (None: no street)
    truth_level: str | None
    expected: str  # matched, partial or tie
    difficulty: str


def _bare_building(label: str) -> str:
    """A building's label without its word: 3号楼 → 3, A座 → A, 2期3栋 → 2期3."""
    for word in ("号楼", "栋", "幢", "座"):
        if label.endswith(word):
            return label[: -len(word)]
    return label


def real_form(door: Mapping[str, Any]) -> str | None:
    """Which of the REAL_FORMS the rooms behind `door` are written in, if any."""
    if door["road"].endswith("村"):
        return "village"
    if door["door_no"].endswith("弄"):
        return "lane"
    if re.search("[甲乙丙丁附之-]", door["door_no"]):
        return "door_forms"
    return None


class _Tree:
    """The true address rows, with the lookups the generator needs."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]):
        self.rows: dict[str, Mapping[str, Any]] = {}
        self.children: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            self.rows[row["code"]] = row
            if row.get("parent_code"):
                self.children[row["parent_code"]].append(row["code"])
        self.compound_count: dict[str, int] = defaultdict(int)
        for row in self.rows.values():
            if row["level"] == "door" and row.get("compound"):
                self.compound_count[row["compound"]] += 1
        self.road_names = {r["road"] for r in self.rows.values() if r.get("road")}
        self.room_count: dict[tuple[str, str], int] = defaultdict(int)
        for code, row in self.rows.items():
            if row["level"] == "room":
                self.room_count[(self.building_of(code), row["room"])] += 1

    def one_typo_from_one_road(self, typo: str) -> bool:
        """True when exactly one road name is one substitution away from `typo`."""
        return len(one_substitution_from(typo, self.road_names)) == 1

    def building_of(self, code: str) -> str:
        row = self.rows[code]
        while row["level"] != "building":
            row = self.rows[row["parent_code"]]
        return row["code"]

    def door_of(self, code: str) -> Mapping[str, Any]:
        row = self.rows[code]
        while row["level"] != "door":
            row = self.rows[row["parent_code"]]
        return row

    def community_name(self, door: Mapping[str, Any]) -> str:
        text = door["full_text"]
        start = text.index("街道") + 2 if "街道" in text else text.index("合作区") + 3
        return text[start : text.index(door["road"])]


class _Writer:
    """Writes one messy form of a room address."""

    def __init__(self, tree: _Tree, rng: random.Random):
        self.tree, self.rng = tree, rng

    def parts(self, row: Mapping[str, Any]) -> dict[str, str]:
        door = self.tree.door_of(row["code"])
        text = door["full_text"]
        township_end = text.index(door["road"]) - len(self.tree.community_name(door))
        return {
            "admin": text[:township_end],
            "community": self.tree.community_name(door),
            "road": door["road"],
            "door": door["door_no"],
            "compound": door.get("compound") or "",
            "building": row.get("building") or "",
            "unit": row.get("unit") or "",
            "floor": row.get("floor") or "",
            "room": row.get("room") or "",
        }

    @staticmethod
    def join(p: dict[str, str], *, floor: bool = False) -> str:
        tail = p["building"] + p["unit"] + (p["floor"] if floor or not p["room"] else "")
        return (
            p["admin"] + p["community"] + p["road"] + p["door"] + p["compound"] + tail + p["room"]
        )

    def write(self, row: Mapping[str, Any], klass: str) -> str | None:  # noqa: C901
        rng = self.rng
        p = self.parts(row)
        if klass == "clean":
            return str(row["full_text"])
        if klass == "no_province_city":
            p["admin"] = p["admin"].replace(PROVINCE_CITY, "")
        elif klass == "short_admin":
            p["admin"] = rng.choice(["深圳南山", "深圳市南山", "广东深圳南山区", "南山区"])
            p["community"] = ""
        elif klass == "no_admin":
            p["admin"] = p["community"] = ""
        elif klass == "full_width":
            return full_width(self.join(p))
        elif klass == "traditional":
            return self.join(p).translate(TRADITIONAL)
        elif klass == "chinese_numerals":
            p["door"] = numbers_in_chinese(p["door"])
            if p["unit"]:
                p["unit"] = number_in_chinese(int(p["unit"][:-2])) + "单元"
            if p["room"]:
                p["room"] = digits_in_chinese(p["room"][:-1]) + rng.choice(["室", ""])
        elif klass == "marker_synonyms":
            b = p["building"]
            bare = _bare_building(b)
            if b.endswith("号"):
                return None  # a lane's or a village's door (16弄1号): no building word
            if b.endswith("栋"):
                p["building"] = bare + rng.choice(["幢", "号楼", "#", "#楼"])
            else:
                p["building"] = bare + rng.choice(["栋", "幢"])
            if p["room"]:
                p["room"] = p["room"][:-1] + rng.choice(["户", "房", "号", ""])
            if p["floor"] and rng.random() < 0.5:
                p["floor"] = p["floor"][:-1] + "楼"
                return self.join(p, floor=True)
        elif klass == "dash_form":
            bare = _bare_building(p["building"])
            if not (p["unit"] and p["room"] and bare.isascii()):
                return None  # 2期3栋 has no dash form
            p["building"], p["unit"] = bare + "-", p["unit"][:-2] + "-"
            p["room"] = p["room"][:-1]
        elif klass == "compound_for_road":
            if not p["compound"]:
                return None
            if self.tree.compound_count[p["compound"]] == 1:
                p["admin"] = rng.choice(["", "南山区", "深圳市南山区"])
            else:  # the name recurs in other townships: the township makes it unique
                p["admin"] = p["admin"].replace(PROVINCE_CITY, "")
            p["community"] = p["road"] = p["door"] = ""
        elif klass == "road_alias":
            if not p["road"].endswith("大道"):
                return None
            p["road"] = p["road"][:-2] + "路"
        elif klass == "homophone":
            if rng.random() < 0.3:
                p["admin"] = p["admin"].replace("深圳", "深证")
            else:
                spots = [i for i, c in enumerate(p["road"][:-1]) if HOMOPHONES.get(c)]
                if not spots:
                    return None
                i = rng.choice(spots)
                p["road"] = p["road"][:i] + HOMOPHONES[p["road"][i]] + p["road"][i + 1 :]
        elif klass == "typo":
            road = p["road"]
            if len(road) < 4:
                return None
            i = rng.randrange(len(road) - 1)
            p["road"] = (
                road[:i] + road[i + 1 :]
                if rng.random() < 0.5
                else (road[:i] + road[i + 1] + road[i] + road[i + 2 :])
            )
        elif klass == "random_typo":
            typo = slip(p["road"], rng)
            if typo is None or typo in self.tree.road_names or (
                    not self.tree.one_typo_from_one_road(typo)):
                return None  # a slip that makes another real name, or that fits two, has no truth
            p["road"] = typo
        elif klass == "spaces_punctuation":
            text = self.join(p)
            spots = [i for i in range(1, len(text))
                     if not (text[i - 1].isalnum() and text[i].isascii() and text[i].isalnum())]
            cut = sorted(rng.sample(spots, 3))
            seps = [rng.choice([" ", ",", "，", "、", "  ", "/"]) for _ in cut]
            starts = [0, *cut[:-1]]
            return "".join(text[a:b] + sep for a, b, sep in
                           zip(starts, cut, seps, strict=True)) + text[cut[-1]:]
        elif klass == "noise":
            person = rng.choice("王李张刘陈杨黄赵") + rng.choice(["伟", "芳", "娜", "敏", "静"])
            phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            text = self.join(p)
            return rng.choice(
                [
                    f"收件人：{person}，{phone}，{text}",
                    f"{text}（{rng.choice(['地铁站', '公交站', '超市'])}附近）",
                    f"{text} 联系人:{person} 电话:{phone}",
                    f"【{text}】",
                    f"{text}{rng.choice(['电联', '（放门卫）', ' 11点-12点取件', '快递柜'])}",
                ]
            )
        elif klass == "skipped_levels":
            if (
                not p["room"]
                or self.tree.room_count[(self.tree.building_of(row["code"]), row["room"])] != 1
            ):
                return None
            p["admin"], p["community"], p["unit"] = "南山区", "", ""
        elif klass == "repeated_admin":  # a form's own prefix before what the clerk typed
            township = p["admin"].replace(PROVINCE_CITY + COUNTY, "")
            p["admin"] = rng.choice([
                PROVINCE_CITY + COUNTY + p["admin"],
                "深圳市" + COUNTY + COUNTY + township,
                "深圳市" + COUNTY + COUNTY[:-1] + township,  # 南山区南山粤海街道
                COUNTY + " " + p["admin"].replace(PROVINCE_CITY, ""),
            ])
        elif klass == "no_road_suffix":  # 沙河西5号 for 沙河西路5号, 后海7号 for 后海大道7号
            road = p["road"]
            if road.endswith("村"):
                return None  # the village class writes 永西1组 for 永西村1组
            stem = road[:-2] if road.endswith("大道") else road[:-1]
            near = [n for n in self.tree.road_names if n.startswith(stem) and n != stem
                    and len(n) - len(stem) <= 2]
            if len(stem) < 2 or near != [road]:
                return None  # the stem fits two roads, or is a road itself: no truth
            p["road"] = stem
            p["admin"] = rng.choice([p["admin"], "", COUNTY, "深圳"])
            if p["admin"].endswith("道"):  # the community follows its township (…街道)
                p["community"] = rng.choice([p["community"], ""])
            else:
                p["community"] = ""
        elif klass == "mixed":
            return self.mixed(row)
        elif klass in REAL_FORMS:
            self.real_form(p, klass)
        return self.join(p)

    def real_form(self, p: dict[str, str], klass: str) -> None:
        """A room of a village, lane or door written as real bases are: numbers either way,
        a village by its committee's name or without 村, a group with 第, admin cut short."""
        rng = self.rng
        p["admin"] = rng.choice([p["admin"], p["admin"].replace(PROVINCE_CITY, ""), COUNTY])
        if p["admin"] == COUNTY or rng.random() < 0.5:
            p["community"] = ""
        if rng.random() < 0.5:
            p["door"] = numbers_in_chinese(p["door"])
        if klass == "village":
            village = p["road"]
            names = [village, village + "委会", village + "民委员会"]
            if p["door"][-1] in "组号":  # 永西1组, 永西8号; 永西上屋 would be a name of its own
                names.append(village[:-1])
            p["road"] = rng.choice(names)
            if p["door"].endswith("组") and rng.random() < 0.3:
                p["door"] = "第" + p["door"]
        if klass != "door_forms" and rng.random() < 0.5:  # the door behind the group or lane
            p["building"] = numbers_in_chinese(p["building"])
        if rng.random() < 0.3:
            p["room"] = p["room"].removesuffix("室")

    def mixed(self, row: Mapping[str, Any]) -> str | None:
        text = self.write(
            row,
            self.rng.choice(
                ["chinese_numerals", "marker_synonyms", "no_province_city", "homophone"]
            ),
        )
        if text is None:
            return None
        return full_width(text) if self.rng.random() < 0.5 else text.translate(TRADITIONAL)


def messy_addresses(
    rows: Iterable[Mapping[str, Any]], *, per_class: int = 200, seed: int = 7
) -> list[MessyAddress]:
    """`per_class` messy rows of each difficulty class, from true address rows."""
    tree = _Tree(rows)
    rng = random.Random(seed)
    writer = _Writer(tree, rng)
    rooms = sorted(c for c, r in tree.rows.items() if r["level"] == "room")
    in_form: dict[str, list[str]] = defaultdict(list)
    for code in rooms:
        form = real_form(tree.door_of(code))
        if form is not None:
            in_form[form].append(code)
    out: list[MessyAddress] = []
    for klass in CLASSES:
        pool = in_form[klass] if klass in REAL_FORMS else rooms
        made, tries = 0, 0
        while pool and made < per_class and tries < per_class * 50:
            tries += 1
            code = rng.choice(pool)
            row = tree.rows[code]
            item = _negative(tree, row, klass, writer) if klass in NEGATIVE else None
            if klass in UNFORESEEN:
                item = unforeseen_item(tree, writer, row, klass, rng)
            elif klass not in NEGATIVE:
                text = writer.write(row, klass)
                item = None if text is None else MessyAddress(text, code, "room", "matched", klass)
            if item is not None:
                out.append(item)
                made += 1
    return out


def _negative(
    tree: _Tree, row: Mapping[str, Any], klass: str, writer: _Writer
) -> MessyAddress | None:
    p = writer.parts(row)
    if klass == "absent_room":
        # A floor the building does not have: the answer is the unit (or the building).
        p["room"] = "99" + p["room"][-3:]
        parent = tree.rows[row["parent_code"]]
        above = tree.rows[parent["parent_code"]]  # unit, or the building when there are none
        return MessyAddress(writer.join(p), above["code"], above["level"], "partial", klass)
    if klass == "absent_road":
        p["road"], p["compound"] = "不存在" + p["road"][-1], ""
        return MessyAddress(writer.join(p), None, None, "partial", klass)
    if klass == "wrong_district":
        # A real district of 深圳 that is not where the address is: nothing below it fits.
        p["admin"] = PROVINCE_CITY + writer.rng.choice(["福田区", "罗湖区", "宝安区", "龙岗区"])
        p["community"] = ""
        return MessyAddress(writer.join(p), None, None, "partial", klass)
    if klass == "ambiguous_room":
        building = tree.building_of(row["code"])
        if not p["unit"] or tree.room_count[(building, row["room"])] < 2:
            return None
        p["unit"] = ""
        return MessyAddress(writer.join(p), row["code"], "room", "tie", klass)
    return None
