"""Memos and fast paths of the geocoder never change a result."""

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz import process

from addressing.admin import AdminGazetteer
from addressing.batch import geocode_values
from addressing.edit_scan import (
    FUZZY_CUTOFF,
    NameScan,
    beyond_one_typo,
    closest_two,
    shared_at_cutoff,
    similarity,
)
from addressing.lexicon import NameLexicon
from addressing.match import Geocoder
from addressing.normalize import _ONE_TO_ONE, _fold_char, normal_text
from sample_data.messy_addresses import messy_addresses
from twin.divisions import load_divisions


def _admin_reading(p):
    return (
        [(t.start, t.end, t.text, [n.division.code + n.kind for n in t.names]) for t in p.tokens],
        [[n.division.code + n.kind for n in c] for c in p.chains], p.end, p.notes, p.readings,
    )


def _texts(sample_rows):
    items = messy_addresses(sample_rows, per_class=40, seed=5)
    # Prefixes that end where a street name, a road character or the text itself may
    # change the reading of the last admin name.
    edges = ["广东省深圳市南山", "广东省深圳市南山路", "深圳南山大道1号", "深圳南山", "南山区南山",
             "南山区南山街道", "南山区南山街道南山大道", "广东省深证市南山区", "深证市", "深证市南",
             "南山区前海合作区前海", "南山区前海合作区前海路", "宝安区龙华街道",
             "深圳市福田区粤海街道", "山东青岛市北区新华街", "青岛市北区", "青岛市崂山区",
             "山东青岛崂山区", "江苏盐城大丰区和平路", "盐城大道", "广西河池南丹县",
             "陕西榆林子洲县", "榆林子洲县", "四川内江市中区"]
    return [normal_text(i.text) for i in items] + edges + [e + "3号" for e in edges]


def test_admin_parse_memo_matches_a_fresh_parse(sample_index, sample_rows):
    texts = _texts(sample_rows)
    memoised, fresh = AdminGazetteer(load_divisions()), AdminGazetteer(load_divisions())
    other_streets: NameLexicon[str] = NameLexicon()
    other_streets.add("南山大道", "road")
    for streets in (sample_index.streets, None, other_streets):
        for text in texts + texts:  # the second pass answers from the memo
            fresh.clear_memos()
            got = memoised.parse(text, 0, streets)
            assert _admin_reading(got) == _admin_reading(fresh.parse(text, 0, streets)), text


def test_geocoder_memos_never_change_a_result(sample_index, sample_rows):
    texts = [i.text for i in messy_addresses(sample_rows, per_class=12, seed=7)]
    warm = Geocoder(sample_index, AdminGazetteer(load_divisions()))
    for text in texts:  # fill every memo first
        warm.geocode(text)
    fresh_gazetteer = AdminGazetteer(load_divisions())
    for text in texts:
        fresh_gazetteer.clear_memos()
        cold = Geocoder(sample_index, fresh_gazetteer)
        assert warm.geocode(text).as_dict() == cold.geocode(text).as_dict(), text


def test_batch_dedupe_gives_the_rows_of_matching_each_cell(geocoder, sample_rows):
    items = messy_addresses(sample_rows, per_class=160, seed=9)
    texts = [i.text for i in items]
    # Repeats typed alike and typed differently (full-width, spaces), blanks, bad bytes.
    values = texts + texts[:500] + [t.replace("1", "１") for t in texts[:300]]
    values += [None, "  ", "南山区\ufffd路", texts[0] + " ", float("nan")]
    assert len(values) >= 4000  # enough rows for the forked workers to run
    plain = geocode_values(geocoder, values, dedupe=False)
    assert geocode_values(geocoder, values) == plain
    assert geocode_values(geocoder, values, workers=2) == plain


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_one_to_one_fold_is_the_character_fold(text):
    if unicodedata.is_normalized("NFKC", text):
        assert text.translate(_ONE_TO_ONE) == "".join(_fold_char(c) for c in text)


def test_fast_fold_matches_for_every_nfkc_stable_character():
    for code in range(0x30000):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF or not unicodedata.is_normalized("NFKC", ch):
            continue
        assert ch.translate(_ONE_TO_ONE) == _fold_char(ch), hex(code)


def _full_scan(key, names):
    """What the edit scan must give: the Python scorer over every name."""
    return [tuple(w) for w in process.extract(key, names, scorer=similarity, limit=2,
                                              score_cutoff=FUZZY_CUTOFF)]


def test_closest_two_is_the_python_scorer_extract(sample_index):
    names = list(sample_index.roads.names()) + list(sample_index.compounds.names())
    scan = NameScan(names)
    typed = [n[1] + n[0] + n[2:] for n in names] + [n[:-1] for n in names if len(n) > 3]
    typed += [n + "路" for n in names] + [n.replace("花", "华") for n in names] + ["不存在路"]
    for key in typed:
        assert _full_scan(key, names) == closest_two(key, scan), key


# Names from six letters: most pairs share characters, repeats included, so the filter by
# rare characters is tried where it is easiest to get wrong.
_NAME = st.text(alphabet="东西路园花华", min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=40, unique=True), key=_NAME)
def test_the_edit_scan_scores_every_name_that_can_reach_the_cutoff(names, key):
    assert closest_two(key, NameScan(names)) == _full_scan(key, names)
    # Every name at the cutoff is among the candidates, not only the best two.
    at = set(NameScan(names).candidates(key))
    for name, _score, i in process.extract(key, names, scorer=similarity, limit=None,
                                           score_cutoff=FUZZY_CUTOFF):
        assert i in at, (key, name)


@settings(max_examples=500, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=40, unique=True),
       key=st.text(alphabet="东西路园花华", min_size=3, max_size=9))
# At the edge of each length the rule allows: two added, two changed, two dropped, one
# longer with one changed.
@example(names=["工业花园二期", "工业花园"], key="工业花园")
@example(names=["东西路园花华东西甲乙"], key="东西路园花华东西路园")
@example(names=["西路园花"], key="东西路园花华")
@example(names=["东西路园花甲东乙"], key="东西路园花华东")
def test_the_scan_beyond_one_typo_is_the_full_scan_of_the_names_further_off(names, key):
    """What the geocoder asks once no name one typo away lies in the areas: the answer is
    the full scan's over the names left."""
    lexicon: NameLexicon[int] = NameLexicon()
    for name in names:
        lexicon.add(name, 0)
    near = set(lexicon.near(key)) | {key}
    further = [n for n in names if n not in near and len(n) >= 2]  # a lexicon's names
    assert closest_two(key, NameScan(further), beyond_typo=True) == _full_scan(key, further)


def test_a_misspelt_four_character_name_is_compared_with_six_character_names_only():
    names = [f"{a}{b}花园" for a in "东南西北中" for b in "阳光明月星海山"] + ["阳光花园二期"]
    scan = NameScan(names)
    assert scan.candidates_beyond_one_typo("阳光花园") == [len(names) - 1]
    assert closest_two("阳光花园", scan, beyond_typo=True)[0][0] == "阳光花园二期"
    assert beyond_one_typo(3) == ()  # within the cutoff, all is one typo away


def test_the_edit_scan_looks_up_few_names_for_a_long_key():
    """The point of the filter: a five-character name is compared with the names holding
    its rarest characters, not with every name of a county."""
    names = [f"{a}{b}花园" for a in "东南西北中" for b in "阳光明月星海山"] + ["阳光花园"]
    at = NameScan(names).candidates("阳光华园")
    assert shared_at_cutoff(4) == 2
    assert len(at) < len(names) / 2
    assert names.index("阳光花园") in at


def _parse_reading(p):
    return ([e.as_dict() | {"key": e.key} for e in p.elements],
            [e.as_dict() | {"key": e.key} for e in p.leftovers], p.notes)


def test_memoised_street_reading_matches_a_fresh_parse(sample_index, sample_rows):
    from addressing import parse as parse_module

    texts = [i.text for i in messy_addresses(sample_rows, per_class=40, seed=5)]
    # The same street text after different admin prefixes, and typed with folded characters
    # (spans mapped through the normalisation) or not.
    texts += ["广东省深圳市南山区桃园路7号3栋2单元502室", "南山桃园路7号3栋2单元502室",
              "桃园路7号3栋2单元502室", "深圳南山  桃园路７号３栋二单元５０２室", "桃园路",
              "南山区 3-2-502", "南山区旧名社区科技园路1号"]
    for streets in (sample_index.streets, None):
        fresh = []
        for text in texts:
            parse_module.clear_street_memos(streets)
            fresh.append(_parse_reading(parse_module.parse(text, streets=streets)))
        parse_module.clear_street_memos(streets)
        for _ in range(2):  # the second pass reads every street text from the memo
            for text, expected in zip(texts, fresh, strict=True):
                assert _parse_reading(parse_module.parse(text, streets=streets)) == expected, text
        parse_module.clear_street_memos(streets)


def test_street_memo_is_bounded(monkeypatch, sample_index):
    from addressing import parse as parse_module

    monkeypatch.setattr(parse_module, "STREET_MEMO_LIMIT", 50)
    parse_module.clear_street_memos(sample_index.streets)
    for n in range(500):
        parse_module.parse(f"南山区桃园路{n}号", streets=sample_index.streets)
        assert len(parse_module.street_memo(sample_index.streets)) <= 50
    parse_module.clear_street_memos(sample_index.streets)


def test_a_lexicon_drops_its_readings_when_a_name_is_added():
    from addressing import parse as parse_module

    streets: NameLexicon[str] = NameLexicon()
    streets.add("桃园路", "road")
    before = _parse_reading(parse_module.parse("南山区科兴园7号", streets=streets))
    assert parse_module.street_memo(streets)
    streets.add("科兴园", "compound")
    assert not parse_module.street_memo(streets)
    after = _parse_reading(parse_module.parse("南山区科兴园7号", streets=streets))
    assert after != before and after == _parse_reading(
        parse_module.parse("南山区科兴园7号", streets=streets))


def test_the_names_of_areas_are_the_lexicon_names_with_a_node_there(sample_index):
    """The scan's names, gathered by admin codes, are those a walk over every name finds,
    in the lexicon's order (which breaks ties)."""
    from addressing.within_areas import WithinAreas, area_tests

    divisions = load_divisions()
    codes = {sample_index.admin(n).finest for n in range(len(sample_index))}
    areas = [[divisions.by_code[c.ljust(12, "0")]] for c in sorted(codes)]
    areas += [[divisions.by_code[c[:6].ljust(12, "0")]] for c in sorted(codes)][:3]
    areas.append([divisions.by_code[c.ljust(12, "0")] for c in sorted(codes)[:3]])
    within = WithinAreas(sample_index)
    for lexicon in (sample_index.roads, sample_index.compounds):
        for area in areas:
            walked = [n for n in lexicon.names()
                      if within.nodes_in(lexicon.get(n), area_tests(area))]
            assert within.names(lexicon, area).names == walked, [a.name for a in area]
            assert walked or area[0].code[:6] != "440305"


def test_a_new_geocoder_builds_its_sound_tables_before_the_first_query(sample_index):
    # A misspelt city (深证市) is read by the sound of every province, city and county name;
    # the first text to need them must not pay for reading them all.
    gazetteer = AdminGazetteer(load_divisions())
    assert gazetteer._sound_index is None
    geocoder = Geocoder(sample_index, gazetteer)
    assert gazetteer._sound_index is not None
    assert geocoder.geocode("广东省深证市南山区").level == "county"
