"""One place held twice by a base with gaps, told apart from two places.

A base may hold a road once with its township and once without (a row that left the
township blank), or once with its numbers in figures and once in words (文1路, 文一路), and
so each of their doors and buildings. Both copies fit a typed address
equally, which would make a tie of one place. Copies are the same place when they have
the same chain of levels and keys in the same county and no two of them name different
townships (or communities); the copy that says the most is the answer.
"""

from __future__ import annotations

from addressing.index import AddressIndex
from addressing.normalize import numeral_variants


def place_key(index: AddressIndex, node: int) -> tuple[str, ...]:
    """The county and the levels and keys from the node up to its root (a road's or a
    compound's numbers in one writing: 文一路 and 文1路 are one road)."""
    parts = [index.admin(node).county[:6]]
    while node >= 0:
        level, key = index.level_of(node), index.node_key(node)
        if level in ("road", "compound"):
            key = min(key, *numeral_variants(key))
        parts.append(level + ":" + key)
        node = index.parent_of(node)
    return tuple(parts)


def one_place(index: AddressIndex, nodes: list[int], typed: tuple[str, ...] = ()
              ) -> int | None:
    """The fullest of `nodes` when they are copies of one place, else None; of copies as
    full, the one whose road or compound is written as `typed` (name keys)."""
    if len(nodes) < 2 or len({place_key(index, n) for n in nodes}) != 1:
        return None
    admins = [index.admin(n) for n in nodes]
    if len({a.township for a in admins if a.township}) > 1 or len(
            {a.community for a in admins if a.community}) > 1:
        return None
    return max(nodes, key=lambda n: (bool(index.admin(n).community),
                                     bool(index.admin(n).township),
                                     _root_key(index, n) in typed, -n))


def _root_key(index: AddressIndex, node: int) -> str:
    while index.parent_of(node) >= 0:
        node = index.parent_of(node)
    return index.node_key(node)
