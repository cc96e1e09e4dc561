"""Door numbers written with a sub-number, read the way the base holds them.

Real texts write a door and what lies behind it as one number: `柳乐路119-52号`, `紫金街154-8`,
`四明西路100一3`. A base may hold that as the door 119-52 (found directly), or as the door 119
with a building (or a room) 52 under it; a compound that numbers its buildings, not
its doors, as building 119 with the room or unit 52. These fallbacks try the second reading once the
first found nothing; they never run on an address the direct reading explains.
"""

from __future__ import annotations

from addressing.index import AddressIndex


def split_sub_number(key: str) -> tuple[str, str] | None:
    """The door and its sub-number of a key written `A-B` (119-52 → 119, 52)."""
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
