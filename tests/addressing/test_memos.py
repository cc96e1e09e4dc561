"""Memos and fast paths of the geocoder never change a result."""

from addressing.admin import AdminGazetteer
from addressing.lexicon import NameLexicon
from addressing.normalize import normal_text
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
             "深圳市福田区粤海街道"]
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
