"""Door numbers written with a sub-number, read the way the base holds them.

Real texts write a door and what lies behind it as one number: `柳乐路119-52号`, `紫金街154-8`,
`四明西路100一3`, and sub-doors `12号之一`, `12号附3`. A base may hold that as the door
119-52 (found directly), or as the door 119 with a building (or a room) 52 under it; a
compound that numbers its buildings, not its doors, as building 119 with the room or unit
52. These fallbacks try the second reading once the first found nothing; they never run on
an address the direct reading explains. A sub-door the base does not hold stops at its
door, never `matched` there: 12号之一 is not 12号.
"""

from __future__ import annotations

from addressing.grammar import DOOR_SUB_WORDS
from addressing.index import AddressIndex


def split_sub_number(key: str) -> tuple[str, str] | None:
    """The door and its sub-number of a key written `A-B` (119-52 → 119, 52), or of a
    sub-door's key (12号之1 → 12, 之1; 12号附3 → 12, 附3: grammar.DOOR_SUB_WORDS)."""
    door, mark, sub = key.partition("号")
    if mark and door.isdigit() and sub[:1] in DOOR_SUB_WORDS and sub[1:].isdigit():
        return door, sub
    door, dash, sub = key.partition("-")
    if not dash or not door.isdigit() or not sub or "-" in sub:
        return None
    return door, sub


def numbered_and_sub(index: AddressIndex, parent: int, level: str, key: str,
                     sub_key: str) -> tuple[int, int | None]:
    """Under `parent`: the one `level` node (a door, or a building where a compound numbers
    its buildings) keyed `key`, and the one building, room or unit `sub_key` below it (None
    when it holds no such one); (-1, None) when no single node is so numbered."""
    found = index.child(parent, level, key)
    if len(found) != 1:
        return -1, None
    node = found[0]
    # A unit keeps its 号 in its key (some bases number units so: 13-13号 for unit 13号).
    below = (index.child(node, "building", sub_key) or index.rooms_in(node, sub_key)
             or index.child(node, "unit", sub_key) or index.child(node, "unit", sub_key + "号"))
    if not below:
        below = [r for b in index.children(node, "building") for r in index.rooms_in(b, sub_key)]
    return node, below[0] if len(below) == 1 else None
