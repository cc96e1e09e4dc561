import gc

import pandas as pd
import pytest

from addressing.batch import RESULT_COLUMNS, geocode_table, geocode_values
from sample_data.messy_addresses import messy_addresses


def test_forked_workers_give_the_same_results_in_order(geocoder, sample_rows):
    texts = [r["full_text"] for r in sample_rows if r["level"] in ("room", "floor")][:4500]
    texts[100] = None
    texts[4000] = "不存在路1号"
    single = geocode_values(geocoder, texts)
    double = geocode_values(geocoder, texts, workers=2)
    assert single == double
    assert single[100][0] == "unmatched" and single[100][5] == "empty address"
    assert [s[2] for s in single[:50]] == [r["code"] for r in sample_rows
                                           if r["level"] in ("room", "floor")][:50]


def test_rows_come_back_in_the_inputs_order_though_matched_in_the_texts(geocoder,
                                                                       sample_rows):
    # The batch matches rows sorted by their text: given back out of that order (reversed,
    # shuffled, with blanks and a repeated address), each row is still its own answer.
    texts = [r["full_text"] for r in sample_rows if r["level"] in ("room", "door")][:4100]
    texts.reverse()
    texts[7:7] = [None, "", texts[0]]
    one_by_one = [geocoder.geocode("" if t is None else t) for t in texts]
    for workers in (1, 2):
        rows = geocode_values(geocoder, texts, workers=workers)
        assert [(r[0], r[2], r[5]) for r in rows] == [
            (g.status, g.code, g.reason) for g in one_by_one], workers
    assert rows[9] == rows[0]


def test_table_keeps_index_and_answers_blanks_as_the_api_does(geocoder, sample_rows):
    frame = pd.DataFrame({"n": [3, 1, 2], "addr": [sample_rows[-1]["full_text"], None, "  "]},
                         index=[10, 11, 12])
    seen = []
    out, report = geocode_table(geocoder, frame, "addr", progress=lambda d, t: seen.append(d))
    assert list(out.index) == [10, 11, 12]
    assert list(out.columns) == ["n", "addr", *RESULT_COLUMNS]
    # blank cells are answered as a blank query over HTTP is: unmatched, "empty address"
    assert report.by_status == {"matched": 1, "unmatched": 2}
    assert list(out["geo_reason"])[1:] == [geocoder.geocode("").reason] * 2
    assert geocoder.geocode("").reason == "empty address"
    assert report.unreadable == []
    assert seen[-1] == 3


def test_matching_makes_no_reference_cycles_so_a_batch_may_hold_the_collector_back(
        geocoder, sample_rows):
    # The collector does not run while a batch runs (the memos it fills made the collector
    # walk them again and again); that is safe only while matching leaves no cyclic
    # garbage behind, which is what this checks, on every kind of answer and every class
    # of messy text (typos and sounds read by the name scans, noise, repeated areas …).
    messy = [m.text for m in messy_addresses(sample_rows, per_class=3, seed=11)]
    texts = [r["full_text"] for r in sample_rows[:300]] + messy + [
        "深圳市南山区", "不存在的路99号", "", "南山区科技园路1号1栋", "null"]
    gc.collect()
    gc.disable()
    try:
        for text in texts:
            geocoder.geocode(text)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_collector_is_held_back_only_while_a_batch_runs(geocoder, sample_rows):
    seen = []

    def progress(done, total):
        seen.append(gc.isenabled())

    texts = [r["full_text"] for r in sample_rows[:50]]
    geocode_values(geocoder, texts, progress=progress)
    assert seen and not any(seen)
    assert gc.isenabled()

    class Unreadable:
        def __str__(self) -> str:
            raise ValueError("no text")

    with pytest.raises(ValueError):  # a batch that fails half-way
        geocode_values(geocoder, ["深圳市南山区", Unreadable()])
    assert gc.isenabled()
    gc.disable()  # a caller that holds it back itself finds it so afterwards
    try:
        geocode_values(geocoder, texts)
        assert not gc.isenabled()
    finally:
        gc.enable()
