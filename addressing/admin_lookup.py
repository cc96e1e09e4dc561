"""Every name of every division, and the lookups the admin parse makes over them.

`AdminLookup` holds the names (full, short, office, former kinds, aliases; see
addressing.admin_names) and answers where the text at a position may name an area: the
longest name there and how far the scan read, a shorter one, a misspelt one that sounds
like a real one, a form's placeholder, and whether areas inside a given one follow. Every
lookup reports how far it read, which the parse's memo keys on. `AdminGazetteer`
(addressing.admin) reads an address's admin prefix over these lookups.
"""

from __future__ import annotations

from collections import defaultdict

from addressing.admin_names import (
    AREA_ENDINGS,
    NOT_AREAS,
    PLACEHOLDERS,
    PLACEHOLDERS_BEFORE_AREA,
    TOWNSHIP_KINDS,
    AdminName,
    former_county_names,
    former_township_names,
    is_within,
    office_names,
    other_township_kinds,
    read_aliases,
    short_names,
)
from addressing.lexicon import sound_key
from twin.divisions import Division, DivisionTable, Level

SOUND_READ = 7  # characters from its position that `sounds_at` reads (a 7-character name)
PLACEHOLDER_READ = max(len(w) for w in PLACEHOLDERS)  # what `_placeholder_at` reads at least


class AdminLookup:
    """Every name of every division, looked up by longest match at a position."""

    def __init__(self, table: DivisionTable):
        self.table = table
        self.names: dict[str, list[AdminName]] = defaultdict(list)
        for d in table:
            if d.name in NOT_AREAS:
                continue
            self.names[d.name].append(AdminName(d, "full"))
            for short in short_names(d):
                self.names[short].append(AdminName(d, "short"))
        # 古城街道办事处, 古城街办事处: a subdistrict named by its office, as forms often
        # write it (a name an area bears itself is left to that one).
        offices: dict[str, list[AdminName]] = defaultdict(list)
        for d in table:
            for office in office_names(d):
                offices[office].append(AdminName(d, "full"))
        for office, named in offices.items():
            if not self.names.get(office):
                self.names[office] = named
        # Old kinds: a township's (东浦镇, now 东浦街道) stands beside a real one of the name
        # elsewhere (the nesting decides, and a chain begins with the real one); a county's
        # (富阳市, now 富阳区) only where no real one bears it.
        for d in table:
            for former in former_township_names(d):
                self.names[former].append(AdminName(
                    d, "former", f"former kind: {former} is now {d.name}"))
        for d in table:
            for former in former_county_names(d):
                if not self.names.get(former):
                    self.names[former].append(AdminName(
                        d, "former", f"former kind: {former} is now {d.name}"))
        for name, alias in read_aliases(table):
            self.names[name].append(alias)
            if alias.former_parent is not None and name.endswith(("街道", "镇", "乡")):
                # 余杭区乔司镇, 余杭区临平: a moved township in its old county, under an older
                # kind or its short name too.
                for former in other_township_kinds(name):
                    self.names[former].append(alias)
                for short in short_names(alias.division):
                    self.names[short].append(AdminName(
                        alias.division, "short", alias.note, alias.former_parent))
        # 广西省, 新疆省, 广西自治区: an autonomous region typed as a province, a kind it never
        # was, or without its people's name.
        regions = [(name, n.division) for name, named in self.names.items() for n in named
                   if n.division.level is Level.province and n.kind != "former"
                   and n.division.name.endswith("自治区") and not name.endswith("区")]
        for name, d in regions:
            for typed in (name + "省", name + "自治区"):
                if not self.names.get(typed):
                    self.names[typed].append(AdminName(
                        d, "former", f"wrong kind: {typed} is {d.name}"))
        # Every prefix of every name: a lookup walks forward while the text is still a prefix.
        self._prefixes = {name[:k] for name in self.names for k in range(2, len(name) + 1)}
        # A division that is its parent's only child and bears its name (嘉峪关市 the county
        # of 嘉峪关市 the city): the name means both, and the inner one is certain.
        self._namesakes = {
            d.code for d in table
            if d.parent_code is not None and d.name == table.by_code[d.parent_code].name
            and len(table.children(d.parent_code)) == 1
        }
        self._sound_index: dict[str, list[AdminName]] | None = None

    def names_at(self, text: str, pos: int) -> tuple[int, list[AdminName]] | None:
        """The longest admin name starting at `pos`: its end and the divisions it may mean."""
        best = self._scan(text, pos)[0]
        return None if best is None else (best, self.names[text[pos:best]])

    def _placeholder_at(self, text: str, pos: int) -> tuple[int | None, int]:
        """The end of a form's placeholder at `pos` (NULL, 市辖区, 其它区; 其他 or 县 only
        where an admin name follows), and how far that read."""
        reach = pos + PLACEHOLDER_READ
        for word in PLACEHOLDERS:
            if text.startswith(word, pos):
                return pos + len(word), reach
        for word in PLACEHOLDERS_BEFORE_AREA:
            if text.startswith(word, pos):
                after, probe = self._scan(text, pos + len(word))
                return (None if after is None else pos + len(word)), max(reach, probe)
        return None, reach

    def _scan(self, text: str, pos: int) -> tuple[int | None, int]:
        # The end of the longest name at `pos`, and how far the scan had to read.
        best = None
        end = pos + 2
        stop = len(text)
        prefixes, names = self._prefixes, self.names
        while end <= stop:
            piece = text[pos:end]
            if piece not in prefixes:
                break
            if piece in names:
                best = end
            end += 1
        return best, end

    def _shorter(self, text: str, pos: int, end: int) -> int | None:
        """The end of the longest name at `pos` shorter than text[pos:end] (within what the
        scan that found `end` read)."""
        for shorter in range(end - 1, pos + 1, -1):
            if text[pos:shorter] in self.names:
                return shorter
        return None

    def _area_inside(self, text: str, pos: int, outer: Division, depth: int = 2
                     ) -> tuple[bool, int]:
        """Whether admin names inside `outer` start at `pos` and end in one typed in full
        (大丰区; 河池南丹县), and how far that read."""
        end, reach = self._scan(text, pos)
        if end is None:
            return False, reach
        piece = text[pos:end]
        inner = [m for m in self.names[piece] if is_within(m, outer)]
        if not inner:
            return False, reach
        if piece.endswith(AREA_ENDINGS) and any(m.kind != "short" for m in inner):
            return True, reach
        if depth == 0:
            return False, reach
        for m in inner:
            inside, probe = self._area_inside(text, end, m.division, depth - 1)
            reach = max(reach, probe)
            if inside:
                return True, reach
        return False, reach

    def township_ending(self, text: str, start: int, end: int) -> int | None:
        """Where the township named at the end of text[start:end] begins, for a place the
        street part holds (绍兴县柯桥街道, 政府五常街道, 水心街道): the longest tail that
        is a township's name, full or of another kind (丁桥镇, now 丁桥街道); else the whole
        run when it is only a name and its kind word (two to four characters before it,
        no area's ending among them); None when it ends in no kind word."""
        run = text[start:end]
        if not run.endswith(TOWNSHIP_KINDS):
            return None
        for at in range(start, end - 2):
            if any(n.kind != "short" and n.division.level is Level.township
                   for n in self.names.get(text[at:end], [])):
                return at
        stem = run[: -2 if run.endswith("街道") else -1]
        if 2 <= len(stem) <= 4 and not any(ch in "省市区县旗州镇乡村街道路" for ch in stem):
            return start
        return None

    def sounds_at(self, text: str, pos: int) -> tuple[int, list[AdminName]] | None:
        """A misspelt province/city/county name at `pos` that sounds like a real one (深证市)."""
        for end in range(min(len(text), pos + SOUND_READ), pos + 2, -1):
            if text[end - 1] not in "省市区县":
                continue
            names = self.sound_index().get(sound_key(text[pos:end]))
            if names:
                return end, names
        return None

    def sound_index(self) -> dict[str, list[AdminName]]:
        """Province, city and county names by their sound key (built on first use: a third
        of a second of pypinyin)."""
        if self._sound_index is None:
            index: dict[str, list[AdminName]] = defaultdict(list)
            for d in self.table:
                if d.level in (Level.province, Level.city, Level.county) and (
                    d.name not in NOT_AREAS
                ):
                    index[sound_key(d.name)].append(AdminName(d, "sound", f"read as {d.name}"))
            self._sound_index = index
        return self._sound_index
