"""Messy classes the matcher was not designed around (issue 18), with truth kept honest.

The first messy classes grew out of what the normaliser maps and what the generator stores.
These come from how people slip elsewhere: a typo or a dropped character in a compound's
name, a slip in the building word (3洞 for 3栋), a room written with its floor (4楼01,
4F01), and road typos that fit two roads. A slip that fits one name has the room as its
truth; one that fits several is kept, and its right answer is then no street-level answer
(a tie among the places, or a partial): a guess there is a false match.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sample_data.slips import RANDOM_CHARS, one_substitution_from, slip

if TYPE_CHECKING:
    from sample_data.messy_addresses import MessyAddress, _Tree, _Writer

UNFORESEEN = ("compound_typo", "compound_dropped_char", "building_word_typo",
              "room_floor_form", "ambiguous_typo")
# Slips of the building word: what an input method offers for the same sound, and more.
BUILDING_WORD_SLIPS = {"栋": ("洞", "冻", "动", "懂"), "幢": ("撞", "憧", "僮"),
                       "号楼": ("号搂", "号娄", "号喽"), "座": ("坐", "做", "作")}


def unforeseen_item(tree: _Tree, writer: _Writer, row: Mapping[str, Any], klass: str,
                    rng: random.Random) -> MessyAddress | None:
    """One messy row of an unforeseen class, or None when this row cannot make one."""
    from sample_data.messy_addresses import MessyAddress

    p = writer.parts(row)
    if klass in ("compound_typo", "compound_dropped_char"):
        name = p["compound"]
        if len(name) < 4 or tree.compound_count[name] != 1:
            return None
        i = rng.randrange(len(name))
        if klass == "compound_typo":
            typed = name[:i] + rng.choice(RANDOM_CHARS) + name[i + 1:]
            fits = one_substitution_from(typed, tree.compound_count)
        else:
            typed = name[:i] + name[i + 1:]
            fits = [c for c in tree.compound_count if len(c) == len(typed) + 1
                    and any(c[:k] + c[k + 1:] == typed for k in range(len(c)))]
        if typed in tree.compound_count:
            return None  # the slip makes another real name: no truth
        p["compound"], p["road"], p["door"] = typed, "", ""
        return _item(MessyAddress, writer.join(p), row, klass, fits == [name])
    if klass == "building_word_typo":
        label = p["building"]
        word = next((w for w in ("号楼", "栋", "幢", "座") if label.endswith(w)), None)
        if word is None:
            return None
        p["building"] = label[: -len(word)] + rng.choice(BUILDING_WORD_SLIPS[word])
        return _item(MessyAddress, writer.join(p), row, klass, True)
    if klass == "room_floor_form":
        floor, room = p["floor"].rstrip("层楼"), p["room"].rstrip("室")
        if not (floor and room.startswith(floor) and len(room) == len(floor) + 2):
            return None
        p["room"] = floor + rng.choice(["楼", "F", "层"]) + room[len(floor):]
        p["floor"] = ""
        return _item(MessyAddress, writer.join(p), row, klass, True)
    if klass == "ambiguous_typo":
        road = p["road"]
        typo = slip(road, rng)
        if typo is None:
            return None
        typed, fits = typo, one_substitution_from(typo, tree.road_names)
        if typed in tree.road_names or len(fits) < 2:
            return None  # only the slips that fit two roads or more
        # The rest of the address may fit one of those roads only: then that road is meant.
        # (The typed township is part of the rest: roads of other townships do not fit.)
        rest = (p["door"], p["building"], p["unit"], p["room"],
                tree.door_of(row["code"]).get("township_code") or "")
        holding = {road for road in fits if (road, *rest) in _rooms_by_path(tree)}
        p["road"] = typed
        return _item(MessyAddress, writer.join(p), row, klass, holding == {road})
    raise ValueError(f"not an unforeseen class: {klass}")


_PATHS: dict[int, set[tuple[str, ...]]] = {}


def _rooms_by_path(tree: _Tree) -> set[tuple[str, ...]]:
    """Every room's road, door, building, unit, room and township (once per tree)."""
    found = _PATHS.get(id(tree))
    if found is None:
        found = set()
        for code, row in tree.rows.items():
            if row["level"] == "room":
                door = tree.door_of(code)
                found.add((door["road"], door["door_no"], row.get("building") or "",
                           row.get("unit") or "", row.get("room") or "",
                           door.get("township_code") or ""))
        _PATHS.clear()
        _PATHS[id(tree)] = found
    return found


def _item(make: type[MessyAddress], text: str, row: Mapping[str, Any], klass: str,
          one_reading: bool) -> MessyAddress:
    if one_reading:
        return make(text, row["code"], "room", "matched", klass)
    return make(text, None, None, "partial", klass)  # no street answer is right
