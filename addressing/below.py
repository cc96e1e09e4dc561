"""What is typed below a found place, read by the names the base holds there.

Bases and records disagree about the level of a number more often than about the number:
`凤翔小区83幢11号` is building 83, room 11 by the grammar, while the base holds 11号 as a
unit of building 83; `嘉欣华庭8-215A` has a room 215A the grammar cuts at the letter;
`金福小区金福一号楼` names its building with the compound's name in it. Once the grammar's
reading stops short of what the text names, the text after the last element found is read
again against what the base holds below: at each step the longest prefix of the rest that
is the key of exactly one node below (at any level) is taken, then its element word (号,
栋, 单元 …) if typed. A phase or zone the base does not hold (格兰云天二期171幢, where the
base writes 171幢) is stepped over, and said, and so is one character where an element
word belongs (1冻1单元). Digits are never cut inside a run of digits
(1201 is never unit 1, room 201), nor letters inside a run of letters, except where no
key fits the whole run and exactly one cut does: a door or building the base holds here,
then what it holds below (`_glued`: 华南公寓132950室 for building 13, room 2950; 运河路700102号
for door 700, building 102). Where two cuts fit, none is taken, and that is said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from addressing.grammar import ELEMENT_WORDS, LEVEL_WORDS, PHASE_WORDS
from addressing.index import AddressIndex

_LEVELS = ("door", "building", "unit", "floor", "room")
_LONGEST_KEY = 16  # keys longer than this are not looked for
_SEPARATORS = " -"
_ELEMENT_WORD = re.compile("|".join(sorted(ELEMENT_WORDS, key=len, reverse=True)))
_PHASE = re.compile(f"[0-9A-Z]+(?:{'|'.join(PHASE_WORDS)})")
_SLIP = re.compile(r"[\u4e00-\u9fff](?=[0-9A-Z])")
_DIGITS = re.compile("[0-9]+")
_WORD_AFTER = re.compile("|".join(sorted((*ELEMENT_WORDS, *PHASE_WORDS), key=len, reverse=True)))


@dataclass
class BelowReading:
    """The nodes read below a place, in order, what of the text they took, and the rest."""

    nodes: list[int]
    spans: list[tuple[int, int]]  # per node: the characters of the text it took
    read: str  # the text the nodes took (and any phase stepped over)
    rest: str  # what is left unread
    stepped_over: list[str]  # phases the base does not hold, and slips: not checked
    unsplit: str | None = None  # a run of digits two cuts would read: why none was taken


def read_below(index: AddressIndex, node: int, text: str) -> BelowReading:
    """Read normalised `text` (what follows the elements found down to `node`) against
    the nodes the base holds below `node`."""
    nodes: list[int] = []
    spans: list[tuple[int, int]] = []
    stepped: list[str] = []
    unsplit: str | None = None
    pos = 0
    while True:
        pos = _skip_separators(text, pos)
        found = _longest_below(index, node, text, pos)
        if found is None and unsplit is None:
            glued = _glued(index, node, text, pos)
            if isinstance(glued, str):
                unsplit = glued
            elif glued is not None:
                found = glued
        if found is None:
            # A phase the base does not hold (二期 of 二期171幢), or one character where an
            # element word belongs (1冻1单元, a slip for 1栋1单元), stepped over when what
            # follows is found.
            skip = _PHASE.match(text, pos)
            if skip is None and nodes and pos == spans[-1][1] and text[pos - 1].isalnum():
                skip = _SLIP.match(text, pos)
            if skip is None:
                break
            after = _skip_separators(text, skip.end())
            found = _longest_below(index, node, text, after)
            if found is None:
                break
            stepped.append(skip.group(0))
            pos = after
        node, end = found
        word = _ELEMENT_WORD.match(text, end)
        end = word.end() if word else end
        nodes.append(node)
        spans.append((pos, end))
        pos = end
    last = pos if nodes else 0
    return BelowReading(nodes, spans, text[:last], text[last:], stepped, unsplit)


# What the head of a glued run may be: a door or building, never a unit (71161 under a
# building is no unit 7, room 1161: rooms are numbered so).
_HEAD_LEVELS = ("door", "building")
_GLUED_SHORT = 4  # a shorter run is cut only where what is typed after it is read there too


def _glued(index: AddressIndex, node: int, text: str, pos: int) -> tuple[int, int] | str | None:
    """A run of digits at `pos` that no key below `node` fits whole, typed for two levels:
    the one door or building under `node` keyed by a head of the run whose rest is a key
    below it, and where the head ends; a note where two cuts fit; None where none does."""
    run = _DIGITS.match(text, pos)
    if run is None or run.end() - pos < 3:
        return None
    fits: list[tuple[int, int]] = []
    for cut in range(pos + 1, run.end()):
        head = text[pos:cut]
        if not index.is_key(head):
            continue
        heads = [n for level in _HEAD_LEVELS for n in index.child(node, level, head)]
        if len(heads) != 1:
            continue
        below = _longest_below(index, heads[0], text, cut)
        if below is None or below[1] < run.end():
            continue
        if run.end() - pos < _GLUED_SHORT and _longest_below(
                index, below[0], text, _skip_separators(text, _after_word(text, below[1]))
        ) is None:
            continue  # 342 8楼: a door 34, building 2 only if 8楼 is there too
        fits.append((heads[0], cut))
    if len(fits) > 1:
        return (f"{run.group(0)} may be read " + " or ".join(
            f"{text[pos:cut]} {text[cut:run.end()]}" for _, cut in fits)
            + " by what the base holds; not split")
    return fits[0] if fits else None


def _after_word(text: str, end: int) -> int:
    word = _ELEMENT_WORD.match(text, end)
    return word.end() if word else end


def _skip_separators(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SEPARATORS:
        pos += 1
    return pos


def _longest_below(index: AddressIndex, node: int, text: str, pos: int) -> tuple[int, int] | None:
    """The one node below `node` keyed by the longest prefix of text[pos:] that ends at a
    boundary, and where that prefix ends; None when no prefix fits, or two nodes do."""
    for end in range(min(len(text), pos + _LONGEST_KEY), pos, -1):
        if not _boundary(text, end):
            continue
        key = text[pos:end]
        if not index.is_key(key):
            continue
        word = _WORD_AFTER.match(text, end)
        # A word after the key must be one of its level's (1期 is no floor 1).
        levels = [lvl for lvl in _LEVELS if word is None or word.group(0) in LEVEL_WORDS[lvl]]
        found = {n for level in levels for n in index.child(node, level, key)}
        if not found and "room" in levels:  # a room on a floor not typed
            level = index.level_of(node)
            if level == "unit":
                found = {
                    r for f in index.children(node, "floor") for r in index.child(f, "room", key)
                }
            elif level != "floor":
                found = set(index.rooms_in(node, key))  # filed under their building
        if len(found) == 1:
            return found.pop(), end
        if found:
            return None
    return None


def _boundary(text: str, end: int) -> bool:
    """Whether a key may end before text[end]: not inside a run of digits or of letters."""
    if end >= len(text):
        return True
    before, after = text[end - 1], text[end]
    if before.isdigit() and after.isdigit():
        return False
    return not ("A" <= before <= "Z" and "A" <= after <= "Z")
