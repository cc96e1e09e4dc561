"""The in-memory index of the standard address base, built once from the `address` table.

`addressing.base_reader.build_index` reads the table into an `IndexBuilder`.

Matching never runs SQL per query: roads and compounds are found in name lexicons, and a
node's children in sorted integer arrays (parent index and element key packed into one
64-bit number), so a city of 10M room addresses fits in a few hundred megabytes. Rooms are
also filed under their building, so "A栋1201" finds the room without unit and floor.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from addressing.admin_names import short_names
from addressing.errors import AddressBaseEmpty, AddressInputError
from addressing.grammar import is_numbered_only, split_alias, village_names
from addressing.lexicon import NameLexicon
from addressing.normalize import NUMERAL_CHARS, element_key, normal_text, numeral_variants
from twin.divisions import Level, load_divisions
from twin.models import ADDRESS_LEVELS

LEVEL_CODE = {level: i for i, level in enumerate(ADDRESS_LEVELS)}
KEY_PREFIX = {"door": "d", "building": "b", "unit": "u", "floor": "f", "room": "r", "compound": "c"}
_VALUE_COLUMN = {"door": "door_no", "building": "building", "unit": "unit", "floor": "floor",
                 "room": "room", "road": "road", "compound": "compound"}
NO_PARENT = -1


@lru_cache(maxsize=500_000)
def _key(level: str, value: str) -> str:
    return element_key(level, value)


@lru_cache(maxsize=1)
def _wide_area_names() -> dict[str, frozenset[str]]:
    """Names and short names of provinces and cities, each with the provinces (two-digit
    codes) where such an area lies."""
    names: dict[str, set[str]] = {}
    for d in load_divisions():
        if d.level in (Level.province, Level.city):
            for name in (d.name, *short_names(d)):
                names.setdefault(name, set()).add(d.code[:2])
    return {name: frozenset(provinces) for name, provinces in names.items()}


def _names_wide_area(key: str, county: str) -> bool:
    """Whether a base's place of this county is named like a province or city of its own
    province (a shop called 浙江 or 杭州 in 杭州): it is not read as a street name, or it
    would hide the area when typed. Named like one far away (长春 in 义乌) it is the
    place's own name: nobody types a far city inside a Zhejiang address."""
    return county[:2] in _wide_area_names().get(key, ())


@lru_cache(maxsize=100_000)
def name_key(name: str) -> str:
    """The lexicon key of a road or compound name (normalised, no spaces)."""
    return normal_text(name).replace(" ", "")


_NUMERALS = re.compile(f"[{NUMERAL_CHARS}]")


def is_numbered_name(name: str) -> bool:
    """Whether a road or compound name is only a number with an element word, as written
    (43号, 2栋) or once its Chinese numerals are digits (二幢 is 2栋, 一号楼 is 1栋)."""
    return is_numbered_only(name) or (
        bool(_NUMERALS.search(name)) and is_numbered_only(name_key(name)))


@dataclass(frozen=True, slots=True)
class AdminCodes:
    """The division codes an address node lies in."""

    county: str
    township: str | None
    community: str | None

    @property
    def finest(self) -> str:
        """The finest code known."""
        return self.community or self.township or self.county


class AddressIndex:
    """A frozen index over the address tree; see `IndexBuilder` and `build_index`."""

    def __init__(self, builder: IndexBuilder):
        b = builder
        b.release()  # free the build-time lookups before sorting needs memory
        self.size = len(b.parent)
        self._code_blob = bytes(b.code_blob)
        # Scalar lookups go through the `array`/`bytes` objects (fast item access); the
        # numpy views over the same memory serve vector work (reverse geocoding).
        self._code_offsets = b.code_offsets
        self._level = bytes(b.level)
        self.level = np.frombuffer(self._level, dtype=np.int8)
        self._parent = b.parent
        self.parent = np.frombuffer(b.parent, dtype=np.int32)
        self._lon, self._lat = b.lon, b.lat
        self.lon = np.frombuffer(b.lon, dtype=np.float64)
        self.lat = np.frombuffer(b.lat, dtype=np.float64)
        self._admin_id = b.admin_id
        self.admins: list[AdminCodes] = b.admins  # the distinct admin codes of nodes
        self._text_base = b.text_base
        self._text_suffix = b.text_suffix
        self._suffixes = b.suffixes
        self._value_id = b.value_id
        self._values = b.values
        self._keys = b.keys
        # One key table per level: a lookup needs no prefixed string built per query.
        self._level_keys: dict[str, dict[str, int]] = {level: {} for level in KEY_PREFIX}
        level_of_prefix = {prefix: level for level, prefix in KEY_PREFIX.items()}
        for prefixed, key_id in b.keys.items():
            self._level_keys[level_of_prefix[prefixed[0]]][prefixed[1:]] = key_id
        self.child_keys, self.child_nodes = _sorted_pairs(b.child_keys, b.child_nodes)
        self.room_keys, self.room_nodes = _sorted_pairs(b.room_keys, b.room_nodes)
        self._child_start = _starts(self.child_keys, self.size)
        self._room_start = _starts(self.room_keys, self.size)
        self.roads: NameLexicon[int] = b.roads
        self.compounds: NameLexicon[int] = b.compounds
        self.streets: NameLexicon[str] = b.streets
        self.compound_of: dict[int, str] = b.compound_of
        self.filed_on: dict[int, str] = b.filed_on
        self.renamed: dict[str, tuple[str, str]] = b.renamed

    def __len__(self) -> int:
        return self.size

    # -- nodes ----------------------------------------------------------------------------
    def code(self, node: int) -> str:
        """The address code of a node."""
        start, end = self._code_offsets[node], self._code_offsets[node + 1]
        return self._code_blob[start:end].decode()

    def level_of(self, node: int) -> str:
        """The level of a node (road … room)."""
        return ADDRESS_LEVELS[self._level[node]]

    def value(self, node: int) -> str:
        """The element value of a node as stored (A座, 1单元, 1201室)."""
        return self._values[self._value_id[node]]

    def full_text(self, node: int) -> str:
        """The canonical full text of a node."""
        parts = []
        while node != NO_PARENT:
            parts.append(self._suffixes[self._text_suffix[node]])
            node = self._text_base[node]
        return "".join(reversed(parts))

    def admin(self, node: int) -> AdminCodes:
        """The county, township and community codes of a node."""
        return self.admins[self._admin_id[node]]

    def admin_id(self, node: int) -> int:
        """Which of `admins` the node lies in."""
        return self._admin_id[node]

    def point(self, node: int) -> tuple[float, float] | None:
        """Longitude and latitude (CGCS2000), or None when the node has no point."""
        lon, lat = self._lon[node], self._lat[node]
        return None if lon != lon else (lon, lat)  # NaN: no point

    def filed_on_road(self, node: int, road: int) -> bool:
        """Whether the compound `node` (a root) is filed on the road `road`: its row names
        that road (numbers inside the name written either way), in the road's county."""
        filed = self.filed_on.get(node)
        if filed is None or self.admin(node).county != self.admin(road).county:
            return False
        key = name_key(self.value(road))
        return filed == key or filed in numeral_variants(key)

    def parent_of(self, node: int) -> int:
        """The parent node, or NO_PARENT (-1) for a root."""
        return self._parent[node]

    def ancestors(self, node: int) -> Iterator[int]:
        """The node's ancestors, nearest first."""
        node = self._parent[node]
        while node != NO_PARENT:
            yield node
            node = self._parent[node]

    def ancestor_at(self, node: int, level: str) -> int | None:
        """The node itself or its ancestor at `level`, if any."""
        want = LEVEL_CODE[level]
        current = node
        while current != NO_PARENT:
            if self._level[current] == want:
                return current
            current = self._parent[current]
        return None

    # -- lookups --------------------------------------------------------------------------
    def _key_id(self, level: str, key: str) -> int | None:
        return self._level_keys[level].get(key)

    def is_key(self, key: str) -> bool:
        """Whether some node of some level has the key `key`."""
        return any(key in keys for keys in self._level_keys.values())

    def child(self, parent: int, level: str, key: str) -> list[int]:
        """Children of `parent` at `level` whose key is `key` (3, A, 1201 …)."""
        key_id = self._level_keys[level].get(key)
        if key_id is None or not 0 <= parent < self.size:
            return []
        return _lookup(self.child_keys, self.child_nodes, self._child_start[parent],
                       self._child_start[parent + 1], (parent << 32) | key_id)

    def keyed(self, node: int, key: str) -> bool:
        """Whether the node's key is `key` (never a root's: roads and compounds go by name)."""
        parent = self._parent[node]
        return parent != NO_PARENT and node in self.child(parent, self.level_of(node), key)

    def children(self, parent: int, level: str | None = None) -> list[int]:
        """All children of `parent`, optionally only those at `level`."""
        if not 0 <= parent < self.size:
            return []
        nodes = self.child_nodes[self._child_start[parent]:self._child_start[parent + 1]].tolist()
        if level is None:
            return nodes
        want = LEVEL_CODE[level]
        return [n for n in nodes if self._level[n] == want]

    def rooms_in(self, building: int, key: str) -> list[int]:
        """Rooms with key `key` anywhere in `building` (any unit, any floor)."""
        key_id = self._level_keys["room"].get(key)
        if key_id is None or not 0 <= building < self.size:
            return []
        return _lookup(self.room_keys, self.room_nodes, self._room_start[building],
                       self._room_start[building + 1], (building << 32) | key_id)

    def node_key(self, node: int) -> str:
        """The comparable key of a node's value."""
        return _key(self.level_of(node), self.value(node))

    def nodes_at(self, *levels: str) -> np.ndarray:
        """Indexes of every node at one of `levels`."""
        wanted = np.isin(self.level, [LEVEL_CODE[level] for level in levels])
        return np.flatnonzero(wanted)

    def memory_bytes(self) -> int:
        """Bytes held by the index arrays (not counting the small name lexicons)."""
        arrays = (self._parent, self._lon, self._lat, self._admin_id, self._text_base,
                  self._text_suffix, self._value_id, self.child_keys, self.child_nodes,
                  self.room_keys, self.room_nodes, self._code_offsets, self._child_start,
                  self._room_start)
        return len(self._code_blob) + len(self._level) + sum(
            a.itemsize * len(a) for a in arrays)


def _sorted_pairs(keys: array, nodes: array) -> tuple[array, array]:
    k = np.frombuffer(keys, dtype=np.int64)
    order = np.argsort(k, kind="stable")
    sorted_keys, sorted_nodes = array("q"), array("i")
    sorted_keys.frombytes(k[order].tobytes())
    del k
    sorted_nodes.frombytes(np.frombuffer(nodes, dtype=np.int32)[order].tobytes())
    return sorted_keys, sorted_nodes


def _starts(keys: array, size: int) -> array:
    """Where each node's entries begin in `keys` (sorted by node << 32 | key id): node n's
    are keys[starts[n]:starts[n + 1]]. A node's children (or rooms) are then a slice, and
    a key among them a search over a few dozen entries, not over millions."""
    sorted_keys = np.frombuffer(keys, dtype=np.int64)
    starts = array("i")
    step = 1 << 20  # nodes per pass: the temporary arrays stay small
    for first in range(0, size + 1, step):
        nodes = np.arange(first, min(size + 1, first + step), dtype=np.int64)
        starts.frombytes(np.searchsorted(sorted_keys, nodes << 32).astype(np.int32).tobytes())
    return starts


def _lookup(keys: array, nodes: array, lo: int, hi: int, key: int) -> list[int]:
    """The nodes whose key is `key` among keys[lo:hi] (sorted)."""
    at = bisect_left(keys, key, lo, hi)
    end = at
    while end < hi and keys[end] == key:
        end += 1
    if end == at:
        return []
    return [nodes[at]] if end == at + 1 else nodes[at:end].tolist()


def _code_key(code: str) -> int | str:
    # Digit codes as ints take half the memory of strings in the build-time lookup; the
    # leading 1 keeps 0012 and 12 apart.
    return int("1" + code) if code.isdigit() else code


class IndexBuilder:
    """Collects address rows (parents before children) into compact arrays."""

    def __init__(self) -> None:
        self.code_blob = bytearray()
        self.code_offsets = array("q", [0])
        self.level = bytearray()
        self.parent = array("i")
        self.lon = array("d")
        self.lat = array("d")
        self.admin_id = array("i")
        self.admins: list[AdminCodes] = []
        self._admin_ids: dict[AdminCodes, int] = {}
        self.text_base = array("i")
        self.text_suffix = array("i")
        self.suffixes: list[str] = []
        self._suffix_ids: dict[str, int] = {}
        self.value_id = array("i")
        self.values: list[str] = []
        self._value_ids: dict[str, int] = {}
        self.keys: dict[str, int] = {}
        self.child_keys = array("q")
        self.child_nodes = array("i")
        self.room_keys = array("q")
        self.room_nodes = array("i")
        # Only nodes that can have children are looked up by code while building.
        self._node_of: dict[int | str, int] = {}
        self._texts: dict[int, str] = {}
        self.roads: NameLexicon[int] = NameLexicon()
        self.compounds: NameLexicon[int] = NameLexicon()
        self.streets: NameLexicon[str] = NameLexicon()
        # The compound a door is named by, or that a node straight under a road lies in.
        self.compound_of: dict[int, str] = {}
        # The road a compound (a root) is filed on, where its row names one (丰足路九阳袜业).
        self.filed_on: dict[int, str] = {}
        self.renamed: dict[str, tuple[str, str]] = {}  # former name → (current name, ended)

    def _intern(self, table: dict[str, int], items: list[str], text: str) -> int:
        found = table.get(text)
        if found is None:
            found = table[text] = len(items)
            items.append(text)
        return found

    def add(self, row: Mapping[str, Any], number: int = 0) -> int:
        """Add one address row (a mapping with the `address` table's columns and lon/lat)."""
        level = row.get("level")
        if level not in LEVEL_CODE:
            raise AddressInputError(
                f"row {number}: level must be one of {', '.join(ADDRESS_LEVELS)}",
                field="level", value=level,
            )
        code = str(row["code"])
        node = len(self.parent)
        parent_code = row.get("parent_code")
        parent = NO_PARENT
        if parent_code:
            parent = self._node_of.get(_code_key(str(parent_code)), NO_PARENT)
            if parent == NO_PARENT:
                raise AddressInputError(
                    f"row {number}: parent {parent_code} of {code} is not in the base "
                    "(parents must come before children)", field="parent_code", value=parent_code,
                )
        encoded = code.encode()
        self.code_blob += encoded
        self.code_offsets.append(len(self.code_blob))
        self.level.append(LEVEL_CODE[level])
        self.parent.append(parent)
        lon, lat = row.get("lon"), row.get("lat")
        self.lon.append(float("nan") if lon is None else float(lon))
        self.lat.append(float("nan") if lat is None else float(lat))
        admin = AdminCodes(str(row["county_code"]), row.get("township_code"),
                           row.get("community_code"))
        admin_id = self._admin_ids.get(admin)
        if admin_id is None:
            admin_id = self._admin_ids[admin] = len(self.admins)
            self.admins.append(admin)
        self.admin_id.append(admin_id)
        value = str(row["value"])
        self.value_id.append(self._intern(self._value_ids, self.values, value))
        self._add_text(node, parent, str(row["full_text"]), level)
        if level != "room":
            self._node_of[_code_key(code)] = node
        self._file(node, parent, level, value, row)
        return node

    def _add_text(self, node: int, parent: int, text: str, level: str) -> None:
        # Store each text as a suffix of its nearest ancestor's text when it extends it.
        base, current = NO_PARENT, parent
        for _ in range(3):
            if current == NO_PARENT:
                break
            prefix = self._text_of(current)
            if text.startswith(prefix):
                base = current
                text = text[len(prefix) :]
                break
            current = self.parent[current]
        self.text_base.append(base)
        self.text_suffix.append(self._intern(self._suffix_ids, self.suffixes, text))

    def _text_of(self, node: int) -> str:
        """A stored node's full text, rebuilt from its suffix chain (recent ones cached)."""
        cached = self._texts.get(node)
        if cached is not None:
            return cached
        base = self.text_base[node]
        text = (self._text_of(base) if base != NO_PARENT else "") + self.suffixes[
            self.text_suffix[node]]
        if len(self._texts) > 50_000:  # siblings arrive together: a small cache suffices
            self._texts.clear()
        self._texts[node] = text
        return text

    def _file(self, node: int, parent: int, level: str, value: str, row: Mapping[str, Any]) -> None:
        county = str(row["county_code"])
        if level in ("road", "compound") or parent == NO_PARENT:
            names = [value]
            for alias in row.get("aliases") or []:
                name, ended = split_alias(str(alias))
                names.append(name)
                if ended is not None:  # a renamed road: the answer names the current one
                    self.renamed[name_key(name)] = (value, ended)
            lexicon = self.roads if level == "road" else self.compounds
            # A village is typed by its committee's name too (永西村委会 for 永西村).
            names += [v for name in names for v in village_names(str(name))]
            for name in names:
                written = name_key(str(name))
                numbered = is_numbered_name(str(name))
                # Numbers inside a name are typed either way (高新南1道 = 高新南一道).
                for key in (written, *numeral_variants(written)):
                    lexicon.add(key, node)
                    # A shop called 浙江 never hides 浙江省; a place called 二幢 (an older
                    # base's) is never read for the building typed so.
                    if not _names_wide_area(key, county) and not numbered:
                        self.streets.add(key, "road" if level == "road" else "compound")
        if level == "compound" and parent == NO_PARENT and row.get("road"):
            self.filed_on[node] = name_key(str(row["road"]))
        if level == "door" and parent != NO_PARENT:
            # A door the base names, not numbers: a natural village in its administrative
            # village (永西村下庄12号), read by its name after the village like a lane.
            key = name_key(value)
            if not any(c.isdigit() for c in key) and not _names_wide_area(key, county):
                self.streets.add(key, "door")
        if level == "door":
            compound = row.get("compound")
            for name in {compound, *(row.get("aliases") or [])} - {None, ""}:
                key = name_key(str(name))
                self.compounds.add(key, node)
                if not _names_wide_area(key, county) and not is_numbered_name(str(name)):
                    self.streets.add(key, "compound")
            if compound:
                self.compound_of[node] = name_key(str(compound))
        elif (row.get("compound") and parent != NO_PARENT
              and self.level[parent] == LEVEL_CODE["road"]):
            # A compound on a road with no door number, kept on what lies in it: its name
            # is read as a compound (not as the road's tail or unknown text); the match
            # goes by the road and what is typed below, and the node says whose it is (a
            # compound filed at a door of the road may hold a building of that name too).
            key = name_key(str(row["compound"]))
            self.compound_of[node] = key
            if not _names_wide_area(key, county) and not is_numbered_name(
                    str(row["compound"])):
                self.streets.add(key, "compound")
        if parent == NO_PARENT or level not in KEY_PREFIX:
            return
        key_id = self._intern_key(KEY_PREFIX[level] + _key(level, value))
        self.child_keys.append((parent << 32) | key_id)
        self.child_nodes.append(node)
        if level == "room":
            # Filed under its building, or where a base skips the building, under the
            # door, compound or road that holds it.
            building = parent
            while building != NO_PARENT and self.level[building] > LEVEL_CODE["building"]:
                building = self.parent[building]
            if building != NO_PARENT:
                self.room_keys.append((building << 32) | key_id)
                self.room_nodes.append(node)

    def _intern_key(self, key: str) -> int:
        found = self.keys.get(key)
        if found is None:
            found = self.keys[key] = len(self.keys)
        return found

    def release(self) -> None:
        """Drop what only building needed."""
        self._node_of = {}
        self._texts = {}

    def build(self) -> AddressIndex:
        """Freeze into an `AddressIndex`."""
        if not self.parent:
            raise AddressBaseEmpty(
                "the standard address base is empty: import one with `twin import addresses "
                "FILE` or load the sample city (`twin load-sample`)"
            )
        return AddressIndex(self)


def index_from_rows(rows: Iterable[Mapping[str, Any]]) -> AddressIndex:
    """An index from address rows given parents before children."""
    builder = IndexBuilder()
    for number, row in enumerate(rows, start=1):
        builder.add(row, number)
    return builder.build()
