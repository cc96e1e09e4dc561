import csv

import pytest
from sqlalchemy import func, select

from addressing.base_import import import_address_base
from addressing.base_reader import build_index
from addressing.match import Geocoder
from tests.stores import STORES
from twin.models import Address

HEADER = ["county_code", "township", "community", "road", "door_no", "compound", "building",
          "unit", "floor", "room", "lon", "lat", "address_code", "aliases"]
GOOD = [
    ["440305", "粤海街道", "", "科苑路", "15号", "科兴科学园", "A座", "", "12层", "1201室",
     "113.9432", "22.5431", "", ""],
    ["440305", "粤海街道", "", "科苑路", "15号", "科兴科学园", "A座", "", "12层", "1202室",
     "113.9434", "22.5431", "", ""],
    ["440305000000", "440305007", "", "深南大道", "9988号", "", "1栋", "1单元", "5层", "501室",
     "113.95", "22.54", "KEEP-ME-1", ""],
    ["440305", "粤海街道", "", "深南大道", "9988号", "", "1栋", "2单元", "5层", "501室",
     "113.9502", "22.54", "", ""],
    ["440305", "桃源街道", "", "", "", "桃源村", "3栋", "1单元", "", "",
     "113.96", "22.56", "", "桃源村三栋"],
    ["440305", "粤海街道", "", "科苑路", "", "", "", "", "", "", "113.94", "22.54", "", "科苑南路"],
]
BAD = [
    ["440305", "不存在街道", "", "科苑路", "1号", "", "", "", "", "", "113.9", "22.5", "", ""],
    ["123", "粤海街道", "", "科苑路", "1号", "", "", "", "", "", "113.9", "22.5", "", ""],
    ["440305", "粤海街道", "", "", "7号", "", "", "", "", "101室", "113.9", "22.5", "", ""],
    ["440305", "粤海街道", "", "科苑路", "20号", "", "", "", "", "", "abc", "22.5", "", ""],
    ["440305", "粤海街道", "", "", "", "", "", "", "", "", "113.9", "22.5", "", ""],
    ["440305", "粤海街道", "", "科苑路", "21号", "", "", "", "", "", "113.9", "22.5",
     "KEEP-ME-1", ""],
]


def write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


@pytest.mark.parametrize("store_kind", STORES)
def test_import_builds_the_tree_keeps_codes_and_reports_rows(empty_engine, tmp_path, store_kind):
    path = write(tmp_path / "base.csv", GOOD + BAD)
    report = import_address_base(empty_engine, path)
    assert report.read == len(GOOD) + len(BAD)
    bad = {(p.row, p.field) for p in report.problems}
    first_bad = len(GOOD) + 2
    assert bad == {(first_bad, "township"), (first_bad + 1, "county_code"),
                   (first_bad + 2, "road"), (first_bad + 3, "lon/lat"),
                   (first_bad + 4, "road"), (first_bad + 5, "address_code")}
    assert all(p.reason for p in report.problems)
    with empty_engine.connect() as conn:
        t = Address.__table__
        levels = dict(conn.execute(select(t.c.level, func.count()).group_by(t.c.level)).all())
        kept = conn.execute(select(t.c.full_text, t.c.parent_code).where(
            t.c.code == "KEEP-ME-1")).one()
    # 2 roads + 1 compound; 2 doors; 3 buildings; 3 units; 3 floors; 4 rooms
    assert levels == {"road": 2, "compound": 1, "door": 2, "building": 3, "unit": 3,
                      "floor": 3, "room": 4}
    assert kept.full_text == "广东省深圳市南山区粤海街道深南大道9988号1栋1单元501室"
    assert report.created == sum(levels.values())
    assert report.issued_codes == report.created - 1


def test_already_there_counts_what_the_file_names_not_the_store(empty_engine_spatialite,
                                                                tmp_path):
    import_address_base(empty_engine_spatialite, write(tmp_path / "base.csv", GOOD))
    refused = import_address_base(empty_engine_spatialite, write(tmp_path / "bad.csv", BAD[:2]))
    assert (refused.created, refused.existing, len(refused.problems)) == (0, 0, 2)
    assert "0 already there" in refused.summary()
    # one room under a stored floor: road, door, building, floor are there; the room is new
    room = [GOOD[0][:9] + ["1203室"] + GOOD[0][10:]]
    more = import_address_base(empty_engine_spatialite, write(tmp_path / "more.csv", room))
    assert (more.created, more.existing) == (1, 4)


@pytest.mark.parametrize("store_kind", STORES)
def test_import_again_changes_nothing_and_geocodes(empty_engine, tmp_path, store_kind):
    path = write(tmp_path / "base.csv", GOOD)
    first = import_address_base(empty_engine, path)
    again = import_address_base(empty_engine, path)
    assert again.created == 0 and again.existing == first.created and not again.problems
    geocoder = Geocoder(build_index(empty_engine))
    r = geocoder.geocode("深圳市南山区科苑路15号科兴科学园A座1201")
    assert r.status == "matched" and r.level == "room"
    assert r.lon == pytest.approx(113.9432)
    r = geocoder.geocode("深南大道9988号1栋1单元501")
    assert (r.status, r.code) == ("matched", "KEEP-ME-1")
    r = geocoder.geocode("深南大道9988号1栋501室")  # two units have a 501
    assert r.status == "tie" and len(r.candidates) == 2
    r = geocoder.geocode("南山区桃源村3栋1单元")
    assert r.status == "matched" and r.level == "unit"
    r = geocoder.geocode("科苑南路")  # a road alias given in the file
    assert r.status == "matched" and r.level == "road"
    # a node without its own row sits at the mean of the rows below it
    r = geocoder.geocode("科苑路15号科兴科学园A座")
    assert r.lon == pytest.approx(113.9433)


def test_excel_input(empty_engine_spatialite, tmp_path):
    import pandas as pd

    path = tmp_path / "base.xlsx"
    pd.DataFrame(GOOD, columns=HEADER).to_excel(path, index=False)
    report = import_address_base(empty_engine_spatialite, path)
    assert not report.problems and report.created == 18


@pytest.fixture
def empty_engine_spatialite(tmp_path):
    from tests.stores import ready_store

    with ready_store("spatialite", tmp_path) as engine:
        yield engine


def test_road_and_compound_that_disagree_give_a_tie(empty_engine_spatialite, tmp_path):
    rows = GOOD + [["440305", "粤海街道", "", "深南大道", "9988号", "", "A座", "", "12层",
                    "1201室", "113.951", "22.541", "", ""]]
    import_address_base(empty_engine_spatialite, write(tmp_path / "b.csv", rows))
    geocoder = Geocoder(build_index(empty_engine_spatialite))
    # 深南大道9988号 has an A座1201 and so has 科兴科学园 (at 科苑路15号): two real places.
    r = geocoder.geocode("深南大道9988号科兴科学园A座1201")
    assert r.status == "tie" and len(r.candidates) == 2
    assert "科兴科学园 is not on 深南大道" in r.reason
    # Only the compound's side has an A座1202, but both the road and the door number typed
    # say otherwise: the room is offered as a candidate, not matched, and the doubt is said.
    r = geocoder.geocode("深南大道9988号科兴科学园A座1202")
    assert r.status == "unmatched" and r.code is None
    assert ["科苑路15号" in c.full_text for c in r.candidates] == [True]
    assert "科兴科学园 is not on 深南大道" in r.reason and "differs" in r.reason


def test_geopackage_input_takes_points_from_geometry(empty_engine_spatialite, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    columns = [c for c in HEADER if c not in ("lon", "lat")]
    records = [{c: v for c, v in zip(HEADER, row, strict=True) if c in columns} for row in GOOD]
    points = [Point(float(row[10]), float(row[11])) for row in GOOD]
    frame = gpd.GeoDataFrame(records, geometry=points, crs="EPSG:4490")
    path = tmp_path / "base.gpkg"
    frame.to_file(path, driver="GPKG")
    report = import_address_base(empty_engine_spatialite, path)
    assert not report.problems and report.created == 18
    r = Geocoder(build_index(empty_engine_spatialite)).geocode("科兴科学园A座1202")
    assert r.status == "matched" and r.lon == pytest.approx(113.9434)


def test_same_road_in_two_townships_is_decided_by_context(empty_engine_spatialite, tmp_path):
    rows = [
        ["440305", "粤海街道", "", "学府路", "1号", "", "", "", "", "", "113.94", "22.53", "", ""],
        ["440305", "桃源街道", "", "学府路", "1号", "", "", "", "", "", "113.97", "22.57", "", ""],
        ["440305", "桃源街道", "", "学府路", "3号", "", "", "", "", "", "113.97", "22.57", "", ""],
    ]
    import_address_base(empty_engine_spatialite, write(tmp_path / "b.csv", rows))
    geocoder = Geocoder(build_index(empty_engine_spatialite))
    r = geocoder.geocode("南山区学府路1号")
    assert r.status == "tie" and len(r.candidates) == 2
    r = geocoder.geocode("桃源街道学府路1号")
    assert r.status == "matched" and "桃源街道" in r.full_text
    r = geocoder.geocode("学府路3号")  # only one 学府路 has a 3号: inferred, being unique
    assert r.status == "matched" and "桃源街道" in r.full_text


@pytest.mark.parametrize("store_kind", STORES)
def test_import_writes_roads_and_registers_every_code(empty_engine, tmp_path, store_kind):
    from twin.codes.registry import REGISTRY
    from twin.models import Road

    path = write(tmp_path / "base.csv", GOOD)
    first = import_address_base(empty_engine, path)
    assert first.roads_created == 2
    roads, t = Road.__table__, Address.__table__
    with empty_engine.connect() as conn:
        stored = {r.name: r for r in conn.execute(select(roads))}
        codes = set(conn.execute(select(t.c.code)).scalars())
        records = conn.execute(select(REGISTRY)).all()
    assert set(stored) == {"科苑路", "深南大道"}
    assert stored["科苑路"].aliases == ["科苑南路"]
    assert stored["科苑路"].township_code == "440305007000"
    assert stored["科苑路"].code.startswith("440305007R")
    address_records = {r.code: r for r in records if r.scheme == "address"}
    assert set(address_records) == codes
    assert all(r.status == "active" for r in records)
    assert all(r.object_type == "address" for r in address_records.values())
    assert {r.code for r in records if r.scheme == "road"} == {r.code for r in stored.values()}
    again = import_address_base(empty_engine, path)
    assert again.created == 0 and again.roads_created == 0
    with empty_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(REGISTRY)).scalar() == len(records)
        assert conn.execute(select(func.count()).select_from(roads)).scalar() == 2


@pytest.mark.parametrize("store_kind", STORES)
def test_given_codes_that_clash_are_refused_and_the_row_writes_nothing(
        empty_engine, tmp_path, store_kind):
    from twin.codes.registry import REGISTRY

    import_address_base(empty_engine, write(tmp_path / "base.csv", GOOD))
    with empty_engine.begin() as conn:
        conn.execute(REGISTRY.insert().values(
            code="OLD-RETIRED-1", scheme="address", object_type="address", object_id="x",
            status="retired", reason="retire", predecessors=[], successors=[]))
        held = conn.execute(select(Address.__table__.c.code).where(
            Address.__table__.c.full_text.endswith("科苑路15号科兴科学园A座1202室"))).scalar()
    assert held
    rows = [
        # this room was stored with KEEP-ME-1: a second code for it is refused
        ["440305", "粤海街道", "", "深南大道", "9988号", "", "1栋", "1单元", "5层", "501室",
         "113.95", "22.54", "OTHER-1", ""],
        # a new room under a new floor, with a code another address holds
        ["440305", "粤海街道", "", "科苑路", "15号", "科兴科学园", "A座", "", "30层", "3001室",
         "113.9432", "22.5431", held, ""],
        # a code the registry retired is never given out again
        ["440305", "粤海街道", "", "科苑路", "15号", "科兴科学园", "A座", "", "31层", "3101室",
         "113.9432", "22.5431", "OLD-RETIRED-1", ""],
        # the same room with its own code: fine
        ["440305", "粤海街道", "", "深南大道", "9988号", "", "1栋", "1单元", "5层", "501室",
         "113.95", "22.54", "KEEP-ME-1", ""],
    ]
    report = import_address_base(empty_engine, write(tmp_path / "more.csv", rows))
    problems = {p.row: p for p in report.problems}
    assert set(problems) == {2, 3, 4}
    assert all(p.field == "address_code" for p in problems.values())
    assert "already has the code KEEP-ME-1" in problems[2].reason
    assert "never reused" in problems[3].reason and "never reused" in problems[4].reason
    assert report.created == 0  # neither the 30层 nor the 31层 floor was written
    with empty_engine.connect() as conn:
        floors = conn.execute(select(Address.__table__.c.value).where(
            Address.__table__.c.level == "floor")).scalars().all()
    assert "30层" not in floors and "31层" not in floors


def test_issued_codes_skip_codes_the_registry_holds(empty_engine_spatialite, tmp_path):
    from twin.codes.registry import REGISTRY

    one = [["440305", "粤海街道", "", "科苑路", "", "", "", "", "", "", "113.94", "22.54", "",
            ""]]
    with empty_engine_spatialite.begin() as conn:
        # what the first road of 粤海街道 would be issued, retired long ago
        conn.execute(REGISTRY.insert().values(
            code="440305007000" + "0001" + "0" * 10, scheme="address", object_type="address",
            object_id="gone", status="retired", reason="retire", predecessors=[],
            successors=[]))
    import_address_base(empty_engine_spatialite, write(tmp_path / "one.csv", one))
    with empty_engine_spatialite.connect() as conn:
        code = conn.execute(select(Address.__table__.c.code)).scalar_one()
    assert code == "440305007000" + "0002" + "0" * 10


def test_the_import_issues_through_the_registry_counters(empty_engine_spatialite, tmp_path):
    from twin.codes.registry import CodeRequest, issue_many

    engine = empty_engine_spatialite
    area = "440305007000"
    one = [["440305", "粤海街道", "", "科苑路", "1号", "", "", "", "", "", "113.94", "22.54",
            "", ""]]
    import_address_base(engine, write(tmp_path / "one.csv", one))
    with engine.begin() as conn:
        codes = dict(conn.execute(select(Address.__table__.c.level,
                                         Address.__table__.c.code)).all())
        # a road issued by the registry elsewhere takes the next number of the same counter
        other = issue_many(conn, [CodeRequest("address", "elsewhere", {
            "admin": area, "door": 0, "room": 0})])[0]
    # roads count from 1 under the township, doors from 1 under the road (0 is the road)
    assert codes == {"road": area + "0001" + "0" * 10, "door": area + "0001" + "0001" + "0" * 6}
    assert other.code == area + "0002" + "0" * 10
    two = [["440305", "粤海街道", "", "学府路", "", "", "", "", "", "", "113.94", "22.54", "", ""]]
    import_address_base(engine, write(tmp_path / "two.csv", two))
    with engine.connect() as conn:
        road = conn.execute(select(Address.__table__.c.code).where(
            Address.__table__.c.road == "学府路")).scalar_one()
    assert road == area + "0003" + "0" * 10


def test_old_county_codes_and_moved_townships_import_where_they_are_today(
        empty_engine_spatialite, tmp_path):
    # Bases keep the codes and names of their day (older NBS tables, division_changes.tsv).
    rows = [
        # 330185 was 临安市 until 2017: one county now (临安区 330112).
        ["330185", "锦城街道", "", "钱王街", "8号", "", "", "", "", "", "119.7", "30.2", "", ""],
        # 330104 was 江干区, split in 2021: the township says which part.
        ["330104", "下沙街道", "", "学源街", "18号", "", "", "", "", "", "120.3", "30.3", "", ""],
        ["330104", "凯旋街道", "", "凤起东路", "2号", "", "", "", "", "", "120.2", "30.3", "", ""],
        # 乔司 was 余杭区's until 2021, now 临平区's; typed under its old kind too.
        ["330110", "乔司镇", "", "乔莫西路", "5号", "", "", "", "", "", "120.3", "30.4", "", ""],
        ["330104", "", "", "天城路", "9号", "", "", "", "", "", "120.2", "30.3", "", ""],
        # 龙港镇 of 苍南县 became the county-level city 龙港市 in 2019.
        ["330327", "龙港镇", "", "世纪大道", "6号", "", "", "", "", "", "120.6", "27.6", "", ""],
    ]
    report = import_address_base(empty_engine_spatialite, write(tmp_path / "b.csv", rows))
    assert [(p.row, p.field) for p in report.problems] == [(6, "county_code")]
    assert "上城区 (330102)" in report.problems[0].reason
    assert "钱塘区 (330114)" in report.problems[0].reason
    with empty_engine_spatialite.connect() as conn:
        t = Address.__table__
        stored = {road: (county[:6], township) for road, county, township in conn.execute(
            select(t.c.road, t.c.county_code, t.c.township_code).where(t.c.level == "road"))}
    assert stored == {"钱王街": ("330112", "330112006000"), "学源街": ("330114", "330114001000"),
                      "凤起东路": ("330102", "330102011000"),
                      "乔莫西路": ("330113", "330113005000"), "世纪大道": ("330383", None)}
    geocoder = Geocoder(build_index(empty_engine_spatialite))
    r = geocoder.geocode("杭州市江干区下沙街道学源街18号")
    assert r.status == "matched" and "钱塘区" in r.full_text


@pytest.mark.parametrize("store_kind", STORES)
def test_a_compound_on_a_road_with_nothing_below_is_kept(empty_engine, tmp_path, store_kind):
    # a works on its road with no door number; the same name alone on another row; a road
    # only the compound's row names
    rows = [["440305", "粤海街道", "", "丰足路", "", "九阳袜业", "", "", "", "", "113.95",
             "22.53", "", ""],
            ["440305", "", "", "", "", "九阳袜业", "", "", "", "", "", "", "", ""],
            ["440305", "粤海街道", "", "科苑路", "8号", "", "", "", "", "", "", "", "", ""],
            ["440305", "粤海街道", "", "丰足路", "3号", "", "", "", "", "", "", "", "", ""]]
    path = write(tmp_path / "base.csv", rows)
    first = import_address_base(empty_engine, path)
    assert not first.problems and first.created == 5  # 2 roads, 1 compound, 2 doors
    with empty_engine.connect() as conn:
        t = Address.__table__
        compound = conn.execute(select(t.c.full_text, t.c.road, t.c.parent_code).where(
            t.c.level == "compound")).one()
    assert compound == ("广东省深圳市南山区粤海街道丰足路九阳袜业", "丰足路", None)
    assert import_address_base(empty_engine, path).created == 0
    geocoder = Geocoder(build_index(empty_engine))
    r = geocoder.geocode("南山区丰足路九阳袜业")
    assert (r.status, r.level, r.full_text) == ("matched", "compound", compound.full_text)
    assert "files 九阳袜业 on 丰足路" in r.reason
    assert (geocoder.geocode("南山区九阳袜业").level, geocoder.geocode("南山区丰足路").level) == (
        "compound", "road")
    # a door typed that the road does not hold: the compound, partial, and why
    r = geocoder.geocode("南山区丰足路88号九阳袜业")
    assert (r.status, r.level) == ("partial", "compound")
    assert "door 88号 not checked: the base files 九阳袜业 on 丰足路 with no door" in r.reason
    # typed on another road, the compound is not silently taken
    r = geocoder.geocode("南山区科苑路九阳袜业")
    assert r.status != "matched"
    # a door typed that the road holds is another place than the compound filed on it
    r = geocoder.geocode("南山区丰足路3号九阳袜业")
    assert r.status != "matched" or r.level != "compound", r.reason


def test_bare_numbers_are_kept_apart_in_the_full_text(empty_engine_spatialite, tmp_path):
    row = ["440305", "", "", "", "", "缤纷北苑", "47", "6", "", "746", "113.9", "22.5", "", ""]
    import_address_base(empty_engine_spatialite, write(tmp_path / "bare.csv", [row]))
    t = Address.__table__
    with empty_engine_spatialite.connect() as conn:
        texts = dict(conn.execute(select(t.c.level, t.c.full_text)).all())
    assert texts["room"] == "广东省深圳市南山区缤纷北苑47-6-746"  # not 缤纷北苑476746
    assert texts["unit"] == "广东省深圳市南山区缤纷北苑47-6"
    # and the text written so is read back as the same room
    r = Geocoder(build_index(empty_engine_spatialite)).geocode(texts["room"])
    assert (r.status, r.level) == ("matched", "room"), r.reason


def test_a_full_text_names_no_placeholder_level(empty_engine_spatialite, tmp_path):
    # 潜江市's parent in the NBS table is 省直辖县级行政区划, which is no area
    row = ["429005", "", "", "园林路", "8号", "", "", "", "", "", "112.9", "30.4", "", ""]
    import_address_base(empty_engine_spatialite, write(tmp_path / "direct.csv", [row]))
    t = Address.__table__
    with empty_engine_spatialite.connect() as conn:
        texts = set(conn.execute(select(t.c.full_text)).scalars())
    assert texts == {"湖北省潜江市园林路", "湖北省潜江市园林路8号"}
    r = Geocoder(build_index(empty_engine_spatialite)).geocode("湖北省潜江市")
    assert r.full_text == "湖北省潜江市", r.full_text


@pytest.mark.parametrize("store_kind", STORES)
def test_two_compounds_on_a_road_with_no_door_keep_their_own_floors(empty_engine, tmp_path,
                                                                       store_kind):
    # Each compound's 4楼 straight under the road (no door, no building): two places, not
    # one with the second row's compound lost; the same file again changes nothing.
    rows = [["440305", "粤海街道", "", "桥东路", "", name, "", "", "4楼", "", "", "", "", ""]
            for name in ("桥东大厦", "金桥大厦")]
    path = write(tmp_path / "base.csv", rows)
    first = import_address_base(empty_engine, path)
    assert not first.problems and first.created == 3  # the road, two floors
    t = Address.__table__
    with empty_engine.connect() as conn:
        floors = conn.execute(select(t.c.full_text).where(t.c.level == "floor")
                              .order_by(t.c.full_text)).scalars().all()
    assert floors == ["广东省深圳市南山区粤海街道桥东路桥东大厦4楼",
                      "广东省深圳市南山区粤海街道桥东路金桥大厦4楼"]
    again = import_address_base(empty_engine, path)
    assert (again.created, again.existing) == (0, 3)
