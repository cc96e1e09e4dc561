import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from addressing import normalize as normalizing
from addressing.normalize import chinese_number, element_key, normalize

ADDRESS_ALPHABET = (
    "广东省深圳市南山区粤海街道科苑路号栋幢座楼单元层室户一二三四五六七八九十百零两第"
    "0123456789ABab-－#（）() ，,附近中国收件人电话13800號樓單區米公里以东西南北往处左右_"
)


@given(st.text(alphabet=ADDRESS_ALPHABET, max_size=40))
@example("附一#")  # the numeral folded after the # was read: 附1#, then 1栋 the second time
@example("电-话")  # the dash taken out brought a noise word together
@settings(max_examples=400, deadline=None)
def test_normalize_is_idempotent(text):
    once = normalize(text).text
    assert normalize(once).text == once


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_normalize_is_idempotent_on_any_text(text):
    once = normalize(text).text
    assert normalize(once).text == once


@given(st.text(alphabet=ADDRESS_ALPHABET, max_size=40))
@settings(max_examples=300, deadline=None)
def test_every_character_points_into_the_original(text):
    n = normalize(text)
    spans = n.source_spans()
    assert len(spans) == len(n.text)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
    starts = [s for s, _ in spans]
    assert all(n.span(i, i + 1) == spans[i] for i in range(len(spans)))
    assert starts == sorted(starts)


@given(st.text(alphabet="０１２３４５６７８９ＡＢＣ－（）", max_size=20))
def test_no_full_width_forms_survive(text):
    out = normalize(text).text
    assert not any("\uff00" <= c <= "\uffef" for c in out)


@given(st.integers(min_value=1, max_value=9999))
def test_chinese_numbers_round_trip(n):
    digits = "零一二三四五六七八九"
    units = ["", "十", "百", "千"]
    parts, s, zero = [], str(n), False
    for i, ch in enumerate(s):
        d = int(ch)
        place = len(s) - 1 - i
        if d == 0:
            zero = True
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(digits[d] + units[place])
    written = "".join(parts)
    if written.startswith("一十"):
        written = written[1:]
    assert chinese_number(written) == str(n)


def test_numerals_before_markers_become_digits():
    assert normalize("十五号").text == "15号"
    assert normalize("三单元").text == "3单元"
    assert normalize("十二楼").text == "12楼"
    assert normalize("第二十一层").text == "21层"
    assert normalize("一百零一室").text == "101室"
    assert normalize("3栋1单元一二零一").text == "3栋1单元1201"


def test_numerals_in_names_are_kept():
    assert normalize("三亚市五一路").text == "三亚市五一路"
    assert normalize("七星湾").text == "七星湾"


def test_marker_synonyms_fold():
    assert normalize("3号楼").text == "3栋"
    assert normalize("3幢").text == "3栋"
    assert normalize("A座").text == "A栋"
    assert normalize("3#楼").text == "3栋"
    assert normalize("1201户").text == "1201室"
    assert normalize("12层楼").text == "12层"


def test_full_width_and_traditional():
    assert normalize("廣東省深圳市南山區科苑路１５號").text == "广东省深圳市南山区科苑路15号"
    assert normalize("ａ座").text == "A栋"


def test_noise_is_removed_and_spans_point_back():
    raw = "收件人：张三，13800138000，深圳市南山区（科苑路15号）附近"
    n = normalize(raw)
    assert n.text == "深圳市南山区科苑路15号"
    start, end = n.span(0, 3)
    assert raw[start:end] == "深圳市"
    i = n.text.index("科苑路")
    start, end = n.span(i, i + 3)
    assert raw[start:end] == "科苑路"


def test_notes_to_the_courier_are_removed():
    for note in ("电联", "（电联）", "请电联", "提前致电", "放门卫", "快递柜", "送货上门",
                 "11点-12点取件", "下午3点送货", "5点前送达"):
        assert normalize(f"科苑路15号{note}").text == "科苑路15号", note
    raw = "科苑路15号电联"
    n = normalize(raw)
    assert raw[slice(*n.span(0, len(n.text)))] == "科苑路15号"
    # a time that is no note to the courier, and a name with 点 in it, stay
    assert normalize("三点水小区3栋").text == "三点水小区3栋"


def test_what_a_form_writes_before_the_address_is_removed():
    for raw in ("寄件人浙江省杭州市萧山区新宁路", "邮寄地址_浙江省杭州市萧山区新宁路",
                "好的_浙江省杭州市萧山区新宁路", "地址：浙江省杭州市萧山区新宁路",
                "委托件中国浙江省杭州市萧山区新宁路"):
        n = normalize(raw)
        assert n.text == "浙江省杭州市萧山区新宁路", raw
        assert raw[slice(*n.span(0, 3))] == "浙江省"
    # not before an area, the words stay (a place so named)
    assert normalize("好的超市3号").text == "好的超市3号"


def test_landline_and_dash_forms():
    assert normalize("0755-86013388 科苑路15号 3-1-1201").text == "科苑路15号3-1-1201"
    assert normalize("3－1－1201").text == "3-1-1201"


def test_element_keys():
    assert element_key("building", "A座") == "A"
    assert element_key("building", "3号楼") == "3"
    assert element_key("unit", "第一单元") == "1"
    assert element_key("floor", "十二楼") == "12"
    assert element_key("floor", "12F") == "12"  # as the parser keys 12F
    assert element_key("door", "416弄") == "416弄"  # a lane is not door 416号
    assert element_key("room", "1201室") == "1201"
    assert element_key("door", "十五号") == "15"
    assert element_key("door", None) == ""


def test_noise_split_by_separators():
    assert normalize("电,话").text == normalize(normalize("电,话").text).text == ""


# Runs of numerals beside every neighbour the numeral rewrites look at.
NUMERAL_ALPHABET = "零一二三四五六七八九十百两第号栋单元层楼室户弄支期排组房-之附巷 0123456789A路村"


@given(st.text(alphabet=NUMERAL_ALPHABET, max_size=16))
@settings(max_examples=1500, deadline=None)
def test_a_numeral_rewrite_that_can_match_is_never_skipped(text):
    due = normalizing._numeral_forms_due(text)
    for (pattern, _), may in zip(normalizing._NUMERAL_FORMS, due, strict=True):
        if pattern.search(text):
            assert may, (pattern.pattern, text)


def test_numeral_rewrites_are_skipped_where_none_can_match():
    # 高新南一道: a numeral inside a road's name, followed by no marker
    assert normalizing._numeral_forms_due("广东省深圳市南山区高新南一道9号") == [False] * 4
    assert normalizing._numeral_forms_due("3栋1单元一二零一") == [False, True, False, False]
    assert normalizing._numeral_forms_due("12号之一") == [False, False, True, False]
    assert normalizing._numeral_forms_due("5一3") == [False, False, False, True]


def _spans_by_hand(text, pattern, repl):
    """The rewrite as it reads: each replaced character spans what its match came from,
    an unchanged length keeping each character's own span."""
    out, spans, last = [], [], 0
    for m in pattern.finditer(text):
        new = repl(m)
        if new == m.group(0):
            continue
        out.append(text[last:m.start()])
        spans.extend((i, i + 1) for i in range(last, m.start()))
        if len(new) == m.end() - m.start():
            spans.extend((i, i + 1) for i in range(m.start(), m.end()))
        else:
            spans.extend([(m.start(), m.end())] * len(new))
        out.append(new)
        last = m.end()
    out.append(text[last:])
    spans.extend((i, i + 1) for i in range(last, len(text)))
    return "".join(out), spans


@given(st.text(alphabet="3幢号楼单元12-AB", max_size=20),
       st.sampled_from(["same", "shorter", "longer"]))
@settings(max_examples=500, deadline=None)
def test_a_rewrite_keeps_each_characters_span(text, kind):
    pattern = re.compile(r"([0-9A-Z]+)(幢|号楼|单(?!元))")
    repl = {"same": lambda m: m.group(1) + "栋" * len(m.group(2)),
            "shorter": lambda m: m.group(1) + "栋",
            "longer": lambda m: m.group(1) + "单元" if m.group(2) == "单" else m.group(0)}[kind]
    buf = normalizing._Buffer(text, None)
    buf.rewrite(pattern, repl)
    expected_text, expected_spans = _spans_by_hand(text, pattern, repl)
    assert buf.text == expected_text
    spans = [(i, i + 1) for i in range(len(buf.text))] if buf.sources is None else buf.sources
    assert spans == expected_spans


@given(st.text(alphabet="附近旁边对面中国收件人电话TEL0123456789一科苑路", max_size=20))
@settings(max_examples=500, deadline=None)
def test_noise_is_looked_for_wherever_a_word_or_phone_digits_are(text):
    every = re.compile("|".join(normalizing.NOISE_WORDS) + "|中国|"
                       + "|".join(normalizing.RECIPIENT_LABELS) + "|[0-9]{7}")
    assert normalizing._may_hold_noise(text) == bool(every.search(text))
