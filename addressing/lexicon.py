"""A dictionary of names looked up by longest match at a position, and homophone keys.

Used for road and compound names of the address base (so 南山大道 is read as a road before
南山 is read as a district) and for the fuzzy readings of typed names (深证市, 科园路).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# 模糊音: initials and finals that people (and input methods) confuse.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("h", "f"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("iang", "ian"), ("uang", "uan"))


@lru_cache(maxsize=200_000)
def sound_key(text: str) -> str:
    """A homophone key: toneless pinyin with the usual fuzzy sounds folded (深证 = 深圳)."""
    out = []
    for syllable in (s for word in _words(text) for s in _word_sounds(word)):
        for long, short in _FUZZY_INITIALS:
            if syllable.startswith(long):
                syllable = short + syllable[len(long) :]
                break
        for long, short in _FUZZY_FINALS:
            if syllable.endswith(long):
                syllable = syllable[: -len(long)] + short
                break
        out.append(syllable)
    return " ".join(out)


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    from pypinyin.core import Pinyin

    return Pinyin()


def _words(text: str) -> list[str]:
    """The text cut into words as pypinyin cuts it before reading each word (its phrases
    decide a character's reading)."""
    return list(_segmenter().seg(text))


@lru_cache(maxsize=100_000)
def _word_sounds(word: str) -> tuple[str, ...]:
    """pypinyin's toneless reading of one word of `_words`. Reading a text word by word, with
    the words kept, gives its reading of the whole text (a test checks it on real address
    text) at a third of the cost: typed names are new each time, their words are not."""
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="default"))


class NameLexicon(Generic[T]):
    """Names → payloads, with longest-match lookup at a text position."""

    def __init__(self) -> None:
        self.entries: dict[str, list[T]] = defaultdict(list)
        self._prefixes: set[str] = set()
        self._sounds: dict[str, set[str]] | None = None
        self._edits: dict[str, set[str]] | None = None
        # Readings that parsers made with this lexicon, kept with it and dropped with it (a
        # rebuilt address base never sees the old one's readings), by the key of whoever
        # made them. Held here rather than in a weak mapping keyed by the lexicon: compiled
        # (mypyc) instances never clear their weak references, so one would dangle.
        self.memos: dict[object, dict[Any, Any]] = {}

    def add(self, name: str, payload: T) -> None:
        """Register `payload` under `name` (names of one character are ignored)."""
        if len(name) < 2:
            return
        bucket = self.entries[name]
        if payload not in bucket:
            bucket.append(payload)
        self._prefixes.update(name[:k] for k in range(2, len(name) + 1))
        self._sounds = self._edits = None
        self.memos.clear()

    def memo(self, key: object) -> dict[Any, Any]:
        """The memo that `key`'s owner keeps with this lexicon (made empty on first use)."""
        found = self.memos.get(key)
        if found is None:
            found = self.memos[key] = {}
        return found

    def begins(self, text: str) -> bool:
        """Whether some registered name begins with `text` (of two characters or more)."""
        return text in self._prefixes

    def get(self, name: str) -> list[T]:
        """Payloads under exactly `name`."""
        return self.entries.get(name, [])

    def longest_at(self, text: str, pos: int) -> tuple[int, str] | None:
        """The end and the name of the longest entry starting at `pos`, if any."""
        return self.longest_reach(text, pos)[0]

    def longest_reach(self, text: str, pos: int) -> tuple[tuple[int, str] | None, int]:
        """`longest_at`, and the end of what it read (len(text) + 1 when it read to the end)."""
        best = None
        end = pos + 2
        stop = len(text)
        prefixes, entries = self._prefixes, self.entries
        while end <= stop:
            piece = text[pos:end]
            if piece not in prefixes:
                break
            if piece in entries:
                best = piece
            end += 1
        return (None if best is None else (pos + len(best), best)), end

    def names(self) -> Iterable[str]:
        """Every registered name."""
        return self.entries.keys()

    def by_sound(self, name: str) -> list[str]:
        """Registered names that sound like `name` (homophones and fuzzy sounds)."""
        if self._sounds is None:
            sounds: dict[str, set[str]] = defaultdict(set)
            for known in self.entries:
                sounds[sound_key(known)].add(known)
            self._sounds = sounds
        return sorted(self._sounds.get(sound_key(name), ()))

    def near(self, name: str) -> list[str]:
        """Registered names one typo away: a character dropped, added, changed or two swapped.

        A symmetric-deletion index (each name with one character deleted) makes this a few
        dictionary lookups, however many names there are.
        """
        if self._edits is None:
            edits: dict[str, set[str]] = defaultdict(set)
            for known in self.entries:
                edits["\0" + "".join(sorted(known))].add(known)
                if len(known) >= 3:
                    for i in range(len(known)):
                        edits[known[:i] + known[i + 1 :]].add(known)
            self._edits = edits
        found: set[str] = set()
        found |= self._edits.get("\0" + "".join(sorted(name)), set())  # swapped characters
        found |= self._edits.get(name, set())  # a character dropped from the name
        if len(name) >= 3:
            for i in range(len(name)):
                shorter = name[:i] + name[i + 1 :]
                if shorter in self.entries:  # a character added
                    found.add(shorter)
                found |= self._edits.get(shorter, set())  # a character changed
        found.discard(name)
        return sorted(found)
