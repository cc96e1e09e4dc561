"""Administrative levels of an address, read from its text (names: addressing.admin_names).

`AdminGazetteer.parse(text)` reads the admin prefix of a normalised address (广东省深圳市南山区
粤海街道, 深圳南山, 南山区 …) and returns every chain of divisions consistent with it. Names
that several areas share (南山区 in 深圳 and in 鹤岗) stay several chains until context —
another level typed, or the address base — decides; nothing is guessed here. The names'
lookups (longest name at a position, sound, placeholders) are addressing.admin_lookup; how
each name read extends the chains, and which of its readings are certain, admin_chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from addressing.admin_chains import (
    WIDE,
    coarsest_reading,
    conflict_note,
    extend,
    inside_names,
    reads_bare_township,
    repeats,
    skips_a_level,
    typed_township,
)
from addressing.admin_lookup import SOUND_READ, AdminLookup
from addressing.admin_names import (
    AREA_ENDINGS,
    LEVEL_ORDER,
    NOT_AREAS,
    TOWNSHIP_KINDS,
    AdminName,
    is_within,
    typed_with_kind,
)
from addressing.grammar import COMPOUND_SUFFIXES, ZONE_WORDS
from addressing.lexicon import NameLexicon
from twin.divisions import LEVEL_DIGITS, Division, DivisionTable, Level, load_divisions

# After a short name, these start a road or place, not the rest of an area (南山大道).
_ROAD_STARTS = set("路街道巷弄里大桥村园湾山河湖口门")
_DIRECTIONS = set("东南西北中")
_COMPOUND_WORDS = tuple(w for w in COMPOUND_SUFFIXES if len(w) > 1)  # 小区, 家园, 科技园
_COMPOUND_READ = max(2, *(len(w) for w in _COMPOUND_WORDS))
_COMPOUND_CHARS = {w for w in COMPOUND_SUFFIXES if len(w) == 1}  # 苑, 园, 城
_COUNTY_ENDS = set("县区市旗")
_ROAD_WORDS = set("路街巷道")


@dataclass(frozen=True, slots=True)
class AdminToken:
    """An admin name found in the normalised text, with the divisions it may mean."""

    start: int
    end: int
    text: str
    names: tuple[AdminName, ...]


@dataclass
class AdminParse:
    """The admin prefix of an address: tokens, the consistent chains, and what was odd."""

    tokens: list[AdminToken]
    chains: list[tuple[AdminName, ...]]
    end: int
    notes: list[str] = field(default_factory=list)
    readings: list[tuple[str, str | None]] = field(default_factory=list)
    # Townships typed in full that lie outside the areas read (海宁市盐仓镇: merged away,
    # or typed under the wrong county): still townships the text names, never checked.
    unplaced: list[AdminToken] = field(default_factory=list)
    _finest: list[Division] | None = field(default=None, repr=False, compare=False)

    def finest(self) -> list[Division]:
        """The finest division of each chain (several when the names are ambiguous)."""
        if self._finest is None:  # a memoised parse serves many queries
            seen: dict[str, Division] = {}
            for chain in self.chains:
                d = chain[-1].division
                seen.setdefault(d.code, d)
            self._finest = list(seen.values())
        return list(self._finest)

    def decided(self, level: Level, table: DivisionTable) -> Division | None:
        """The division at `level` when every chain agrees on it, else None."""
        found: set[str] = set()
        for chain in self.chains:
            d = chain[-1].division
            if LEVEL_ORDER[d.level] < LEVEL_ORDER[level]:
                return None
            found.add(d.code[: LEVEL_DIGITS[level]])
        if len(found) != 1:
            return None
        code = found.pop().ljust(12, "0")
        return table.by_code.get(code)


# (kind, start, admin prefix) → characters read past the prefix → what they were → the
# parse (kind _DONE) or the state of a parse about to read its next name (kind _STATE)
_ParseMemo = dict[tuple[int, int, str], dict[int, dict[str, Any]]]
_DONE, _STATE = 0, 1


def _recall(memo: _ParseMemo, text: str, start: int, pos: int, kind: int = _DONE) -> Any:
    """What was memoised for text[start:pos] and the same characters read past it, if any."""
    readings = memo.get((kind, start, text[start:pos]))
    if readings is not None:
        # Keyed by how many characters past the prefix were read (few distinct counts),
        # then by those characters: one dict lookup per count.
        for needed, by_tail in readings.items():
            found = by_tail.get(text[pos : pos + needed])
            if found is not None:
                return found
    return None


def _remember(memo: _ParseMemo, text: str, start: int, pos: int, reach: int, value: Any,
              kind: int = _DONE) -> None:
    key = (kind, start, text[start:pos])
    readings = memo.get(key)
    if readings is None:
        if len(memo) > 400_000:
            memo.clear()
        readings = memo[key] = {}
    by_tail = readings.setdefault(max(0, reach - pos), {})
    if len(by_tail) < 4096:
        by_tail[text[pos:max(pos, reach)]] = value


class AdminGazetteer(AdminLookup):
    """Reads the admin prefix of an address over every name of every division (memoised)."""

    def __init__(self, table: DivisionTable):
        super().__init__(table)
        # Parses keyed by start and admin prefix (see `parse`): those made with a street
        # lexicon are kept in its memos under this gazetteer's key, the others here.
        self._memo_key = object()
        self._plain_memo: _ParseMemo = {}
        self._walks: dict[str, int] = {}  # admin prefix → start of its last name
        self._walk_lengths: list[int] = []
        self._walk_ends: set[str] = set()  # the last characters of the recorded prefixes

    def clear_memos(self) -> None:
        """Forget memoised walks and parses (they never change a result; tests check that).

        Parses kept with a street lexicon under the old key go when the lexicon goes.
        """
        self._memo_key = object()
        self._plain_memo = {}
        self._walks = {}
        self._walk_lengths = []
        self._walk_ends = set()

    def _usable(self, text: str, pos: int, end: int, names: list[AdminName]
                ) -> tuple[list[AdminName], int]:
        """The readings of text[pos:end] that may be areas here, and how far that read.

        A bare short name before a road character is a road's first word (南山大道), unless
        admin names inside it follow (盐城大丰区, 广西河池南丹县). A short name typed with a
        kind word of its level is not bare (麻勘社区 of 麻勘社区居委会, 延边州, 长阳县); 西乡
        of 西乡街道 is, and begins 西乡中路.
        """
        reach = end
        road_like = False
        piece = text[pos:end]
        if any(n.kind == "short" and not typed_with_kind(piece, n.division) for n in names):
            reach = end + 2  # _road_follows reads the two characters after
            road_like = _road_follows(text, end)
        usable = []
        for n in names:
            if n.kind == "short" and road_like and not typed_with_kind(piece, n.division):
                inside, probe = self._area_inside(text, end, n.division)
                reach = max(reach, probe)
                if not inside:
                    continue
            usable.append(n)
        return usable, reach

    def _shorter_leading_on(
        self, text: str, pos: int, end: int, chains: list[tuple[AdminName, ...]]
    ) -> tuple[tuple[int, list[AdminName], list[tuple[AdminName, ...]]] | None, int]:
        """A shorter name at `pos` that fits and is followed by areas inside it, when the
        longest (text[pos:end]) is followed by none: 普洱镇沅…县 is 普洱 and 镇沅…县, not the
        township 普洱镇. Returns (end, readings, chains) or None, and how far that read."""
        after, reach = self._scan(text, end)
        if after is not None:
            return None, reach
        shorter = self._shorter(text, pos, end)
        while shorter is not None:
            usable, probe = self._usable(text, pos, shorter, self.names[text[pos:shorter]])
            reach = max(reach, probe)
            extended = extend(chains, usable)
            for chain in extended:
                inside, probe = self._area_inside(text, shorter, chain[-1].division)
                reach = max(reach, probe)
                if inside:
                    return (shorter, usable, extended), reach
            shorter = self._shorter(text, pos, shorter)
        return None, reach

    def _repeat_leads_on(
        self, text: str, pos: int, end: int, chains: list[tuple[AdminName, ...]],
        extended: list[tuple[AdminName, ...]],
    ) -> tuple[bool, int]:
        """Whether text[pos:end], which repeats an area already read, is only a repeat: what
        follows lies inside the areas already read and not inside a new reading of it
        (南山区南山粤海街道: 南山 is not 南山街道 here), or it reads as nothing new and is
        typed in full (a bare 南山 may start a road: 南山达道). Returns that, and how far it
        read."""
        reach = end
        for outer, inner in ((chains, True), (extended, False)):
            for chain in outer:
                inside, probe = self._area_inside(text, end, chain[-1].division, depth=0)
                reach = max(reach, probe)
                if inside is not inner:
                    if not extended and text[pos:end].endswith(AREA_ENDINGS):
                        return True, reach
                    return False, reach
        return True, reach

    def _area_follows(self, text: str, found: tuple[int, list[AdminName]],
                      probes: list[int]) -> bool:
        """Whether an area inside a province or city read here follows it at once: then the
        street name that starts here is not one (台州路桥区 is 台州 + 路桥区, not 台州路).
        How far it read is added to `probes`."""
        end, names = found
        wide = [n.division for n in names if n.division.level in WIDE]
        if not wide:
            return False
        best, probe = self._scan(text, end)
        probes.append(probe)
        return best is not None and any(
            is_within(n, d) for n in self.names[text[end:best]] for d in wide)

    def _later_chain(self, text: str, end: int, names: list[AdminName],
                     chains: list[tuple[AdminName, ...]]) -> tuple[list[AdminName], int]:
        """The province, city or county readings among `names` (read just before `end`,
        after a chain that went below a province, and to the level above theirs at least;
        names typed in full below a province) that begin a second chain, being
        followed by an area inside them (浙江杭州…, 浙江省独山港镇; 温州广州市荔湾区,
        宁波市海曙区宁波市镇海区, 衢州德清县武康镇: a form's or a wrong area, then the real
        one; not the shop 浙江商城, nor 浙江省人民医院); and how far that read."""
        later: list[AdminName] = []
        reach = end
        deepest = max((LEVEL_ORDER[c[-1].division.level] for c in chains if c), default=-1)
        if deepest <= LEVEL_ORDER[Level.province]:
            return later, reach
        for n in names:
            level = n.division.level
            if level is Level.province or level in _CHAIN_STARTS and (
                    LEVEL_ORDER[level] <= deepest + 1 and n.kind != "short"):
                inside, probe = self._area_inside(text, end, n.division)
                reach = max(reach, probe)
                if inside and level is not Level.province and any(
                        link.division == n.division for c in chains for link in c):
                    # a repeat (南山区南山区粤海街道) starts no chain unless what follows
                    # is not inside the chain read (宁波市海曙区宁波市镇海区)
                    for c in chains:
                        within, probe = self._area_inside(text, end, c[-1].division, depth=0)
                        reach = max(reach, probe)
                        inside = inside and not within
                if inside:
                    later.append(n)
        return later, reach

    def _province_direct(self, names: list[AdminName], chains: list[tuple[AdminName, ...]]
                         ) -> list[tuple[AdminName, ...]]:
        """The chains that end in a city, each grown by a county among `names` that its
        province administers directly (its parent is no area: 自治区直辖县级行政区划)."""
        out = []
        for chain in chains:
            city = chain[-1].division if chain else None
            if city is None or city.level is not Level.city:
                continue
            for n in names:
                d = n.division
                parent = self.table.by_code.get(d.parent_code or "")
                if d.level is Level.county and parent is not None and (
                        parent.name in NOT_AREAS) and d.code[:2] == city.code[:2]:
                    out.append((*chain, n))
        return out

    def _city_short(self, text: str, pos: int,
                    last: tuple[AdminToken, list[tuple[AdminName, ...]]]
                    ) -> tuple[tuple[AdminName, ...], int] | None:
        """When the name before `pos` ends in 市 and 市 starts a county inside that city
        (青岛市北区: 市北区), the short readings of the city, and how far that read."""
        token, _ = last
        end, reach = self._scan(text, pos - 1)
        if end is None or not text[pos - 1:end].endswith(AREA_ENDINGS):
            return None
        cities = {n.division.code: n.division for n in token.names
                  if n.division.level is Level.city and n.kind == "full"}
        counties = [m for m in self.names[text[pos - 1:end]]
                    if m.kind == "full" and any(is_within(m, c) for c in cities.values())]
        shorts = tuple(n for n in self.names.get(text[token.start:pos - 1], [])
                       if n.kind == "short" and n.division.code in cities)
        if not counties or not shorts:
            return None
        return shorts, reach

    def _townships_of_name(self, piece: str, names: list[AdminName],
                           chains: list[tuple[AdminName, ...]]) -> list[str]:
        """A note when `piece`, typed with no county before it, is the short name of
        townships in several counties of the city or province read (never one guessed)."""
        outer = [c[-1].division for c in chains if c and c[-1].division.level in WIDE]
        towns = {n.division.code: n.division for n in names if n.kind == "short"
                 and n.division.level is Level.township and any(is_within(n, o) for o in outer)}
        if len(towns) < 2:
            return []
        counties = sorted({self.table.by_code[code[:6].ljust(12, "0")].name for code in towns
                           if code[:6].ljust(12, "0") in self.table.by_code})
        return [f"{piece} may be a township of {'/'.join(counties)} "
                f"({len(towns)} of that name); none is taken"]

    def _walk(self, text: str, start: int) -> tuple[int, list[int]]:
        """Where the run of admin names from `start` ends (memoised on known prefixes), and
        where some of its names start (the places a memoised parse may resume from)."""
        pos = start
        starts = [start]
        if start == 0:
            ends = self._walk_ends
            for length in self._walk_lengths:
                # (A prefix so long is recorded only if it ends in a character some
                # recorded prefix ends in: most lengths are passed without a lookup.)
                if length > len(text) or text[length - 1] not in ends:
                    continue
                last = self._walks.get(text[:length])
                # A recorded walk ended here; only its last name can read on differently.
                if last is not None and self._scan(text, last)[0] == length:
                    pos = length
                    starts.append(last)
                    break
        first, last_start, plain = pos, pos, True
        probes: list[int] = []
        while True:
            best, probe = self._scan(text, pos)
            if best is None and pos > first and text[pos - 1] == "市":
                # 济南市中区: the parse may read 济南 and 市中区 (see `_city_short`).
                probes.append(probe)
                again, probe = self._scan(text, pos - 1)
                if again is not None and again > pos and text[pos - 1:again].endswith(
                        AREA_ENDINGS):
                    probes.append(probe)
                    starts.append(pos - 1)
                    last_start, pos = pos - 1, again
                    continue
            if best is None:
                found = self.sounds_at(text, pos)
                if found is None:
                    best = self._placeholder_at(text, pos)[0]  # a form's empty level
                    if best is None:
                        break
                else:
                    best = found[0]
                plain = False
            probes.append(probe)
            starts.append(pos)
            last_start, pos = pos, best
        # Recorded only when every name but the last was decided inside the prefix.
        if first == 0 and plain and probes and max(probes[:-1], default=0) <= pos:
            if len(self._walks) > 100_000:
                self._walks.clear()
                self._walk_lengths = []
                self._walk_ends = set()
            self._walks[text[:pos]] = last_start
            if pos > 0:
                self._walk_ends.add(text[pos - 1])
            if pos not in self._walk_lengths:
                self._walk_lengths = sorted({*self._walk_lengths, pos}, reverse=True)
        return pos, starts

    def parse(
        self, text: str, start: int = 0, street_names: NameLexicon[Any] | None = None
    ) -> AdminParse:
        """Read admin names from `start` on; stop at the first text that is not one.

        The reading depends only on the admin names and the few characters after them that
        its lookups read, so it is memoised on exactly that stretch: a batch of one city
        parses each admin prefix (and the character after it) once.
        """
        pos, starts = self._walk(text, start)
        memo = (self._plain_memo if street_names is None
                else street_names.memo(self._memo_key))
        cached = _recall(memo, text, start, pos)
        if cached is not None:
            return cached
        parsed, reach = self._parse(text, start, pos, street_names, memo, starts)
        _remember(memo, text, start, pos, reach, parsed)
        return parsed

    def _parse(
        self, text: str, start: int, stop: int, street_names: NameLexicon[Any] | None,
        memo: _ParseMemo, starts: list[int],
    ) -> tuple[AdminParse, int]:
        """The parse of text[start:stop] (`stop` where the walk ended), and how far it read.

        Every lookup reports the end of what it read, so the parse is a function of
        text[:reach] (past the end of the text counts as read: a shorter text differs).
        At `stop` the walk found neither a name nor a misspelt one, so the loop ends there
        without reading on. The state at the start of each name is memoised the same way,
        and a parse resumes from the latest one recalled at a place the walk passed.
        """
        tokens: list[AdminToken] = []
        chains: list[tuple[AdminName, ...]] = [()]
        notes: list[str] = []
        unplaced: list[AdminToken] = []
        before: list[tuple[AdminToken, list[tuple[AdminName, ...]]]] = []  # chains per token
        pos = reach = start
        for at in reversed(starts):
            if start < at < stop:
                state = _recall(memo, text, start, at, _STATE)
                if state is not None:
                    saved_tokens, chains, saved_notes, saved_before, saved_unplaced, reach = state
                    tokens, notes, pos = list(saved_tokens), list(saved_notes), at
                    unplaced = list(saved_unplaced)
                    before = list(saved_before)
                    break
        while pos < stop:
            if pos > start:
                _remember(memo, text, start, pos, reach,
                          (tuple(tokens), chains, tuple(notes), tuple(before), tuple(unplaced),
                           reach), _STATE)
            best, probe = self._scan(text, pos)
            reach = max(reach, probe)
            street: tuple[int, str] | None = None
            if street_names is not None:
                street, probe = street_names.longest_reach(text, pos)
                reach = max(reach, probe)
            found = None if best is None else (best, self.names[text[pos:best]])
            probes: list[int] = []
            if found is None and street is None:
                reach = max(reach, pos + SOUND_READ)
                found = self.sounds_at(text, pos)
            if found is None and street is None:
                # (Not where a known street starts, 县前街: reading on for a placeholder
                # there would only make the memo's key longer.)
                skip, probe = self._placeholder_at(text, pos)
                reach = max(reach, probe)
                if skip is not None:
                    # A form's empty level (浙江省杭州市NULL…, 广州市市辖区…): said, not read.
                    notes.append(f"placeholder {text[pos:skip]} skipped (not an area)")
                    pos = skip
                    continue
            street_first = found is not None and street is not None and (
                street[0] > found[0]
                or (street[0] == found[0] and all(n.kind == "short" for n in found[1])
                    and not any(n.division.level in WIDE for n in found[1]))
            ) and not self._area_follows(text, found, probes)
            reach = max(reach, *probes) if probes else reach
            if street_first:
                break  # a road or compound name that starts like an area (南山大道, 创业路)
            taken: tuple[int, list[AdminName], list[tuple[AdminName, ...]]] | None = None
            restart = False
            if found is not None:
                end, names = found
                while True:
                    usable, probe = self._usable(text, pos, end, names)
                    reach = max(reach, probe)
                    bare = reads_bare_township(usable, chains)
                    if bare:
                        reach = max(reach, end + _COMPOUND_READ)
                        bare = not _names_more(text, end)
                    extended = extend(chains, usable, bare)
                    if tokens and not extended or repeats(usable, chains):
                        later, probe = self._later_chain(text, end, usable, chains)
                        reach = max(reach, probe)
                        if later:
                            taken, restart = (end, later, extend([()], later)), True
                            break
                    if repeats(usable, chains):  # 南山区南山区…, 南山区南山粤海街道
                        leads_on, probe = self._repeat_leads_on(text, pos, end, chains, extended)
                        reach = max(reach, probe)
                        if leads_on:
                            taken = end, usable, []
                            break
                    if extended:
                        taken = end, usable, extended
                        if end == found[0] and skips_a_level(extended):
                            better, probe = self._shorter_leading_on(text, pos, end, chains)
                            reach = max(reach, probe)
                            taken = better or taken
                        break
                    # A name that does not fit here (榆林子 of 榆林子洲县, 镇江镇 of
                    # 镇江镇江新区): a shorter one at the same place may (榆林, 镇江). If none
                    # does, the longest is noted as a conflict, or a short one ends the run.
                    if taken is None and any(n.kind != "short" for n in usable):
                        taken = end, usable, extended
                    shorter = self._shorter(text, pos, end)
                    if shorter is None:
                        break
                    end, names = shorter, self.names[text[pos:shorter]]
            if taken is None:
                resumed = None
                if before and street is None and text[pos - 1] == "市":
                    resumed = self._city_short(text, pos, before[-1])
                if resumed is None:
                    if found is not None:  # 杭州市城北: say why it was not read
                        notes.extend(self._townships_of_name(text[pos:found[0]], found[1],
                                                             chains))
                    break
                # 青岛市北区 is 青岛 and 市北区 when 北区 reads as nothing here.
                reach = max(reach, resumed[1])
                token, chains = before.pop()
                shortened = AdminToken(token.start, pos - 1, text[token.start:pos - 1],
                                       resumed[0])
                tokens[-1] = shortened
                before.append((shortened, chains))
                chains = coarsest_reading(extend(chains, list(resumed[0])), self._namesakes)
                pos -= 1
                continue
            end, usable, extended = taken
            piece = text[pos:end]
            if not extended and piece.endswith(ZONE_WORDS) and not repeats(usable, chains):
                # 白塔镇工业园区: the town's zone, not a township of that name elsewhere; the
                # street part reads it (a compound the base holds, or a place before the road),
                # unless an area follows it (杭州经济技术开发区下沙街道: the zone is passed).
                after, probe = self._scan(text, end)
                reach = max(reach, probe, end + 2)
                if not text.startswith(TOWNSHIP_KINDS, end) and (
                        after is None or not extend(chains, self.names[text[end:after]])):
                    break
                notes.append(f"{piece} read as a zone (the township of that name lies outside "
                             f"{inside_names(chains)}); passed")
                pos = end
                continue
            direct = [] if extended else self._province_direct(usable, chains)
            if direct:
                # 阿克苏地区阿拉尔市, 荆州市潜江市: a county the province administers directly,
                # typed after the city it lies in or by: the county, the city passed.
                cities = "/".join(sorted({c[-2].division.name for c in direct}))
                notes.append(f"{piece} is administered by its province directly, not by "
                             f"{cities}; {cities} passed")
                extended = [c[:-2] + c[-1:] for c in direct]
            if not extended:
                if not repeats(usable, chains):  # 深圳市深圳市, 嘉峪关市嘉峪关市: said already
                    notes.append(conflict_note(piece, usable, chains))
                    if typed_township(piece, usable):
                        unplaced.append(AdminToken(pos, end, piece, tuple(usable)))
                pos = end
                continue
            if restart:
                # A form's chain, then the real one (河南省漯河市召陵区浙江省杭州市淳安县…):
                # the later chain is the address; the earlier one is said and dropped.
                notes.append(f"admin chain typed again from {piece}: "
                             f"{text[tokens[0].start:pos]} dropped, the later one read")
                tokens, before, chains, unplaced = [], [], [()], []
            token = AdminToken(pos, end, piece, tuple(usable))
            before.append((token, chains))
            tokens.append(token)
            chains = coarsest_reading(extended, self._namesakes)
            for n in {c[-1] for c in chains if c[-1].note}:
                note = f"{piece}: {n.note}"
                if n.note and note not in notes:
                    notes.append(note)
            pos = end
        chains = [c for c in chains if c]
        return AdminParse(tokens, chains, pos, notes, _readings(tokens, chains),
                          unplaced), reach


# Below a province, the levels a second chain may start at (typed in full).
_CHAIN_STARTS = (Level.city, Level.county)


def _readings(
    tokens: list[AdminToken], chains: list[tuple[AdminName, ...]]
) -> list[tuple[str, str | None]]:
    # Per token: its level ("admin" when the readings differ) and its code when unique. A
    # township typed that is a county now (苍南县龙港镇: 龙港市 since 2019) is typed as a
    # township; its code is the county's.
    out = []
    for i, _token in enumerate(tokens):
        names = [c[i] for c in chains if len(c) > i]
        readings = {n.division.code: n.division for n in names}
        levels = {"township" if n.former_parent and n.division.level is Level.county
                  else str(n.division.level) for n in names}
        level = next(iter(levels)) if len(levels) == 1 else "admin"
        code = next(iter(readings)) if len(readings) == 1 else None
        out.append((level, code))
    return out


def _road_follows(text: str, end: int) -> bool:
    # 南山大道; 段塘西路, 东湖南路: a direction and a road's word end a road's name.
    return end < len(text) and (text[end] in _ROAD_STARTS or (
        text[end] in _DIRECTIONS and text[end + 1:end + 2] in _ROAD_WORDS))


def _names_more(text: str, end: int) -> bool:
    # Whether what follows a bare township name (one with no county typed) makes it part of
    # a longer name: a compound's word (北京市北苑家园; with its county typed, 萧山区瓜沥
    # 工业园 is the township's park), a direction and a compound's character (望江东园), or
    # an area's ending (苍山县, a county the table no longer holds).
    return text.startswith(_COMPOUND_WORDS, end) or text[end:end + 1] in _COUNTY_ENDS or (
        text[end:end + 1] in _DIRECTIONS and text[end + 1:end + 2] in _COMPOUND_CHARS)


@cache
def default_gazetteer() -> AdminGazetteer:
    """The gazetteer over the shipped NBS 2023 table (built once per process)."""
    return AdminGazetteer(load_divisions())
