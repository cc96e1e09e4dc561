from hypothesis import given, settings
from hypothesis import strategies as st

from addressing.normalize import chinese_number, element_key, normalize

ADDRESS_ALPHABET = (
    "广东省深圳市南山区粤海街道科苑路号栋幢座楼单元层室户一二三四五六七八九十百零两第"
    "0123456789ABab-－#（）() ，,附近中国收件人电话13800號樓單區"
)


@given(st.text(alphabet=ADDRESS_ALPHABET, max_size=40))
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
