"""The deterministic sample city on 深圳市南山区: every layer, road by road.

`generate(size, seed)` yields one `Chunk` per road (the road and every door, building,
room, person, organization and component along it, parents before children), so the
`city` size (about 1M buildings and 10M room addresses) streams through bounded memory.
The same size and seed always give the same rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import LineString, Point

from sample_data import layout, names
from twin.codes import beidou
from twin.codes.check import mod11_2, uscc_check
from twin.divisions import Division, load_divisions
from twin.people import hash_id_number, mask_id_number
from twin.placement import DEFAULT_BEIDOU_LEVEL, house_code_3d

Row = dict[str, Any]
PROVINCE, CITY = "广东省", "深圳市"
COUNTY_NAME = "南山区"


@dataclass(frozen=True)
class SizeSpec:
    """How big the sample city is."""

    roads_per_township: int
    doors_per_road: int
    buildings_per_door: tuple[int, int]
    units: tuple[int, int]
    floors: tuple[int, int]
    rooms_per_floor: int
    compound_share: float
    people_per_room: tuple[float, ...]  # weights of 0, 1, 2, 3 residents in a dwelling
    orgs_per_office: tuple[int, int]
    components_per_road: int
    max_plot_m: float


SIZES = {
    # ~320 buildings, ~5k rooms, ~9k addresses: seconds to build, used by the tests.
    "small": SizeSpec(3, 6, (1, 3), (1, 2), (3, 8), 2, 0.7, (0.3, 0.4, 0.2, 0.1), (1, 3), 4, 160),
    # ~1.0M buildings, ~10M rooms: for benchmarks.
    "city": SizeSpec(74, 60, (10, 40), (1, 1), (3, 7), 2, 0.9, (0.9, 0.1), (0, 1), 4, 200),
}
# 号: a lane's or a village's door, numbered at the building level (416弄173号, 6组12号).
BUILDING_USES = {"栋": ("住宅", "住宅", "住宅", "商住"), "座": ("办公", "商业", "办公"),
                 "号": ("住宅",)}
COMPONENT_TYPES = [
    ("0101", "上水井盖"),
    ("0103", "污水井盖"),
    ("0109", "消防栓"),
    ("0213", "路灯"),
    ("0310", "垃圾箱"),
]


@dataclass
class Chunk:
    """Rows along one road of a township, per layer, in an order that satisfies foreign keys."""

    township: str
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))

    def add(self, layer: str, row: Row) -> None:
        """Append a row to a layer."""
        self.rows[layer].append(row)


def short_name(division: Division) -> str:
    """A community's everyday name: 南头城社区居委会 → 南头城社区."""
    for suffix in ("居委会", "村委会", "居民委员会", "村民委员会"):
        if division.name.endswith(suffix):
            return division.name[: -len(suffix)]
    return division.name


def townships() -> list[Division]:
    """The real townships of 南山区, by code."""
    return sorted(load_divisions().children(layout.COUNTY_CODE), key=lambda d: d.code)


def admin_geometries() -> tuple[dict[str, Any], list[Row]]:
    """Boundaries of the county, its townships and communities, and the grids under them."""
    geoms: dict[str, Any] = {layout.COUNTY_CODE: layout.polygon(layout.CITY_BOX)}
    grids: list[Row] = []
    table = load_divisions()
    for town in townships():
        tbox = layout.township_box(town.code[:9])
        geoms[town.code] = layout.polygon(tbox)
        communities = sorted(table.children(town.code), key=lambda d: d.code)
        for community, cbox in zip(communities, layout.split(tbox, len(communities)), strict=True):
            geoms[community.code] = layout.polygon(cbox)
            for k, gbox in enumerate(layout.split(cbox, 4), start=1):
                grids.append(
                    {
                        "code": f"{community.code}{k:02d}",
                        "name": f"{short_name(community)}第{k}网格",
                        "community_code": community.code,
                        "geom": layout.polygon(gbox),
                    }
                )
    return geoms, grids


class TownshipBuilder:
    """Builds one township's roads, addresses, buildings, houses, people, units and components."""

    def __init__(
        self, town: Division, spec: SizeSpec, seed: int, road_names: list[str], secret: bytes
    ):
        self.town, self.spec, self.secret = town, spec, secret
        self.rng = random.Random(f"{seed}:{town.code}")
        self.chunk = Chunk(town.code)
        self.road_names = road_names
        self.tbox = layout.township_box(town.code[:9])
        communities = sorted(load_divisions().children(town.code), key=lambda d: d.code)
        self.communities = communities
        self.community_boxes = layout.split(self.tbox, len(communities))
        self.grid_boxes = {
            c.code: layout.split(b, 4)
            for c, b in zip(communities, self.community_boxes, strict=True)
        }
        self.building_seq: dict[int, int] = defaultdict(int)
        self.door_seq: dict[tuple[str, int], int] = defaultdict(int)
        self.compounds_used: set[str] = set()
        self.person_seq = 0
        self.born_on: dict[str, int] = defaultdict(int)
        self.fake_county = f"{names.FAKE_COUNTY_PREFIX}{townships().index(town) + 1:02d}"
        self.org_seq = 0
        self.component_seq = 0
        self.town_prefix = f"{PROVINCE}{CITY}{COUNTY_NAME}{town.name}"

    # -- helpers ---------------------------------------------------------------------------
    def _community_at(self, x: float, y: float) -> Division:
        return self.communities[layout.cell_of(self.community_boxes, x, y)]

    def _grid_at(self, community: Division, x: float, y: float) -> str:
        return f"{community.code}{layout.cell_of(self.grid_boxes[community.code], x, y) + 1:02d}"

    def _address(self, **row: Any) -> Row:
        row.setdefault("aliases", [])
        row.setdefault("status", "active")
        row.setdefault("county_code", layout.COUNTY_CODE)
        row.setdefault("township_code", self.town.code)
        row.setdefault("grid_code", None)  # a road crosses grids (and communities)
        self.chunk.add("addresses", row)
        return row

    def _compound_name(self) -> tuple[str, str]:
        pool = [c for c in names.REAL_COMPOUNDS if c[0] not in self.compounds_used]
        if pool and self.rng.random() < 0.5:
            name, label = self.rng.choice(pool)
        else:
            kind, label = self.rng.choice(names.COMPOUND_KINDS)
            name = self.rng.choice(names.COMPOUND_STEMS) + kind
            n = 2
            while name in self.compounds_used:
                name = f"{self.rng.choice(names.COMPOUND_STEMS)}{kind}{n}期"
                n += 1
        self.compounds_used.add(name)
        return name, label

    # -- the township ----------------------------------------------------------------------
    def build(self) -> Iterator[Chunk]:
        """The township, one chunk per road (the road and everything along it)."""
        spec = self.spec
        for r, road_name in enumerate(self.road_names, start=1):
            self.chunk = Chunk(self.town.code)
            y, (x0, x1) = layout.road_line(self.tbox, r - 1, spec.roads_per_township)
            road_code = f"{self.town.code}{r:04d}{0:04d}{0:06d}"
            line = LineString([(x0, y), (x1, y)])
            self.chunk.add(
                "roads",
                {
                    "code": f"{self.town.code[:9]}R{r:04d}",
                    "name": road_name,
                    "aliases": names.road_aliases(road_name),
                    "county_code": layout.COUNTY_CODE,
                    "township_code": self.town.code,
                    "geom": line,
                },
            )
            self._address(
                code=road_code,
                parent_code=None,
                level="road",
                value=road_name,
                full_text=f"{self.town_prefix}{road_name}",
                community_code=None,
                road=road_name,
                aliases=names.road_aliases(road_name),
                geom=line.interpolate(0.5, normalized=True),
            )
            self._components(road_name, line)
            for door_no, parcel in enumerate(
                layout.parcels(
                    self.tbox, y, spec.roads_per_township, spec.doors_per_road, spec.max_plot_m
                ),
                start=1,
            ):
                self._door(r, road_code, road_name, door_no * 2 - 1, parcel)
            if r == 1:
                first_road = (road_code, road_name, y)
            if r == len(self.road_names):
                # After every other draw of the township, so that none of those moves.
                self._real_forms(*first_road)
            _beidou_codes(self.chunk.rows.get("buildings", []))
            yield self.chunk

    def _real_forms(self, road_code: str, road_name: str, road_y: float) -> None:
        """Doors, a lane and a village written as real bases write them (issue 16).

        On the township's first road: three of the doors with a sub-number, a sub-door, a
        word before the number or a range (1-1号, 1号之一, 3号附1, 甲5号, 乙5号, 附7号,
        12-14号: each township takes the next three), and a lane with a door of its own
        (16弄 1号); then a village (held as `base_import` holds
        one: the village at the road level, its groups and natural village at the door
        level, their doors at the building level), with a door of its own (8号 1栋). Each
        door has a building or two of two floors; the plots lie in the band south of the
        first road, where no other plot is.
        """
        spec = self.spec
        x0, y0, x1, _ = self.tbox
        last = spec.doors_per_road * 2 - 1
        forms = ["1-1号", "1号之一", "3号附1", "甲5号", "乙5号", "附7号",
                 f"{last + 1}-{last + 3}号"]
        t = townships().index(self.town)
        doors = [forms[(3 * t + k) % len(forms)] for k in range(3)]  # all seven in the city
        village_no = len(self.road_names) + 1
        village = names.VILLAGES[t % len(names.VILLAGES)]
        natural = names.NATURAL_VILLAGES[t % len(names.NATURAL_VILLAGES)]
        # (road number, road code, road name, door, building labels and their kind)
        plan: list[tuple[int, str, str, str, list[str], str]] = [
            # A栋, not 1栋: 1号之一1栋 would read as 1号之11 栋 (as it would typed).
            *((1, road_code, road_name, d, ["A栋"], "栋") for d in doors),
            (1, road_code, road_name, f"{last + 5}弄", [f"{t + 1}号"], "号"),
        ]
        village_code = f"{self.town.code}{village_no:04d}{0:04d}{0:06d}"
        plan += [(village_no, village_code, village, "1组", ["1号", "2号"], "号"),
                 (village_no, village_code, village, "2组", ["1号"], "号"),
                 (village_no, village_code, village, "8号", ["1栋"], "栋"),
                 (village_no, village_code, village, natural, ["1号"], "号")]
        # Not centred on the township: a plot's centre never falls on the line between two
        # communities or grids (where a building would belong to both).
        band = (x0 + 20 * layout.M_LON, y0 + 2 * layout.M_LAT, x1 - 33 * layout.M_LON,
                road_y - 12 * layout.M_LAT)
        plots = iter(layout.strip(band, sum(len(p[4]) for p in plan)))
        centre = layout.strip(band, 1)[0]
        self._address(code=village_code, parent_code=None, level="road", value=village,
                      full_text=f"{self.town_prefix}{village}", community_code=None,
                      road=village, geom=Point((centre[0] + centre[2]) / 2, centre[1]))
        for road_no, parent, road, door_no, labels, kind in plan:
            mine = [next(plots) for _ in labels]
            x, y = (mine[0][0] + mine[-1][2]) / 2, road_y - 6 * layout.M_LAT
            community = self._community_at(x, y)
            self.door_seq[(community.code, road_no)] += 1
            door_code = (f"{community.code}{road_no:04d}"
                         f"{self.door_seq[(community.code, road_no)]:04d}{0:06d}")
            self._address(code=door_code, parent_code=parent, level="door", value=door_no,
                          full_text=f"{self.town_prefix}{short_name(community)}{road}{door_no}",
                          community_code=community.code, grid_code=self._grid_at(community, x, y),
                          road=road, door_no=door_no, compound=None, geom=Point(x, y))
            for label, plot in zip(labels, mine, strict=True):
                fp = layout.footprints(plot, 1, [self.rng.random() for _ in range(7)])[0]
                home = self._community_at((fp[0] + fp[2]) / 2, (fp[1] + fp[3]) / 2)
                self.door_seq[(home.code, road_no)] += 1
                self._building(
                    home, door_code,
                    f"{home.code}{road_no:04d}{self.door_seq[(home.code, road_no)]:04d}",
                    f"{self.town_prefix}{short_name(home)}{road}{door_no}",
                    {"road": road, "door_no": door_no, "compound": None}, label, kind, fp,
                    floors=2)

    def _components(self, road_name: str, line: LineString) -> None:
        for k in range(self.spec.components_per_road):
            cls, label = self.rng.choice(COMPONENT_TYPES)
            pt = line.interpolate((k + 0.5) / self.spec.components_per_road, normalized=True)
            community = self._community_at(pt.x, pt.y)
            self.component_seq += 1
            # The component scheme's layout (CJ/T 214: county, class, subclass, 6-digit
            # sequence), the sequence led by the township so townships never collide.
            assert self.component_seq < 1000, "more components than a township's sequence"
            self.chunk.add(
                "city_objects",
                {
                    "code": f"{layout.COUNTY_CODE[:6]}{cls}{self.town.code[6:9]}"
                    f"{self.component_seq:03d}",
                    "object_type": label,
                    "name": f"{road_name}{label}{k + 1}",
                    "attributes": {"class": cls[:2], "subclass": cls[2:], "road": road_name},
                    "township_code": self.town.code,
                    "community_code": community.code,
                    "grid_code": self._grid_at(community, pt.x, pt.y),
                    "status": "active",
                    "geom": pt,
                },
            )

    def _door(
        self, road_no: int, road_code: str, road_name: str, number: int, parcel: layout.Parcel
    ) -> None:
        spec, rng = self.spec, self.rng
        x, y = parcel.door
        community = self._community_at(x, y)
        key = (community.code, road_no)
        self.door_seq[key] += 1
        door_code = f"{community.code}{road_no:04d}{self.door_seq[key]:04d}{0:06d}"
        door_no = f"{number}号"
        compound, label = (None, "栋")
        if rng.random() < spec.compound_share:
            compound, label = self._compound_name()
        prefix = f"{self.town_prefix}{short_name(community)}{road_name}{door_no}"
        self._address(
            code=door_code,
            parent_code=road_code,
            level="door",
            value=door_no,
            full_text=prefix + (compound or ""),
            community_code=community.code,
            grid_code=self._grid_at(community, x, y),
            road=road_name,
            door_no=door_no,
            compound=compound,
            aliases=[compound] if compound else [],
            geom=Point(x, y),
        )
        count = rng.randint(*spec.buildings_per_door)
        jitter = [rng.random() for _ in range(7)]
        after_door = f"{road_name}{door_no}{compound or ''}"
        for b, fp in enumerate(layout.footprints(parcel.plot, count, jitter), start=1):
            # A plot can reach into the next community: a building belongs where it stands.
            home = self._community_at((fp[0] + fp[2]) / 2, (fp[1] + fp[3]) / 2)
            home_key = (home.code, road_no)
            self.door_seq[home_key] += 1
            building_label = _building_label(number, b, label, compound)
            self._building(
                home,
                door_code,
                f"{home.code}{road_no:04d}{self.door_seq[home_key]:04d}",
                f"{self.town_prefix}{short_name(home)}{after_door}",
                {"road": road_name, "door_no": door_no, "compound": compound},
                building_label,
                label,
                fp,
            )

    def _building(
        self,
        community: Division,
        door_code: str,
        code20: str,
        prefix: str,
        path: dict[str, Any],
        label: str,
        kind: str,
        fp: layout.Box,
        floors: int | None = None,
    ) -> None:
        spec, rng = self.spec, self.rng
        footprint = layout.polygon(fp)
        centre = footprint.centroid
        floors = floors or rng.randint(*spec.floors)
        year = rng.randint(1985, 2022)
        use = rng.choice(BUILDING_USES[kind])
        self.building_seq[year] += 1
        base = f"{self.town.code[:9]}{year}{self.building_seq[year]:04d}"
        building_code = f"{base}00000{mod11_2(base + '00000')}"
        address_code = f"{code20}{0:06d}"
        text = prefix + label
        # Everything inside the building (its addresses, rooms, residents and offices)
        # lies where the building stands.
        place = {"township_code": self.town.code, "community_code": community.code,
                 "grid_code": self._grid_at(community, centre.x, centre.y)}
        self._address(
            code=address_code,
            parent_code=door_code,
            level="building",
            value=label,
            full_text=text,
            building=label,
            **place,
            geom=centre,
            **path,
        )
        height = round(floors * 3.0 + rng.random() * 2, 1)
        self.chunk.add(
            "buildings",
            {
                "code": building_code,
                "address_code": address_code,
                "name": (path["compound"] or path["road"] + path["door_no"]) + label,
                "floors": floors,
                "height": height,
                "use": use,
                "year_built": year,
                "status": "active",
                **place,
                "geom": footprint,
            },
        )
        units = 1 if kind in ("座", "号") else rng.randint(*spec.units)
        sub = 0
        household = 0
        for u in range(1, units + 1):
            parent, unit_text, unit = address_code, text, None
            pt = Point(centre.x + (u - (units + 1) / 2) * 4 * layout.M_LON, centre.y)
            plane = beidou.encode(pt.x, pt.y, DEFAULT_BEIDOU_LEVEL)  # lifted per floor below
            if kind == "栋":
                sub += 1
                unit = f"{u}单元"
                parent = f"{code20}{sub:06d}"
                unit_text = text + unit
                self._address(
                    code=parent,
                    parent_code=address_code,
                    level="unit",
                    value=unit,
                    full_text=unit_text,
                    building=label,
                    **place,
                    unit=unit,
                    geom=pt,
                    **path,
                )
            for f in range(1, floors + 1):
                sub += 1
                floor = f"{f}层"
                code_3d = house_code_3d(plane, floor, floors, height)
                floor_code = f"{code20}{sub:06d}"
                self._address(
                    code=floor_code,
                    parent_code=parent,
                    level="floor",
                    value=floor,
                    full_text=unit_text + floor,
                    building=label,
                    **place,
                    unit=unit,
                    floor=floor,
                    geom=pt,
                    **path,
                )
                for k in range(1, spec.rooms_per_floor + 1):
                    sub += 1
                    household += 1
                    room = f"{f}{k:02d}室"
                    room_code = f"{code20}{sub:06d}"
                    self._address(
                        code=room_code,
                        parent_code=floor_code,
                        level="room",
                        value=room,
                        full_text=unit_text + room,
                        building=label,
                        **place,
                        unit=unit,
                        floor=floor,
                        room=room,
                        geom=pt,
                        **path,
                    )
                    house_body = f"{base}{household:05d}"
                    house_code = house_body + mod11_2(house_body)
                    self.chunk.add(
                        "houses",
                        {
                            "code": house_code,
                            "building_code": building_code,
                            "address_code": room_code,
                            "unit": unit,
                            "floor": floor,
                            "room": room,
                            "area": round(rng.uniform(35, 160), 1),
                            "use": use,
                            "status": "active",
                            **place,
                            "beidou_code_3d": code_3d,
                            "geom": pt,
                        },
                    )
                    if use in ("住宅", "商住"):
                        self._residents(house_code, room_code, pt, place)
        if kind == "座":
            self._offices(address_code, centre, place)

    def _residents(self, house_code: str, room_code: str, pt: Point, place: Row) -> None:
        weights = self.spec.people_per_room
        for _ in range(self.rng.choices(range(len(weights)), weights)[0]):
            self.person_seq += 1
            rng = self.rng
            birth = f"{rng.randint(1940, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            self.born_on[birth] += 1  # sequence within county and birth date: unique numbers
            body = f"{self.fake_county}{birth}{self.born_on[birth]:03d}"
            id_number = body + mod11_2(body)
            self.chunk.add(
                "people",
                {
                    "code": f"RK{self.town.code[:9]}{self.person_seq:08d}",
                    "id_hash": hash_id_number(id_number, self.secret),
                    "id_masked": mask_id_number(id_number),
                    "name": names.person_name(rng, self.person_seq),
                    "gender": "男" if int(body[-1]) % 2 else "女",
                    "birth_year": int(birth[:4]),
                    "phone": f"12{rng.randint(0, 999_999_999):09d}",
                    "house_code": house_code,
                    "address_code": room_code,
                    "residence_type": rng.choice(["户籍", "户籍", "流动"]),
                    **place,
                    "geom": pt,
                },
            )

    def _offices(self, address_code: str, centre: Point, place: Row) -> None:
        for _ in range(self.rng.randint(*self.spec.orgs_per_office)):
            self.org_seq += 1
            body = f"91{layout.COUNTY_CODE[:6]}{self.town.code[6:9]}{self.org_seq:06d}"
            self.chunk.add(
                "organizations",
                {
                    "code": body + uscc_check(body),
                    "name": names.organization_name(
                        self.rng, self.rng.choice(names.ROAD_STEMS), self.org_seq
                    ),
                    "org_type": "企业",
                    "industry": self.rng.choice(names.ORG_WORDS),
                    "address_code": address_code,
                    "status": "active",
                    **place,
                    "geom": centre,
                },
            )


def _beidou_codes(buildings: list[Row]) -> None:
    """赋码 as 落图 does it (twin.placement): each building's BeiDou grid code (GB/T 39409)
    at the point inside its footprint, one vectorised call per road."""
    if not buildings:
        return
    points = shapely.point_on_surface([b["geom"] for b in buildings])
    codes = beidou.encode_many(shapely.get_x(points), shapely.get_y(points),
                               DEFAULT_BEIDOU_LEVEL)
    for building, code in zip(buildings, codes, strict=True):
        building["beidou_code"] = str(code)


def generate(size: str = "small", seed: int = 2023, secret: bytes = b"sample") -> Iterator[Chunk]:
    """The sample city, one road at a time, township by township (same size+seed, same city)."""
    spec = SIZES[size]
    towns = townships()
    all_roads = names.road_names(random.Random(seed), spec.roads_per_township * len(towns))
    for i, town in enumerate(towns):
        roads = all_roads[i * spec.roads_per_township : (i + 1) * spec.roads_per_township]
        yield from TownshipBuilder(town, spec, seed, roads, secret).build()


def _building_label(door_number: int, b: int, kind: str, compound: str | None) -> str:
    """How this door's base writes its b-th building, as real bases vary: 3栋, 3幢, 3号楼,
    A座, and in compounds 2期3栋 or 1组团3栋. Decided by the door number, so the sample's
    random draws (and with them every other value) stay as they were."""
    if kind == "座" and b <= 26:
        return f"{chr(64 + b)}座"
    style = door_number % 10
    if style in (5, 6):
        return f"{b}幢"
    if style == 7:
        return f"{b}号楼"
    if style == 8 and compound:
        return f"{(b - 1) // 3 + 1}期{b}栋"
    if style == 9 and compound:
        return f"{(b - 1) // 2 + 1}组团{b}栋"
    return f"{b}栋"
