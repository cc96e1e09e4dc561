"""One place held twice by a base with gaps, told apart from two places.

A base may hold a road once with its township and once without (a row that left the
township blank), and so each of their doors and buildings. Both copies fit a typed address
equally, which would make a tie of one place. Copies are the same place when they have
the same chain of levels and keys in the same county and no two of them name different
townships (or communities); the copy that says the most is the answer.
"""

from __future__ import annotations

from addressing.index import AddressIndex


def place_key(index: AddressIndex, node: int) -> tuple[str, ...]:
    """The county and the levels and keys from the node up to its root."""
    parts = [index.admin(node).county[:6]]
    while node >= 0:
        parts.append(index.level_of(node) + ":" + index.node_key(node))
        node = index.parent_of(node)
    return tuple(parts)


def one_place(index: AddressIndex, nodes: list[int]) -> int | None:
    """The fullest of `nodes` when they are copies of one place, else None."""
    if len(nodes) < 2 or len({place_key(index, n) for n in nodes}) != 1:
        return None
    admins = [index.admin(n) for n in nodes]
    if len({a.township for a in admins if a.township}) > 1 or len(
            {a.community for a in admins if a.community}) > 1:
        return None
    return max(nodes, key=lambda n: (bool(index.admin(n).community),
                                     bool(index.admin(n).township), -n))
