"""The edit-distance scan for a misspelt road or compound name: the two closest names.

When no name is one typo away (`NameLexicon.near`), a typed name is compared with every
name of its areas by rapidfuzz's ratio. A city county holds thousands of names, and the
scan ran several times for one text (each reading of it): at city scale a text with a
dropped character cost 1.9 ms, twelve times an ordinary one. The ratio bounds how many
characters a name at the cutoff shares with the typed one, so only names holding one of
the typed name's rarest characters can reach it (prefix filtering): those are scored, and
the answer is the full scan's, name for name.
"""

from __future__ import annotations

import math

from rapidfuzz import fuzz, process

FUZZY_CUTOFF = 80  # rapidfuzz ratio a misspelt road or compound name must reach


class NameScan:
    """The names of one lexicon in some areas, with their positions by sorted characters
    (anagrams, which the swap rule may lift) and by each character they hold."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.anagrams: dict[str, list[int]] = {}
        self.holding: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            self.anagrams.setdefault("".join(sorted(name)), []).append(i)
            for char in set(name):
                self.holding.setdefault(char, []).append(i)

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
        rarest = sorted(key, key=lambda char: len(self.holding.get(char, ())))
        found: set[int] = set()
        for char in rarest[: len(key) - shared + 1]:
            found.update(self.holding.get(char, ()))
        return sorted(found)


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


def closest_two(key: str, scan: NameScan) -> list[tuple[str, float, int]]:
    """The two names most like `key` by `similarity`, at least FUZZY_CUTOFF, best first.

    What `process.extract(key, names, scorer=similarity, limit=2, score_cutoff=...)` over
    every name gives (ties in list order), with the edit ratio scored natively over the
    candidates alone: only the anagrams of `key`, which the swap rule may lift, are scored
    in Python.
    """
    at = scan.candidates(key)
    found = {at[j]: (name, score) for name, score, j in process.extract(
        key, [scan.names[i] for i in at], scorer=fuzz.ratio, limit=None,
        score_cutoff=FUZZY_CUTOFF)}
    for i in scan.anagrams.get("".join(sorted(key)), ()):
        found[i] = (scan.names[i], similarity(key, scan.names[i]))
    ranked = sorted(found.items(), key=lambda item: (-item[1][1], item[0]))
    return [(name, score, i) for i, (name, score) in ranked[:2] if score >= FUZZY_CUTOFF]
