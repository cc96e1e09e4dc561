"""The geocoder on real address text: an address base built from a labelled corpus, then
the raw texts fed to it.

    python bench/geocode_real_text.py --corpus DIR [--split dev] [--database-url URL]

DIR holds the NAACL 2019 "Neural Chinese Address Parsing" data (Li, Lu, Xie, Li: Alibaba
logistics addresses labelled character by character, BIO tags; github.com/leodotnet/
neural-chinese-address-parsing, `data/train.txt` and `data/dev.txt`). Its test split is
never used here. Nothing of the corpus is in this repository.

For each labelled address the gold elements make one standard address chain: the county
from the NBS division table (by the gold district under the gold city and province, or by
the gold town when no district is labelled), township (when the gold town is one of the
county's), road (or subroad), door (roadno; a lane of the road, subroad 98弄 or 东禅巷 with
a number, when the road has no roadno, its subroadno then the building), compound (poi),
building (houseno), unit (cellno), floor (floorno), room (roomno), each value as the text
wrote it. Those rows go through the real address-base import into a real store (a fresh
SpatiaLite file unless `--database-url` names an empty migrated one), the index is built
from the store as the service builds it, and each raw text is geocoded. Printed:

- finest level: the share of texts whose answer is the node of their own chain (any
  status); and matched there;
- false matches: a street-level answer that is neither that node nor above it (the same
  place held twice under two names, one of them with its area's name before the other,
  义乌国际商贸城 and 国际商贸城 of 义乌市, is counted apart: not false, not finest);
- matched above typed: `matched` at a node above the finest element the base holds;
- per-element parse F1 of the geocoder's parse (spans against gold spans; a lane's spans
  at the levels the base row gives them), over all texts and over the texts whose address
  the base holds (there the parse reads by the base's names, as the service does);
- county accuracy of our parser, our geocoder, cpca and jionlp on the rows whose text
  names a district (gold district resolved in the NBS table), against the district as
  labelled and against where the labelled town lies today (a 2019 text's 江干区下沙街道 is in
  钱塘区 since 2021; the base holds each address where it is today, as one built now would).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from geocode_admin_compare import cpca_answers, jionlp_answers, ours_parse  # bench sibling

from addressing.admin_names import other_township_kinds, short_names
from addressing.base_import import import_address_base
from addressing.base_reader import build_index
from addressing.grammar import LANE_NAME_WORDS
from addressing.index import name_key
from addressing.match import Geocoder
from addressing.normalize import element_key
from twin.admin_areas import install_divisions
from twin.divisions import Division, DivisionTable, Level, load_divisions
from twin.settings import StoreSettings
from twin.store import migrate, open_store

# Gold label → our element level (the levels the issue measures).
LEVELS = {"district": "county", "town": "township", "road": "road", "roadno": "door",
          "poi": "compound", "houseno": "building", "cellno": "unit", "floorno": "floor",
          "roomno": "room"}
STREET = ("road", "door", "compound", "building", "unit", "floor", "room")
PATH = ("road", "compound", "door", "building", "unit", "floor", "room")  # root to leaf
COLUMNS = ("county_code", "township", "community", "road", "door_no", "compound", "building",
           "unit", "floor", "room")
_NUMBERED_LANE = re.compile("[0-9零一二三四五六七八九十百]+支?弄$")  # 98弄, 8支弄
ALIASES = Path(__file__).resolve().parents[1] / "addressing" / "data" / "division_aliases.tsv"
# What older NBS tables say (scripts/extract_division_changes.py): used only to say which
# current county a labelled old district and town are today (`Divisions.today`).
CHANGES = ALIASES.with_name("division_changes.tsv")


@dataclass
class Labelled:
    """One corpus address: its raw text and gold spans (label, start, end)."""

    text: str
    spans: list[tuple[str, int, int]] = field(default_factory=list)

    def first(self, label: str) -> str | None:
        for name, start, end in self.spans:
            if name == label:
                return self.text[start:end].strip() or None
        return None


def read_corpus(path: Path) -> list[Labelled]:
    """The labelled addresses of one split file (character TAB/space label, blank between)."""
    out: list[Labelled] = []
    chars: list[str] = []
    tags: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if chars:
                out.append(_labelled(chars, tags))
            chars, tags = [], []
            continue
        ch, _, tag = line.rpartition(" ")
        chars.append(ch if ch else " ")
        tags.append(tag)
    return out


def _labelled(chars: list[str], tags: list[str]) -> Labelled:
    """One address from its tokens. A token may be a run of digits or of letters; two digit
    runs in a row that begin two elements were apart in the text typed (the corpus drops
    the space between them: 海天城133 5 2861 is tokens 133, 5, 2861, building, unit, room),
    so a space goes back between them. (Inside one element, 571 723号, what stood between
    them is not known, and they stay together as before.)"""
    text: list[str] = []
    starts = []
    pos = 0
    for i, ch in enumerate(chars):
        if i and ch.isdigit() and chars[i - 1].isdigit() and not tags[i].startswith("I-"):
            text.append(" ")
            pos += 1
        starts.append(pos)
        text.append(ch)
        pos += len(ch)
    item = Labelled("".join(text))
    current: list[object] | None = None
    for i, tag in enumerate(tags):
        kind, _, label = tag.partition("-")
        label = label.lower()
        end = starts[i] + len(chars[i])
        if kind == "I" and current is not None and current[0] == label:
            current[2] = end
            continue
        if current is not None:
            item.spans.append((str(current[0]), int(current[1]), int(current[2])))  # type: ignore[call-overload]
        current = [label, starts[i], end] if kind in ("B", "I") else None
    if current is not None:
        item.spans.append((str(current[0]), int(current[1]), int(current[2])))  # type: ignore[call-overload]
    return item


_COUNTY_KINDS = ("新区", "区", "县", "市")
_TOWNSHIP_KINDS = ("街道", "镇", "乡")


class Divisions:
    """Gold admin names → NBS divisions, independently of the parser under test."""

    def __init__(self, table: DivisionTable):
        self.table = table
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        for d in table:
            self.by_name[d.name].append(d)
        for line in ALIASES.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                name, code = line.split("\t")[:2]
                if code.ljust(12, "0") in table:
                    self.by_name[name].append(table.get(code.ljust(12, "0")))

        # Old county names → the counties they are now; moved townships by former county.
        self.heirs: dict[str, list[Division]] = defaultdict(list)
        self.moved: dict[tuple[str, str], list[Division]] = defaultdict(list)
        for line in [*CHANGES.read_text(encoding="utf-8").splitlines(),
                     *ALIASES.read_text(encoding="utf-8").splitlines()]:
            if line and not line.startswith("#"):
                name, code, kind, former = line.split("\t")[:4]
                d = table.get(code.ljust(12, "0"))
                if former != "-":  # a township moved (乔司街道 of 余杭区, 大浪街道 of 宝安区)
                    for typed in (name, *other_township_kinds(name)):
                        self.moved[(former.ljust(12, "0"), typed)].append(d)
                elif d.level is Level.county:
                    self.heirs[name].append(d)

    def named(self, name: str | None, level: Level, within: list[Division]) -> list[Division]:
        if not name:
            return []
        # The name as labelled first; its short or other-kind forms only where it names
        # none, and only within the areas labelled with it (东洲 alone is no 东洲区 of 抚顺市).
        found = self._within(self.by_name.get(name, []), level, within)
        if not found and (within or level in (Level.province, Level.city)):
            found = self._within(self._short(name, level), level, within)
        return list({d.code: d for d in found}.values())

    @staticmethod
    def _within(candidates: list[Division], level: Level,
                within: list[Division]) -> list[Division]:
        return [d for d in candidates if d.level is level and (not within or any(
            d.code.startswith(w.short_code) for w in within))]

    def _short(self, name: str, level: Level) -> list[Division]:
        # 杭州 for 杭州市, 浙江 for 浙江省, 新疆 for 新疆维吾尔自治区: names that begin so;
        # 鄞州 for 鄞州区, 九堡 for 九堡街道: a county's or township's name without its kind;
        if len(name) < 2:
            return []
        if level in (Level.province, Level.city):
            return [d for d in self.table if d.level is level and d.name.startswith(name)]
        # 海安县 for 海安市: a county of another kind since (a 县 made a 市).
        kinds = _COUNTY_KINDS if level is Level.county else _TOWNSHIP_KINDS
        stem = next((name[:-len(k)] for k in kinds if name.endswith(k)), name)
        return [d for kind in kinds if len(stem) >= 2 and stem + kind != name
                for d in self.by_name.get(stem + kind, [])]

    def county_of(self, item: Labelled) -> tuple[Division | None, bool]:
        """The gold county, and whether the text names it (a district label)."""
        provinces = self.named(item.first("prov"), Level.province, [])
        cities = self.named(item.first("city"), Level.city, provinces) or provinces
        # A municipality's district sits under its 市辖区 "city"; searching by province covers it.
        within = cities + [self.table.get(c.code[:2].ljust(12, "0")) for c in cities]
        counties = self.named(item.first("district"), Level.county, within)
        if len(counties) == 1:
            return counties[0], True
        if counties:  # 西湖区 (杭州市, 南昌市) with 三墩镇: the one that holds the town
            towns = self.named(item.first("town"), Level.township, counties)
            held = {t.parent_code for t in towns}
            if len(held) == 1 and (county := self.table.get(held.pop() or "")) is not None:
                return county, True
            return None, True
        heirs = [d for d in self.heirs.get(item.first("district") or "", [])
                 if not within or any(d.code.startswith(w.short_code) for w in within)]
        if len(heirs) == 1:  # 江东区 (merged into 鄞州区, 2016): where it lies today, though
            return heirs[0], False  # the text names no district the table knows
        if item.first("district"):
            return None, True
        towns = self.named(item.first("town"), Level.township, within)
        counties = list({t.parent_code: t for t in towns}.keys())
        if len(counties) == 1 and counties[0] is not None:
            return self.table.get(counties[0]), False
        return None, False

    def today(self, item: Labelled, county: Division | None) -> Division | None:
        """The county the labelled town lies in today, when the labelled district is an old
        name it has left (江干区 with 下沙街道: 钱塘区 since 2021; 余杭区 with 乔司街道: 临平区);
        else `county` (the district as labelled, as resolved above)."""
        town, district = item.first("town") or item.first("devzone"), item.first("district")
        if county is None or not town or not district:
            return county
        # 乔司街道, 乔司镇 or the bare 乔司 (a short name the corpus labels a town too)
        typed = (town, *other_township_kinds(town)) if town.endswith(("街道", "镇", "乡")) else (
            town, town + "街道", town + "镇", town + "乡")
        if any(self.named(t, Level.township, [county]) for t in typed):
            return county
        heirs = self.heirs.get(district, [])
        found = {d.parent_code for t in typed for d in (
            self.named(t, Level.township, heirs) if heirs else [])}
        found |= {d.code if d.level is Level.county else d.parent_code  # 龙港镇: 龙港市
                  for t in typed for c in [county, *heirs] for d in self.moved.get((c.code, t), [])}
        return self.table.get(found.pop()) if len(found) == 1 else county  # type: ignore[arg-type]

    def township(self, county: Division, name: str | None) -> str:
        return next((d.name for d in self.named(name, Level.township, [county])), "")


def base_row(item: Labelled, county: Division, divisions: Divisions) -> dict[str, str] | None:
    """The standard address row the gold elements make (None: no street element)."""
    road, door = item.first("road"), item.first("roadno")
    building = item.first("houseno")
    lane = item.first("subroad")
    if road and not door and lane and lane.endswith("段") and _NUMBERED_LANE.match(
            item.first("subroadno") or ""):
        # 环城西路南段1729弄1629号: the road's segment labelled as the subroad, its lane as
        # the subroad's number: the lane is the road's (a base holds no segment of a road)
        door = item.first("subroadno")
    elif road is None and lane:
        road, door = lane, item.first("subroadno")
    elif road and not door and lane and _lane_of_road(lane, item.first("subroadno")):
        # 长兴路98弄83号, 天长北路东禅巷11号: a lane of the road and the number in it, held as
        # the import holds lanes (the lane a door of its road, its own numbers below it).
        door = lane
        building = building or item.first("subroadno")
    row = {"county_code": county.code[:6],
           "township": divisions.township(county, item.first("town")), "community": "",
           "road": road or "", "door_no": door or "", "compound": item.first("poi") or "",
           "building": building or "", "unit": item.first("cellno") or "",
           "floor": item.first("floorno") or "", "room": item.first("roomno") or ""}
    if not any(row[c] for c in COLUMNS[3:]):
        return None
    return row


def _lane_of_road(lane: str, number: str | None) -> bool:
    """Whether a labelled subroad typed after a road with no door number is a lane of it: a
    numbered lane (98弄), or a named one with a number in it (东禅巷11号). (Other subroads
    are a crossing road, 盈丰路与鸿宁路, or a segment, 中段: the road alone holds those.)"""
    return bool(_NUMBERED_LANE.match(lane) or number and lane.endswith(LANE_NAME_WORDS))


def truth_nodes(engine, rows: list[dict[str, str]]) -> list[set[str]]:
    """Per base row, the codes of the stored node(s) at its finest element."""
    from sqlalchemy import select

    from twin.models import Address

    t = Address.__table__
    cols = [t.c.code, t.c.level, t.c.county_code, *(t.c[c] for c in COLUMNS[3:])]
    stored: dict[tuple[str, ...], set[str]] = defaultdict(set)
    # A compound held both alone and as a door's compound is one place: either answer is it.
    doors_named: dict[tuple[str, str], set[str]] = defaultdict(set)
    with engine.connect() as conn:
        for r in conn.execute(select(*cols)).mappings():
            stored[_node_key(r["county_code"][:6], r["level"], dict(r))].add(r["code"])
            if r["level"] == "door" and r["compound"]:
                doors_named[(r["county_code"][:6], name_key(r["compound"]))].add(r["code"])
    out = []
    for row in rows:
        values = dict(row)
        below = any(values[_column(lvl)] for lvl in PATH[2:])
        if values["road"] and not values["door_no"] and below:
            values["compound"] = ""  # kept on what lies in it, straight under the road
        level = next((lvl for lvl in reversed(PATH) if values[_column(lvl)]), "road")
        truth = set(stored.get(_node_key(row["county_code"], level, values), set()))
        if level == "compound" and truth:
            truth |= doors_named.get((row["county_code"], name_key(row["compound"])), set())
        out.append(truth)
    return out


def _column(level: str) -> str:
    return "door_no" if level == "door" else level


def _node_key(county: str, level: str, row: dict) -> tuple[str, ...]:
    """What identifies a node, from its element values (keys, so 3幢 and 3栋 may meet)."""
    depth = STREET.index(level)
    parts = [county, level]
    for lvl in STREET:
        value = row.get(_column(lvl)) or ""
        if STREET.index(lvl) > depth and lvl != "compound":
            value = ""
        if lvl == "compound" and row.get("road") and level != "compound":
            value = ""  # under a road a compound names its door, which the number keys
        if lvl in ("road", "compound"):
            parts.append(name_key(value) if value else "")
        else:
            parts.append(element_key(lvl, value) if value else "")
    return tuple(parts)


def stored_nodes(engine) -> dict[str, tuple[str | None, str, str]]:
    """Per stored code: its parent, its county and the place names it carries."""
    from sqlalchemy import select

    from twin.models import Address

    t = Address.__table__
    out = {}
    with engine.connect() as conn:
        for code, parent, county, road, compound in conn.execute(select(
                t.c.code, t.c.parent_code, t.c.county_code, t.c.road, t.c.compound)):
            out[code] = (parent, county[:6], name_key(road or "") + "|" + name_key(compound or ""))
    return out


def same_place(node: tuple[str | None, str, str], row: dict[str, str],
               areas: frozenset[str] = frozenset()) -> bool:
    """A road, compound or door node that names the row's road or compound in its county:
    the same place held twice (a compound alone and as a door's), so not a false answer;
    so too where the node's name is the row's with one of `areas` before it (the base holds
    国际商贸城 of 义乌市 also as 义乌国际商贸城, two rows labelled two ways)."""
    _, county, names = node
    if county != row["county_code"]:
        return False
    wanted = {name_key(row[c]) for c in ("road", "compound") if row[c]}
    return any(name in wanted or any(
        name.endswith(g) and name[:-len(g)] in areas for g in wanted if g)
        for name in names.split("|") if name)


def area_prefixes(row: dict[str, str], table: DivisionTable) -> frozenset[str]:
    """The names of the row's county, its city and its township as a place's name may begin
    with them (义乌市, 义乌; 仁和街道, 仁和镇, 仁和)."""
    county = table.get(row["county_code"].ljust(12, "0"))
    if county is None:
        return frozenset()
    found = [county, table.get(county.code[:4].ljust(12, "0"))]
    found += [d for d in table.children(county.code) if d.name == row["township"]] if (
        row["township"]) else []
    out: set[str] = set()
    for d in found:
        if d is not None:
            for name in (d.name, *short_names(d)):
                out.add(name_key(name))
                out.update(name_key(name + kind) for kind in (*_TOWNSHIP_KINDS, *_COUNTY_KINDS))
    return frozenset(out)


def named_longer(node: tuple[str | None, str, str], row: dict[str, str], text: str) -> bool:
    """The answer carries a road or compound name the text holds in full, longer than the
    labelled one and containing it (text 青口南区, label 青口): counted false all the same."""
    typed = name_key(text)
    gold = [name_key(row[c]) for c in ("road", "compound") if row[c]]
    return any(name in typed and any(g and g in name and len(name) > len(g) for g in gold)
               for name in node[2].split("|") if name)


def gold_spans(item: Labelled) -> set[tuple[str, int, int]]:
    """The gold spans at our levels, a lane's as `base_row` places it in the base: a lane of
    a text with no road is the road and its number the door; a lane of a road
    with no door number is the door, and its number the building."""
    spans = {(LEVELS[label], start, end) for label, start, end in item.spans
             if label in LEVELS}
    lane = next(((s, e) for label, s, e in item.spans if label == "subroad"), None)
    number = next(((s, e) for label, s, e in item.spans if label == "subroadno"), None)
    if lane is None:
        return spans
    labels = {label for label, _, _ in item.spans}
    if "road" not in labels:
        spans.add(("road", *lane))
        if number is not None:
            spans.add(("door", *number))
    elif "roadno" not in labels and item.text[lane[0]:lane[1]].strip().endswith("段") and (
            number is not None and _NUMBERED_LANE.match(item.first("subroadno") or "")):
        spans.add(("door", *number))  # 环城西路南段1729弄: the segment's lane, as `base_row`
    elif "roadno" not in labels and _lane_of_road(
            item.text[lane[0]:lane[1]].strip(), item.first("subroadno")):
        spans.add(("door", *lane))
        if number is not None and "houseno" not in labels:
            spans.add(("building", *number))
    return spans


def f1_table(items: list[Labelled], parses: list) -> dict[str, tuple[int, int, int]]:
    """Per level: (true positives, gold, predicted) of exact spans."""
    out: dict[str, list[int]] = {level: [0, 0, 0] for level in LEVELS.values()}
    for item, elements in zip(items, parses, strict=True):
        gold = gold_spans(item)
        ours = {(e.level, *e.span) for e in elements if e.level in out}
        for level, start, end in gold:
            out[level][1] += 1
            out[level][0] += (level, start, end) in ours
        for level, _, _ in ours:
            out[level][2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def show_parse(items: list[Labelled], results: list, level: str, held: set[int]) -> None:
    """Each text whose spans of one level differ from the gold ones, with its answer; HELD
    where the base holds the text's address."""
    for i, (item, result) in enumerate(zip(items, results, strict=True)):
        gold = sorted((s, e) for lvl, s, e in gold_spans(item) if lvl == level)
        ours = sorted(tuple(e.span) for e in result.elements if e.level == level)
        if gold != ours:
            marks = " ".join(f"{label}:{item.text[s:e]}" for label, s, e in item.spans)
            where = "HELD" if i in held else "free"
            print(f"  PARSE {level} {where} gold {[item.text[s:e] for s, e in gold]} ours "
                  f"{[item.text[s:e] for s, e in ours]} | {marks} | {result.status} "
                  f"{result.level} | {result.reason}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True, type=Path, help="directory with train.txt, dev.txt")
    ap.add_argument("--split", default="dev", choices=("train", "dev"))
    ap.add_argument("--database-url", help="an empty store to import into (default: SpatiaLite)")
    ap.add_argument("--show", type=int, default=0, help="print this many failures")
    ap.add_argument("--no-peers", action="store_true", help="skip cpca and jionlp")
    ap.add_argument("--show-parse", metavar="LEVEL", help="print the texts whose LEVEL spans "
                    "differ from the gold ones (gold, then ours); LEVEL,LEVEL for more")
    args = ap.parse_args()
    print(f"command: python {' '.join(sys.argv)}")
    items = read_corpus(args.corpus / f"{args.split}.txt")
    table = load_divisions()
    divisions = Divisions(table)
    rows: list[dict[str, str]] = []
    placed: list[int] = []  # item number of each base row
    counties: dict[int, tuple[Division | None, bool]] = {}
    today: dict[int, Division | None] = {}  # the labelled district and town, today
    for i, item in enumerate(items):
        counties[i] = divisions.county_of(item)
        # The base holds each address where it is today (as a base built now would).
        county = today[i] = divisions.today(item, counties[i][0])
        row = base_row(item, county, divisions) if county else None
        if row is not None:
            rows.append(row)
            placed.append(i)
    workdir = Path(tempfile.mkdtemp(prefix="real_text_"))
    url = args.database_url or f"sqlite:///{workdir / 'base.db'}"
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    install_divisions(engine)
    base = workdir / "base.csv"
    with base.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, COLUMNS)
        out.writeheader()
        out.writerows(rows)
    started = time.perf_counter()
    report = import_address_base(engine, base)
    print(f"{args.split}: {len(items)} labelled addresses; {len(rows)} make a base row (county "
          f"known, a street element labelled); import: {report.summary()} "
          f"in {time.perf_counter() - started:.1f} s")
    refused = {p.row - 2 for p in report.problems}  # row 1 is the header
    why = Counter(p.reason for p in report.problems)
    for message, n in why.most_common(6):
        print(f"  refused {n}: {message}")
    truths = truth_nodes(engine, rows)
    nodes = stored_nodes(engine)
    index = build_index(engine)
    geocoder = Geocoder(index)
    started = time.perf_counter()
    results = [geocoder.geocode(item.text) for item in items]
    elapsed = time.perf_counter() - started
    counts = Counter()
    shown = 0
    for r, (i, truth) in enumerate(zip(placed, truths, strict=True)):
        result = results[i]
        counts["rows"] += 1
        if r in refused or not truth:
            counts["not held"] += 1
            continue
        above: set[str] = set()
        for code in truth:
            while (code := nodes[code][0]) is not None:
                above.add(code)
        finest = result.code in truth
        counts["finest"] += finest
        counts["finest matched"] += finest and result.status == "matched"
        street = result.level in STREET
        wrong = (street and result.status in ("matched", "partial") and not finest
                 and result.code not in above and not (
                     result.level in ("road", "compound", "door")
                     and same_place(nodes[result.code], rows[r])))
        # The same place under its area's name (义乌国际商贸城 for 国际商贸城 of 义乌市): said
        # apart, not false.
        area_named = wrong and result.level in ("road", "compound", "door") and same_place(
            nodes[result.code], rows[r], area_prefixes(rows[r], table))
        false = wrong and not area_named
        counts["false"] += false
        counts["area named"] += area_named
        counts["false, label shorter"] += false and named_longer(nodes[result.code], rows[r],
                                                                 items[i].text)
        counts["matched above"] += result.status == "matched" and result.code in above
        kind = "FALSE" if false else "ABOVE" if result.status == "matched" else "MISS"
        counts["tie"] += result.status == "tie"
        if not finest and shown < args.show:
            shown += 1
            print(f"  {kind} {items[i].text} | {result.status} {result.level} {result.full_text} | "
                  f"{result.reason} | gold {rows[r]}")
    n, held = counts["rows"], counts["rows"] - counts["not held"]
    print(f"geocoded {len(items)} texts in {elapsed:.1f} s ({len(items) / elapsed:,.0f}/s)")
    print(f"{'texts with a base row':<34}{n:>7}")
    print(f"{'  refused by the import':<34}{counts['not held']:>7}{counts['not held'] / n:>9.1%}")
    print(f"{'  held by the base':<34}{held:>7}   rates below are of these")
    for name in ("finest", "finest matched", "area named", "false", "false, label shorter",
                 "matched above", "tie"):
        label = {"finest": "finest level reached", "finest matched": "  of which matched",
                 "area named": "the same place by its area's name",
                 "false": "false matches",
                 "false, label shorter": "  the text names the answer in full",
                 "matched above": "matched above typed", "tie": "ties"}[name]
        print(f"{label:<34}{counts[name]:>7}{counts[name] / max(held, 1):>9.1%}")
    print("per-element parse F1 (exact spans; the geocoder's parse with the base's names):")
    table_f1 = f1_table(items, [r.elements for r in results])
    # The same on the texts whose address the base holds (the parse is read with the base's
    # names; a text the base does not hold has no names to read by).
    held_items = [i for r, (i, truth) in enumerate(zip(placed, truths, strict=True))
                  if r not in refused and truth]
    for level in (args.show_parse or "").split(","):
        if level:
            show_parse(items, results, level, set(held_items))
    held_f1 = f1_table([items[i] for i in held_items], [results[i].elements for i in held_items])
    print(f"{'level':<10}{'gold':>7}{'ours':>7}{'P':>8}{'R':>8}{'F1':>8}"
          f"{'F1 held':>10}")
    for level, (tp, gold, pred) in table_f1.items():
        p, rc = _ratio(tp, pred), _ratio(tp, gold)
        print(f"{level:<10}{gold:>7}{pred:>7}{p:>8.1%}{rc:>8.1%}{_f1(tp, gold, pred):>8.1%}"
              f"{_f1(*held_f1[level]):>10.1%}")
    named = [i for i, (d, in_text) in counties.items() if d is not None and in_text]
    texts = [items[i].text for i in named]
    gold_county = [counties[i][0].code[:6] for i in named]  # type: ignore[union-attr]
    gold_today = [today[i].code[:6] for i in named]  # type: ignore[union-attr]
    tools = {"cim-twin parse": lambda ts: [ours_parse(t)[2] for t in ts],
             "cim-twin geocode": lambda ts: [_county(results[i]) for i in named]}
    if not args.no_peers:
        tools["cpca"] = lambda ts: [a[2] for a in cpca_answers(ts)]
        tools["jionlp"] = lambda ts: [a[2] for a in jionlp_answers(ts)]
    moved = sum(a != b for a, b in zip(gold_county, gold_today, strict=True))
    print(f"county right on the {len(texts)} texts that name a district the NBS table knows "
          f"(as labelled / today: the labelled town's county where the labelled district "
          f"has since been split or lost it, {moved} texts):")
    for tool, run in tools.items():
        try:
            answers = run(texts)
        except ImportError as exc:
            print(f"  {tool:<18} not installed ({exc.name}): pip install cpca jionlp "
                  "'setuptools<81'")
            continue
        right = sum(a == g for a, g in zip(answers, gold_county, strict=True))
        now = sum(a == g for a, g in zip(answers, gold_today, strict=True))
        print(f"  {tool:<18}{right / len(texts):>8.1%}  ({right}/{len(texts)})"
              f"{now / len(texts):>8.1%}  ({now}/{len(texts)})")
    engine.dispose()


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(tp: int, gold: int, pred: int) -> float:
    p, rc = _ratio(tp, pred), _ratio(tp, gold)
    return 2 * p * rc / (p + rc) if p + rc else 0.0


def _county(result) -> str | None:
    return next((a["code"][:6] for a in result.admin if a["level"] == "county"), None)


if __name__ == "__main__":
    main()
