"""Normalisation of typed Chinese addresses, keeping where each character came from.

`normalize(text)` folds full-width forms (NFKC), traditional characters, Chinese numerals in
front of address markers (十五号 → 15号), the synonyms of building/unit/room markers and
common noise (phone numbers, a named recipient, 附近, brackets) into one form. Every output
character remembers its span in the original text, so parsed elements can point back at
what the user typed. The function is pure and idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from addressing import grammar
from twin.divisions import Level

Span = tuple[int, int]

NUMERAL_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
NUMERAL_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL_CHARS = "".join(NUMERAL_DIGITS) + "".join(NUMERAL_UNITS)
# Markers after which a run of Chinese numerals is a number (三单元, 十二楼, 一二零一室).
NUMBER_MARKERS = "|".join(grammar.NUMBER_MARKERS)

SEPARATORS = set(" \t\r\n\u3000,，。.、;；:：/\\|~_'\"“”‘’!！?？*…()（）[]【】{}<>《》〈〉「」『』")
DASHES = set("－—–―‐‑一")  # 一 only between digits, see _DASH_BETWEEN_DIGITS

NOISE_WORDS = (
    "附近", "旁边", "对面", "周边", "一带", "隔壁", "楼下", "门口", "左右", "中华人民共和国",
)
# Notes to the courier written after the address (电联: call first; 放门卫: leave it at the
# gate): they name no place, and left in they would be text not understood after the door.
DELIVERY_NOTES = ("提前致电", "提前电话", "提前联系", "请电联", "电联", "送货上门", "放快递柜",
                  "快递柜", "放门卫", "门卫代收", "放门口")
# 11点-12点取件, 5点前送达: a time to call or deliver (looked for only in a text with 点: a
# pattern that begins with a digit would be tried at every number).
_DELIVERY_TIME = re.compile(
    "(?:上午|中午|下午|晚上|早上)?[0-9]{1,2}点(?:[0-9]{1,2}分?)?(?:-[0-9]{1,2}点(?:[0-9]{1,2}分?)?)?"
    "(?:前|后|以前|以后|之前|之后)?(?:取件|送达|送货|配送|派送|收货)")
_DELIVERY_WORDS = ("取件", "送达", "送货", "配送", "派送", "收货")
# 东50米, 往南100米左右, 路口进100米, 出口以东5公里处, 荆长路以东: a direction or a distance
# from the place named before it, which is the address; no element of it (looked for only
# in a text with 米, 公里 or 以, as the time above).
_DISTANCE_WORDS = ("米", "公里", "以")
_DISTANCE = re.compile(
    f"(?:(?:(?:往|向|朝|靠|以|再)?[东西南北](?:侧|面|边|方向|方)?|进|前方|往前|直走)(?:约|大约)?"
    f"[0-9{NUMERAL_CHARS}]+(?:米|公里|千米)|[0-9{NUMERAL_CHARS}]+(?:米|公里|千米)(?=处|左右)"
    f"|以[东西南北](?:侧|面|边)?)(?:处|左右|远)?")
# What a form or a message writes before the address (寄件人浙江省…, 邮寄地址_浙江省…, 好的_
# 浙江省…): noise where a province or city follows at once.
FORM_PREFIXES = ("邮寄地址", "收货地址", "收件地址", "寄件地址", "发货地址", "详细地址", "地址",
                 "寄件人", "收件人", "收货人", "委托件", "好的")
RECIPIENT_LABELS = (
    "收件人", "收货人", "联系人", "姓名", "户主", "住户", "业主",
    "联系电话", "手机号", "手机", "电话", "TEL", "PHONE",
)


def _tsc_table() -> dict[str, str]:
    """Traditional → simplified, one character to its first candidate (OpenCC's table).

    Characters of the official (simplified) division names stay as they are: OpenCC folds
    乾 to 干 (乾燥), which would make 乾安县 unreadable, and 濛, 於, 氾 … alike.
    """
    import opencc

    from twin.divisions import load_divisions

    official = {c for d in load_divisions() for c in d.name}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            trad, _, simp = line.rstrip("\n").partition("\t")
            first = simp.split(" ")[0]
            if len(trad) == 1 and first and first != trad and trad not in official:
                table[trad] = first
    return table


_T2S = _tsc_table()


@cache
def _fold_char(ch: str) -> str:
    """One character's folded form: NFKC, simplified, upper-case ASCII, separators as space."""
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        c = _T2S.get(c, c)
        if c in SEPARATORS or c.isspace():
            c = " "
        elif c in "－—–―‐‑":
            c = "-"
        elif "a" <= c <= "z":
            c = c.upper()
        out.append(c)
    return "".join(out)


# One is made per address: its __init__ is written out (see addressing/native.py).
@dataclass(init=False)
class NormalizedText:
    """Normalised text and, for each of its characters, the span it came from."""

    text: str
    sources: tuple[Span, ...] | None  # None: character i came from character i
    original: str

    def __init__(self, text: str, sources: tuple[Span, ...] | None, original: str) -> None:
        self.text, self.sources, self.original = text, sources, original

    def source_spans(self) -> tuple[Span, ...]:
        """One original span per normalised character."""
        if self.sources is None:
            return tuple((i, i + 1) for i in range(len(self.text)))
        return self.sources

    def span(self, start: int, end: int) -> Span:
        """The span of the original text that normalised characters [start, end) came from."""
        if self.sources is None:
            return (start, end) if start < end else (min(start, len(self.original)),) * 2
        if start >= end:
            at = self.sources[start][0] if start < len(self.sources) else len(self.original)
            return (at, at)
        return (self.sources[start][0], self.sources[end - 1][1])

    def position(self, typed: int) -> int:
        """The first normalised character that comes from typed position `typed` or later."""
        if self.sources is None:
            return min(typed, len(self.text))
        for i, (start, _) in enumerate(self.sources):
            if start >= typed:
                return i
        return len(self.text)


class _Buffer:
    """Text under rewrite, with one source span per character."""

    __slots__ = ("text", "sources")

    def __init__(self, text: str, sources: list[Span] | None):
        self.text = text
        self.sources = sources  # None until a rewrite changes a length (identity mapping)

    def rewrite(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> bool:
        """Replace every match by repl(match); replaced characters span the whole match."""
        edits: list[tuple[int, int, str]] = []
        for m in pattern.finditer(self.text):
            new = repl(m)
            if new != m.group(0):
                edits.append((m.start(), m.end(), new))
        if not edits:
            return False
        parts: list[str] = []
        last = 0
        if self.sources is None and all(len(new) == end - start for start, end, new in edits):
            # One character for one (3幢 → 3栋, 八零一 → 801): each keeps its own span, so
            # the identity mapping still holds and no spans need be made.
            for start, end, new in edits:
                parts.append(self.text[last:start])
                parts.append(new)
                last = end
            parts.append(self.text[last:])
            self.text = "".join(parts)
            return True
        if self.sources is None:
            self.sources = [(i, i + 1) for i in range(len(self.text))]
        sources: list[Span] = []
        for start, end, new in edits:
            parts.append(self.text[last:start])
            sources.extend(self.sources[last:start])
            if end > start:
                whole = (self.sources[start][0], self.sources[end - 1][1])
            else:
                whole = self.sources[start] if start < len(self.sources) else (0, 0)
            if len(new) == end - start:
                sources.extend(self.sources[start:end])
            else:
                sources.extend([whole] * len(new))
            parts.append(new)
            last = end
        parts.append(self.text[last:])
        sources.extend(self.sources[last:])
        self.text = "".join(parts)
        self.sources = sources
        return True


def chinese_number(numerals: str) -> str:
    """Digits for a run of Chinese numerals: 十五 → 15, 一百零一 → 101, 一二零一 → 1201."""
    if not any(c in NUMERAL_UNITS for c in numerals):
        return "".join(str(NUMERAL_DIGITS[c]) for c in numerals)
    total = 0
    digit: int | None = None
    for c in numerals:
        if c in NUMERAL_DIGITS:
            digit = NUMERAL_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * NUMERAL_UNITS[c]
            digit = None
    return str(total + (digit or 0))


def _valid_numeral_run(run: str) -> bool:
    # A positional run must read as a number (十五, 二十, 一百零一), not 十十 or 五百百.
    units = [c for c in run if c in NUMERAL_UNITS]
    if not units:
        return True
    values = [NUMERAL_UNITS[c] for c in units]
    return len(set(values)) == len(values) and values == sorted(values, reverse=True)


_PHONE = re.compile(
    r"(?<![0-9])(?:\+?86-?)?1[3-9][0-9]{9}(?![0-9])"  # mobile
    r"|(?<![0-9])0[1-9][0-9]{1,2}-?[0-9]{7,8}(?![0-9])"  # landline with area code
)
_RECIPIENT = re.compile(
    "(?:" + "|".join(RECIPIENT_LABELS) + r")\s*(?:[\u4e00-\u9fff]{2,4}(?=\s|$)|(?=\s|$|[0-9]))"
)


def _area_names(*levels: Level) -> str:
    """Names of the divisions of `levels`, full and short, longest first (中国浙江省,
    中国杭州: the country before one)."""
    from addressing.admin_names import short_names
    from twin.divisions import load_divisions

    names = {n for d in load_divisions() if d.level in levels
             for n in (d.name, *short_names(d))}
    return "|".join(sorted(names, key=len, reverse=True))


# The country before the text's province or city, or before a province inside it (a
# form's chain, then the real one: 河南省漯河市召陵区中国浙江省杭州市…). 中国 before
# anything else is a name's own (中国鞋都, 中国裘皮城: the base holds them so).
_NOISE = re.compile("|".join(DELIVERY_NOTES + NOISE_WORDS)
                    + f"|^ ?(?:{'|'.join(FORM_PREFIXES)})? ?中国 ?"
                    f"(?={_area_names(Level.province, Level.city)})"
                    + f"|^ ?(?:{'|'.join(FORM_PREFIXES)}) ?"
                    f"(?={_area_names(Level.province, Level.city)})"
                    + f"|中国(?={_area_names(Level.province)})")
_SPACE_RUN = re.compile(r" {2,}")
_INNER_SPACE = re.compile(r"(?<![0-9A-Z]) | (?![0-9A-Z])")
_EDGE_SPACE = re.compile(r"^ +| +$")
# A dash between names separates them (浙江省-金华市); between numerals it is a number's
# (十二-十四号, 一-一号), kept.
_NAME_DASH = re.compile(
    f"(?<=[\u4e00-\u9fff])(?<![{NUMERAL_CHARS}])[-·]+(?=[\u4e00-\u9fff])"
    f"|(?<=[\u4e00-\u9fff])[-·]+(?=[\u4e00-\u9fff])(?![{NUMERAL_CHARS}])")
# (Not before a number with its own level word: 春华路1924_2幢 is a door, then building 2幢.)
_UNDERSCORE_DASH = re.compile(
    r"(?<=[0-9])_(?=[0-9])(?![0-9]+(?:"
    + "|".join((*grammar.BUILDING_WORDS, *grammar.UNIT_WORDS[:1], *grammar.FLOOR_WORDS)) + "))")
# Rooms listed (雄鹰组团29幢101、102号): a run of rooms, written as one (101-102号).
_ROOM_LIST = re.compile(r"(?<![0-9])([0-9]{3,5})、([0-9]{3,5})(?![0-9])")
# (Between numerals too: 一--0 is 1-0 once the numeral is a digit.)
_DOUBLED_DASH = re.compile(f"(?<=[0-9A-Z{NUMERAL_CHARS}])-{{2,}}(?=[0-9A-Z{NUMERAL_CHARS}])")
# What noise needs before `_strip_noise` can find any: a word of it, or a phone number's
# digits. Two patterns, because a class among the words would keep the regex engine from
# skipping ahead by the words' first characters (one pattern took 2.5 times as long).
_NOISE_WORD_TRIGGER = re.compile("|".join(DELIVERY_NOTES + _DELIVERY_WORDS + NOISE_WORDS)
                                 + "|中国|" + "|".join(RECIPIENT_LABELS + FORM_PREFIXES)
                                 + "|" + "|".join(_DISTANCE_WORDS))
_PHONE_TRIGGER = re.compile("[0-9]{7}")


def _may_hold_noise(text: str) -> bool:
    return _NOISE_WORD_TRIGGER.search(text) is not None or (
        _PHONE_TRIGGER.search(text) is not None)


_BUILDING_TRIGGER = re.compile(
    "[0-9A-Z](?:" + "|".join(w for w in grammar.BUILDING_WORDS if w != "栋") + ")")
_UNIT_TRIGGER = re.compile(r"单(?!元)|梯|栋[0-9A-Z]+号?门")
_HAS_NUMERAL = re.compile(f"[{NUMERAL_CHARS}]")
_NUMERAL_RUN = re.compile(f"[{NUMERAL_CHARS}]+")
_HASH = re.compile(r"([0-9A-Z]+)#楼?")
# 第 before a number is its ordinal, dropped (第十五号 → 15号); in 第第10栋 the first is a
# name's (至尊门第), and both are kept (the parser tells them apart).
# A marker word followed by the word that ends a village's, township's or road's name is
# inside that name (三房村委会, 二楼村, 十三号街), not a number of its level.
_NAME_ENDING = "|".join(sorted({*grammar.VILLAGE_WORDS, *grammar.TOWNSHIP_WORDS, "路", "街", "巷",
                                "大道", "公路", "胡同"}, key=len, reverse=True))
_IN_A_NAME = f"(?:{_NAME_ENDING})(?!民)"  # (六组村民小组: the villagers' group of 6组)
# 六巷十二弄: a lane numbered in a chain of lanes (grammar.LANE_CHAIN_WORDS).
_CHAIN_MARKER = (f"(?:{'|'.join(grammar.LANE_CHAIN_WORDS)})"
                 f"(?=[0-9{NUMERAL_CHARS}]+(?:{'|'.join(grammar.LANE_WORDS)}))")
_NUMERALS = re.compile(f"(?:(?<!第)第)?([{NUMERAL_CHARS}]+)"
                       f"(?=(?:{NUMBER_MARKERS})(?!{_IN_A_NAME})|{_CHAIN_MARKER})")
# A room read out at the end (1单元一零一), also straight after a lane's or a village's door
# (6组1号一零一), which has no unit.
_TRAILING_NUMERALS = re.compile(f"(?<=[栋元层楼号\\-])([{NUMERAL_CHARS}]{{2,}})(?= |$)")
# 12号之一, 12号附三: the number of a sub-door follows its word (grammar.DOOR_SUB_WORDS),
# after its door or alone (a base's value 之一 under the door 12号); not when digits follow
# (4号之一3栋 is no 4号之13 栋).
_SUB_DOOR_NUMERALS = re.compile(
    f"(?:(?<=[0-9]号)|^)({'|'.join(grammar.DOOR_SUB_WORDS)})([{NUMERAL_CHARS}]+)(?![0-9])")
_DASH_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[一](?=[0-9])")
_LEADING_ORDINAL = re.compile(r"(?<!第)第([0-9]+)(?=" + NUMBER_MARKERS + ")")
_BUILDING = re.compile(r"([0-9A-Z]+)(?:" + "|".join(grammar.BUILDING_WORDS) + ")")
# A building named by a letter and 楼 (A楼, H楼): floors are numbered, never lettered (B1楼
# is a floor).
_LETTER_BUILDING = re.compile(r"(?<![0-9A-Z])([A-Z])楼(?![A-Z层])")
_LETTER_BUILDING_TRIGGER = re.compile("[A-Z]楼")  # a scan that skips ahead, unlike the above
_UNIT = re.compile(r"([0-9A-Z]+)(?:单元|单(?!元)|梯)")
# 29栋1门, 3栋2号门: after a building, 门 numbers its units (门 alone is a gate; 门面, 门市 a
# shopfront).
_GATE_UNIT = re.compile(r"(?<=栋)([0-9A-Z]+)号?门(?![面市牌店口卫岗诊])")
_ROOM = re.compile(r"([0-9]+)(?:" + "|".join(grammar.ROOM_WORDS) + f")(?!{_IN_A_NAME})"
                   r"|([0-9]{3,})(?:店|档)(?![面铺])")  # a market's stall: 6409店, 355档
_FLOOR = re.compile(r"([0-9]+)层楼?")


def _numerals(m: re.Match[str]) -> str:
    run = m.group(1)
    if not _valid_numeral_run(run):
        return m.group(0)
    at = m.start()
    if at > 0 and m.string[at - 1].isdigit() and at == m.start(1):
        # 环城东路342八楼: the digits typed before are another number (a door), never
        # the first digits of this one (3428楼).
        return " " + chinese_number(run)
    return chinese_number(run)


def _sub_door_numerals(m: re.Match[str]) -> str:
    run = m.group(2)
    return m.group(0) if not _valid_numeral_run(run) else m.group(1) + chinese_number(run)


def _strip_noise(buf: _Buffer) -> None:
    # Removal can bring the pieces of another noise word together (中中国国), so repeat.
    for _ in range(8):
        changed = buf.rewrite(_PHONE, lambda m: " ")
        changed |= buf.rewrite(_RECIPIENT, lambda m: " ")
        changed |= buf.rewrite(_NOISE, lambda m: "")
        if "点" in buf.text:
            changed |= buf.rewrite(_DELIVERY_TIME, lambda m: "")
        if "米" in buf.text or "公里" in buf.text or "以" in buf.text:  # (_DISTANCE_WORDS)
            changed |= buf.rewrite(_DISTANCE, lambda m: "")
        if not changed:
            return


def _room_list(m: re.Match[str]) -> str:
    return f"{m.group(1)}-{m.group(2)}" if grammar.is_room_run(*m.groups()) else m.group(0)


def normalize(text: str) -> NormalizedText:
    """Fold a typed address into the normal form, keeping each character's original span."""
    sources: list[Span] | None = None
    typed = text
    if "_" in text:  # 大义房路72_4: between digits, a dash (one character for one)
        text = _UNDERSCORE_DASH.sub("-", text)
    if "、" in text:  # one character for one
        text = _ROOM_LIST.sub(_room_list, text)
    if unicodedata.is_normalized("NFKC", text):
        # Each character is its own NFKC form, so folding maps one character to one.
        # str.translate looks every character up in a dict; most texts have none to fold.
        folded = text.translate(_ONE_TO_ONE) if _ONE_TO_ONE_SEEN.search(text) else text
    else:
        fold = _FOLDED
        pieces = [fold.get(ch) or _fold_new(ch) for ch in text]
        folded = "".join(pieces)
        if len(folded) != len(text):
            sources = []
            for i, piece in enumerate(pieces):
                sources.extend([(i, i + 1)] * len(piece))
    buf = _Buffer(folded, sources)
    if "  " in buf.text:
        buf.rewrite(_SPACE_RUN, lambda m: " ")
    # Closing up spaces can join the pieces of a noise word (电,话 → 电话): repeat to rest.
    for _ in range(4):
        before = buf.text
        if _may_hold_noise(buf.text):
            _strip_noise(buf)
        if " " in buf.text:
            buf.rewrite(_SPACE_RUN, lambda m: " ")
            buf.rewrite(_INNER_SPACE, lambda m: "")
            buf.rewrite(_EDGE_SPACE, lambda m: "")
        if buf.text == before:
            break
    if "-" in buf.text:  # 浙江省-金华市-义乌市: a dash between names separates them
        if buf.rewrite(_NAME_DASH, lambda m: ""):
            _strip_again(buf)  # (the names brought together may be noise: 电-话)
        buf.rewrite(_DOUBLED_DASH, lambda m: "-")  # 8--33: one dash typed twice
    _fold_numbers(buf)
    return NormalizedText(buf.text, None if buf.sources is None else tuple(buf.sources), typed)


_FOLDED: dict[str, str] = {}


def _one_to_one_table() -> dict[int, str]:
    """`_fold_char` for the characters that are their own NFKC form and still fold.

    Such a character folds only by the simplified table, separators, dashes or case, each one
    character to one; every other NFKC-stable character folds to itself.
    """
    candidates = {*_T2S, *SEPARATORS, *"－—–―‐‑", *(chr(c) for c in range(ord("a"), ord("z") + 1))}
    candidates.update(chr(c) for c in range(0x3001) if chr(c).isspace())
    table = {}
    for ch in candidates:
        if unicodedata.normalize("NFKC", ch) == ch and _fold_char(ch) != ch:
            table[ord(ch)] = _fold_char(ch)
    return table


_ONE_TO_ONE = _one_to_one_table()
# A character that may fold: one of the table's (a class of BMP characters, which the regex
# engine tests in one step), or any outside the BMP (a class holding those is tested by a
# slow scan; translate decides).
_ONE_TO_ONE_SEEN = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in sorted(_ONE_TO_ONE) if c <= 0xFFFF) + "]"
    "|[\U00010000-\U0010FFFF]")


def _fold_new(ch: str) -> str:
    folded = _fold_char(ch)
    if len(_FOLDED) < 100_000:
        _FOLDED[ch] = folded
    return folded


def _fold_numbers(buf: _Buffer) -> None:
    # Numerals first (so 三号楼 → 3号楼 → 3栋), then markers; repeat until nothing moves,
    # because one rewrite can expose another (第十五号 → 15号).
    for _ in range(4):
        changed = False
        if _HAS_NUMERAL.search(buf.text):
            changed |= _fold_numerals(buf)
        if "第" in buf.text:
            changed |= buf.rewrite(_LEADING_ORDINAL, lambda m: m.group(1))
        text = buf.text
        if "#" in text:  # (after the numerals: 附一# is 附1#, then 1栋)
            changed |= buf.rewrite(_HASH, lambda m: m.group(1) + "栋")
        if _BUILDING_TRIGGER.search(text):
            changed |= buf.rewrite(_BUILDING, lambda m: m.group(1) + "栋")
        if _LETTER_BUILDING_TRIGGER.search(text):
            changed |= buf.rewrite(_LETTER_BUILDING, lambda m: m.group(1) + "栋")
        if _UNIT_TRIGGER.search(text):
            changed |= buf.rewrite(_UNIT, lambda m: m.group(1) + "单元")
            changed |= buf.rewrite(_GATE_UNIT, lambda m: m.group(1) + "单元")
        if "房" in text or "户" in text or "商" in text or "铺" in text or "店" in text or (
                "档" in text):
            changed |= buf.rewrite(_ROOM, lambda m: (m.group(1) or m.group(2)) + "室")
        if "层楼" in text:
            changed |= buf.rewrite(_FLOOR, lambda m: m.group(1) + "层")
        if not changed:
            return
        _strip_again(buf)


def _dash(m: re.Match[str]) -> str:
    return "-"


# The rewrites of Chinese numerals, in order. Each needs a run of numerals with a certain
# neighbour (`_numeral_forms_due`), which most names holding a numeral lack (高新南一道).
_NUMERAL_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_NUMERALS, _numerals), (_TRAILING_NUMERALS, _numerals),
    (_SUB_DOOR_NUMERALS, _sub_door_numerals), (_DASH_BETWEEN_DIGITS, _dash))
# What may follow a run that `_NUMERALS` reads: a marker's or a chained lane's first character.
_NUMBERED_AFTER = frozenset(w[0] for w in (*grammar.NUMBER_MARKERS, *grammar.LANE_CHAIN_WORDS))


def _numeral_forms_due(text: str) -> list[bool]:
    """For each of `_NUMERAL_FORMS`, whether it may match `text`: one scan of the runs of
    numerals instead of four. None of the forms' neighbours is a numeral, so a form that
    matches has a whole run with that neighbour (a run followed by a marker, a run of two or
    more at the end, one after 之 or 附, one between digits)."""
    due = [False, False, False, False]
    for m in _NUMERAL_RUN.finditer(text):
        start, end = m.span()
        after = text[end] if end < len(text) else ""
        due[0] = due[0] or after in _NUMBERED_AFTER
        due[1] = due[1] or (end - start >= 2 and after in ("", " ", "\n"))  # (?= |$)
        due[2] = due[2] or text.endswith(grammar.DOOR_SUB_WORDS, 0, start)
        due[3] = due[3] or (start > 0 and "0" <= text[start - 1] <= "9")
    return due


def _fold_numerals(buf: _Buffer) -> bool:
    """Apply the numeral rewrites that may match; whether the text changed."""
    changed = False
    due = _numeral_forms_due(buf.text)
    for form, (pattern, repl) in enumerate(_NUMERAL_FORMS):
        if due[form] and buf.rewrite(pattern, repl):
            changed = True
            due = _numeral_forms_due(buf.text)
    return changed


def _strip_again(buf: _Buffer) -> bool:
    before = buf.text
    if _may_hold_noise(buf.text):
        _strip_noise(buf)
    if "-" in buf.text:  # folding may have made a name character beside a dash (幢 → 栋)
        buf.rewrite(_NAME_DASH, lambda m: "")
    if " " in buf.text:
        buf.rewrite(_SPACE_RUN, lambda m: " ")
        buf.rewrite(_INNER_SPACE, lambda m: "")
        buf.rewrite(_EDGE_SPACE, lambda m: "")
    return buf.text != before


_DIGIT_NAMES = "零一二三四五六七八九"
_DIGIT_RUN = re.compile(r"[0-9]+")


def _chinese_of(number: str) -> str | None:
    """十二 for 12, 五 for 5 (numbers below 100; longer ones are written in digits)."""
    n = int(number)
    if number.startswith("0") or not 0 < n < 100:
        return None
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else _DIGIT_NAMES[tens] + "十"))
    return text + (_DIGIT_NAMES[ones] if ones else "")


def numeral_variants(name: str) -> list[str]:
    """The other ways of writing the numbers inside a name: 高新南一道 ↔ 高新南1道."""
    out = []
    if _DIGIT_RUN.search(name):
        other = _DIGIT_RUN.sub(lambda m: _chinese_of(m.group(0)) or m.group(0), name)
        if other != name:
            out.append(other)
    if _HAS_NUMERAL.search(name):
        other = _NUMERAL_RUN.sub(
            lambda m: chinese_number(m.group(0)) if _valid_numeral_run(m.group(0))
            else m.group(0), name)
        if other != name:
            out.append(other)
    return out


def normal_text(text: str) -> str:
    """Just the normalised string (for keys of the address index)."""
    return normalize(text).text


_ELEMENT_SUFFIX = {level: re.compile(f"(?:{'|'.join(words)})$")
                   for level, words in grammar.KEY_WORDS.items()}


def element_key(level: str, value: str | None) -> str:
    """The comparable key of one element value: 3号楼 → 3, 第一单元 → 1, 1201室 → 1201."""
    if value is None:
        return ""
    key = normalize(str(value)).text.replace(" ", "")
    suffix = _ELEMENT_SUFFIX.get(level)
    if suffix is not None and len(key) > 1:
        key = suffix.sub("", key)
    return key
