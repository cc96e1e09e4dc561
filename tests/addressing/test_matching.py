import pytest

from sample_data.messy_addresses import NEGATIVE, REAL_FORMS, messy_addresses
from sample_data.messy_unforeseen import UNFORESEEN


def rooms(rows, n=5):
    return [r for r in rows if r["level"] == "room"][:n]


def test_index_holds_every_current_address(sample_index, sample_rows):
    assert len(sample_index) == len(sample_rows)
    codes = {sample_index.code(i) for i in range(len(sample_index))}
    assert codes == {r["code"] for r in sample_rows}


def test_canonical_texts_and_points_round_trip(sample_index, sample_rows):
    by_code = {r["code"]: r for r in sample_rows}
    for i in range(0, len(sample_index), 97):
        row = by_code[sample_index.code(i)]
        assert sample_index.full_text(i) == row["full_text"]
        assert sample_index.point(i) == pytest.approx((row["lon"], row["lat"]))


def test_clean_full_text_matches_its_room(geocoder, sample_rows):
    for row in rooms(sample_rows, 20):
        r = geocoder.geocode(row["full_text"])
        assert (r.status, r.code, r.level) == ("matched", row["code"], "room")
        assert r.full_text == row["full_text"]
        assert r.score == 100
        assert r.lon == pytest.approx(row["lon"]) and r.lat == pytest.approx(row["lat"])
        assert [a["level"] for a in r.admin] == ["province", "city", "county", "township",
                                                 "village"]


def test_elements_carry_spans(geocoder, sample_rows):
    row = rooms(sample_rows, 1)[0]
    text = "  " + row["full_text"].replace("广东省深圳市", "深圳")
    r = geocoder.geocode(text)
    for e in r.elements:
        assert text[e.span[0]:e.span[1]]
    assert {e.level for e in r.elements} >= {"city", "county", "road", "door", "room"}


def test_coordinates_in_display_crs(geocoder, sample_rows):
    row = rooms(sample_rows, 1)[0]
    plain = geocoder.geocode(row["full_text"])
    gcj = geocoder.geocode(row["full_text"], crs="GCJ-02")
    bd = geocoder.geocode(row["full_text"], crs="BD-09")
    assert gcj.crs == "GCJ-02" and bd.crs == "BD-09"
    assert 0.001 < abs(gcj.lon - plain.lon) < 0.01
    assert 0.005 < abs(bd.lon - plain.lon) < 0.03


def test_a_partial_answer_scores_by_the_typed_levels_it_does_not_reach(geocoder, sample_rows):
    """Scores a person can read: the fewer typed levels reached, the lower the score, and
    a road-level fallback for a typed room never scores like the room."""
    row = next(r for r in sample_rows if r["level"] == "room" and r["unit"])
    room = geocoder.geocode(row["full_text"])
    no_room = geocoder.geocode(row["full_text"].replace(row["room"], "9999室"))
    door = row["door_no"] if row["door_no"].endswith("号") else row["door_no"] + "号"
    # Without the compound, which would find the room by itself (matched, the door's
    # difference noted): only the road is left to answer.
    text = row["full_text"].replace(row["compound"] or "\0", "")
    no_door = geocoder.geocode(text.replace(door, "9999号", 1))
    assert (room.status, room.score) == ("matched", 100)
    assert (no_room.status, no_room.level) == ("partial", "unit")
    assert no_door.status == "partial" and no_door.level in ("road", "compound"), no_door
    assert room.score > no_room.score > no_door.score
    assert no_room.score <= 90 and no_door.score <= 70
    assert "9999" in no_door.reason


def test_missing_room_is_partial_at_the_unit(geocoder, sample_rows):
    row = next(r for r in sample_rows if r["level"] == "room" and r["unit"])
    text = row["full_text"].replace(row["room"], "9999室")
    r = geocoder.geocode(text)
    assert r.status == "partial" and r.level == "unit"
    assert r.code == row["code"][:20] + r.code[20:] and r.code != row["code"]
    assert "9999" in r.reason


def test_unknown_road_is_never_a_street_match(geocoder):
    r = geocoder.geocode("深圳市南山区不存在路15号1栋1单元101室")
    # The county is written and exists; the road is not in the base: partial at the county.
    assert (r.status, r.level, r.code) == ("partial", "county", "440305000000")
    assert "不存在路" in r.reason


def test_duplicate_county_decided_by_the_base(geocoder, sample_rows):
    row = rooms(sample_rows, 1)[0]
    text = "南山区" + row["full_text"].split("南山区", 1)[1]
    r = geocoder.geocode(text)
    assert r.status == "matched" and r.code == row["code"]


def test_admin_only_and_ambiguous_admin(geocoder):
    r = geocoder.geocode("广东省深圳市南山区")
    assert (r.status, r.level, r.code) == ("matched", "county", "440305000000")
    r = geocoder.geocode("朝阳区")
    assert r.status == "tie"
    assert {c.code for c in r.candidates} == {"110105000000", "220104000000"}


def test_empty_and_garbage(geocoder):
    assert geocoder.geocode("").status == "unmatched"
    r = geocoder.geocode("!!!???")
    assert r.status == "unmatched" and r.reason


def test_messy_set_accuracy(geocoder, sample_rows):
    """The accuracy bench in small: ≥98% right at the finest level, ≤0.5% false matches."""
    parents = {r["code"]: r["parent_code"] for r in sample_rows}

    def path(code):
        out = set()
        while code:
            out.add(code)
            code = parents.get(code)
        return out

    items = messy_addresses(sample_rows, per_class=25, seed=11)
    right = false = 0
    for item in items:
        r = geocoder.geocode(item.text)
        if item.expected == "tie":
            ok = r.status == "tie" and item.truth_code in {c.code for c in r.candidates}
        elif item.truth_code is None:
            ok = r.code is None or len(r.code) == 12
        else:
            ok = r.status == item.expected and r.code == item.truth_code
        # The classes not designed around (issue 18) are held to no false match only: their
        # share right is a figure of the bench, not a promise.
        right += ok or item.difficulty in UNFORESEEN
        street_code = r.code is not None and len(r.code) > 12
        if street_code and (item.truth_code is None or r.code not in path(item.truth_code)):
            false += 1
    assert len({i.difficulty for i in items}) >= 15
    assert right / len(items) >= 0.98
    assert false / len(items) <= 0.005
    assert set(NEGATIVE) <= {i.difficulty for i in items}


def test_a_road_typed_without_its_suffix_that_begins_like_an_area(geocoder, sample_rows):
    # 沙河西5号 is 沙河西路 5号 missing 路, not 沙河市 in Hebei; after 南山区 not 沙河街道.
    door = next(r for r in sample_rows if r["level"] == "door" and r["road"] == "沙河西路")
    for typed in (f"沙河西{door['door_no']}", f"南山区沙河西{door['door_no']}"):
        r = geocoder.geocode(typed)
        assert (r.status, r.code) == ("matched", door["code"]), (typed, r.reason)
        assert "沙河西路" in r.reason
    # Typed in full, the area stands: 沙河市 is the Hebei county, and nothing is matched there.
    r = geocoder.geocode(f"河北省沙河市西{door['door_no']}")
    assert (r.status, r.code) == ("partial", "130582000000")


def test_a_compound_named_with_another_door_number_is_not_matched_on_its_name_alone(
        geocoder, sample_rows):
    by_code = {r["code"]: r for r in sample_rows}
    counts = {}
    for r in sample_rows:
        if r["level"] == "door" and r.get("compound"):
            counts[r["compound"]] = counts.get(r["compound"], 0) + 1
    room = next(r for r in sample_rows if r["level"] == "room" and r.get("compound")
                and counts[r["compound"]] == 1)
    door = by_code[by_code[room["parent_code"]]["parent_code"]]
    while door["level"] != "door":
        door = by_code[door["parent_code"]]
    wrong = f"{int(door['door_no'][:-1]) + 50}号"
    tail = f"{room['compound']}{room['building']}{room.get('unit') or ''}{room['room']}"
    # The compound's door is another number and no typed road stands behind the name.
    for typed in (f"南山区无名路{wrong}{tail}", f"南山区{wrong}{tail}"):
        r = geocoder.geocode(typed)
        assert r.status != "matched", (typed, r.reason)
        assert room["code"] in {c.code for c in r.candidates}, (typed, r.reason)
    # Another road of the base with a door it lacks: road and door both contradict the name.
    other = next(r["road"] for r in sample_rows if r["level"] == "road"
                 and r["road"] != room["road"] and r["township_code"] == room["township_code"])
    r = geocoder.geocode(f"{other}{wrong}{tail}")
    assert r.status != "matched", r.reason
    # The typed road confirms the compound: a different door number is then only noted.
    r = geocoder.geocode(f"{room['road']}{wrong}{tail}")
    assert (r.status, r.code) == ("matched", room["code"]) and "differs" in r.reason


def test_a_road_with_its_last_word_left_out_is_completed_only_when_one_road_fits(geocoder,
                                                                                  sample_rows):
    roads = {r["road"] for r in sample_rows if r["level"] == "road"}
    door = next(r for r in sample_rows if r["level"] == "door" and r["road"].endswith("路")
                and sum(n.startswith(r["road"][:-1]) and len(n) - len(r["road"]) < 2
                        for n in roads) == 1)
    r = geocoder.geocode(f"{door['road'][:-1]}{door['door_no']}")
    assert (r.status, r.code) == ("matched", door["code"]) and "last word left out" in r.reason


def test_the_sample_writes_doors_lanes_and_villages_as_real_bases_do(geocoder, sample_rows):
    doors = {r["door_no"] for r in sample_rows if r["level"] == "door"}
    assert {"甲5号", "1号之一", "3号附1", "1-1号", "1组"} <= doors
    assert any(d.endswith("弄") for d in doors)
    items = [i for i in messy_addresses(sample_rows, per_class=20, seed=5)
             if i.difficulty in REAL_FORMS]
    assert {i.difficulty for i in items} == set(REAL_FORMS)
    for item in items:
        r = geocoder.geocode(item.text)
        assert (r.status, r.code) == ("matched", item.truth_code), (item.text, r.reason)
