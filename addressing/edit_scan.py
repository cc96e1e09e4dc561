"""The edit-distance scan for a misspelt road or compound name: the two closest names.

When no name is one typo away (`NameLexicon.near`), a typed name is compared with every
name of its areas by rapidfuzz's ratio. A city county holds thousands of names, and the
scan ran several times for one text (each reading of it): at city scale a text with a
dropped character cost 1.9 ms, twelve times an ordinary one. The ratio bounds how many
characters a name at the cutoff shares with the typed one, so only names holding one of
the typed name's rarest characters can reach it (prefix filtering): those are scored, and
the answer is the full scan's, name for name.

The geocoder scans only after looking for names one typo away (`NameLexicon.near`) and
finding none in the areas; what is left to find is further away, and the ratio allows that
only for a few lengths of name (a four-character key reaches 80 only with a six-character
name holding all four: 工业花园, 工业花园二期). Told so, the scan looks only there: at city
scale it scored every name of a county ending in 花园 for each misspelt compound.
"""

from __future__ import annotations

import math
from functools import lru_cache

from rapidfuzz import fuzz, process

FUZZY_CUTOFF = 80  # rapidfuzz ratio a misspelt road or compound name must reach


class NameScan:
    """The names of one lexicon in some areas, with their positions by sorted characters
    (anagrams, which the swap rule may lift) and by each character they hold (and length)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        # Built when first asked: a scan is made for each new set of areas, and most are
        # asked one way only (a long key, past the names one typo away).
        self._anagrams: dict[str, list[int]] | None = None
        self._holding: dict[str, list[int]] | None = None
        self._holding_of_length: dict[tuple[int, str], list[int]] | None = None

    def anagrams(self, key: str) -> list[int]:
        """Positions of the names made of the key's characters in another order."""
        if self._anagrams is None:
            self._anagrams = {}
            for i, name in enumerate(self.names):
                self._anagrams.setdefault("".join(sorted(name)), []).append(i)
        return self._anagrams.get("".join(sorted(key)), [])

    def holding(self) -> dict[str, list[int]]:
        """Positions of the names holding each character."""
        if self._holding is None:
            self._holding = {}
            for i, name in enumerate(self.names):
                for char in set(name):
                    self._holding.setdefault(char, []).append(i)
        return self._holding

    def holding_of_length(self) -> dict[tuple[int, str], list[int]]:
        """`holding`, by the name's length too."""
        if self._holding_of_length is None:
            self._holding_of_length = {}
            for i, name in enumerate(self.names):
                for char in set(name):
                    self._holding_of_length.setdefault((len(name), char), []).append(i)
        return self._holding_of_length

    def __len__(self) -> int:
        return len(self.names)

    def candidates(self, key: str) -> list[int]:
        """Positions of every name that may reach FUZZY_CUTOFF against `key`, in order.

        ratio = 200·LCS / (len(key) + len(name)), and the characters two names share
        (counted with repeats) are at least their LCS; so a name at the cutoff shares at
        least `shared_at_cutoff` of the key's characters, and holds one of any
        len(key) − shared + 1 of them: the rarest are looked up.
        """
        shared = shared_at_cutoff(len(key))
        if shared <= 0:
            return list(range(len(self.names)))
        holding = self.holding()
        rarest = sorted(key, key=lambda char: len(holding.get(char, ())))
        found: set[int] = set()
        for char in rarest[: len(key) - shared + 1]:
            found.update(holding.get(char, ()))
        return sorted(found)

    def candidates_beyond_one_typo(self, key: str) -> list[int]:
        """`candidates`, for a scan that needs no name one typo away from `key` (nor `key`):
        only names of the lengths `beyond_one_typo` allows, each holding one of the key's
        rarest characters, as many as its length requires."""
        found: set[int] = set()
        holding = self.holding_of_length()
        for length, shared in beyond_one_typo(len(key)):
            rarest = sorted(key, key=lambda char: len(holding.get((length, char), ())))
            for char in rarest[: len(key) - shared + 1]:
                found.update(holding.get((length, char), ()))
        return sorted(found)


@lru_cache(maxsize=64)
def beyond_one_typo(length: int) -> tuple[tuple[int, int], ...]:
    """The lengths of name that can reach FUZZY_CUTOFF against a key of `length` without
    being one typo from it, each with the fewest characters such a name shares with the key.

    ratio = 200·LCS / (length + other). One typo is one character added or dropped (LCS
    the shorter length, the lengths one apart), one dropped from each (LCS `length` − 1,
    the lengths equal: a character changed or moved), or the key's letters in another
    order; the longest LCS left is the shorter length where the lengths differ by two or
    more, one less where they differ by one, and two less where they are equal.
    """
    cutoff = FUZZY_CUTOFF / 100
    out = []
    for other in range(1, math.floor(length * (2 - cutoff) / cutoff) + 2):
        apart = abs(length - other)
        lcs = min(length, other) - (2 if apart == 0 else 1 if apart == 1 else 0)
        if lcs > 0 and 200 * lcs >= FUZZY_CUTOFF * (length + other):
            out.append((other, math.ceil(cutoff / 2 * (length + other) - 1e-9) - 1))
    return tuple(out)


def shared_at_cutoff(length: int) -> int:
    """The fewest characters a name reaching FUZZY_CUTOFF shares with a key of `length`,
    one less for rounding (the filter may let more names through, never fewer)."""
    r = FUZZY_CUTOFF / 100
    # LCS ≥ r/2 · (length + other) and LCS ≤ other: the other name is at least this long.
    shortest = math.ceil(r * length / (2 - r) - 1e-9)
    return math.ceil(r / 2 * (length + shortest) - 1e-9) - 1


def similarity(typed: str, known: str, **_: object) -> float:
    """Edit similarity, counting two swapped characters (河沙西路 for 沙河西路) as one typo
    (a rapidfuzz scorer: it takes the options rapidfuzz passes)."""
    ratio = fuzz.ratio(typed, known)
    if len(typed) == len(known) and sorted(typed) == sorted(known):
        ratio = max(ratio, 90.0)
    return ratio


def closest_two(key: str, scan: NameScan, beyond_typo: bool = False
                ) -> list[tuple[str, float, int]]:
    """The two names most like `key` by `similarity`, at least FUZZY_CUTOFF, best first.
    With `beyond_typo`, the caller vouches that no name of the scan is `key` or one typo
    from it (`NameLexicon.near`), and only names further away are looked at.

    What `process.extract(key, names, scorer=similarity, limit=2, score_cutoff=...)` over
    every name gives (ties in list order), with the edit ratio scored natively over the
    candidates alone: only the anagrams of `key`, which the swap rule may lift, are scored
    in Python.
    """
    at = scan.candidates_beyond_one_typo(key) if beyond_typo else scan.candidates(key)
    found = {at[j]: (name, score) for name, score, j in process.extract(
        key, [scan.names[i] for i in at], scorer=fuzz.ratio, limit=None,
        score_cutoff=FUZZY_CUTOFF)}
    for i in scan.anagrams(key):
        found[i] = (scan.names[i], similarity(key, scan.names[i]))
    ranked = sorted(found.items(), key=lambda item: (-item[1][1], item[0]))
    return [(name, score, i) for i, (name, score) in ranked[:2] if score >= FUZZY_CUTOFF]
