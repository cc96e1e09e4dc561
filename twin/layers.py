"""The layers of the twin: every fact about a layer, in one place.

A `Layer` says what its table is called, shown, keyed and guarded by, how its columns are
classified (system, place, sensitive, hidden), which code scheme issues or checks its
codes and under which object type the registry keeps them, whether its objects are put on
the map (落图), what retiring one means, and what is issued when one is created. Import,
export, editing, the OGC collections, the code registry and the map page read these facts
here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Table

from twin import models
from twin.codes.check import uscc_check
from twin.divisions import level_of
from twin.errors import InvalidInput, NotFound

# Columns 落图 fills from a geometry, in the order they are shown.
PLACE_COLUMNS = ("township_code", "community_code", "grid_code", "beidou_code",
                 "beidou_code_3d")
# A domain check on one coerced row: (field, reason) when the row is wrong.
RowCheck = Callable[[dict[str, Any]], tuple[str, str] | None]


def _check_division(row: dict[str, Any]) -> tuple[str, str] | None:
    if "code" not in row:
        return None
    code = str(row["code"])
    if len(code) != 12 or not code.isdigit():
        return "code", "a division code has 12 digits (NBS 统计用区划代码)"
    try:
        level = level_of(code)
    except InvalidInput as exc:
        return "code", str(exc)
    if row.get("level") and row["level"] != level.value:
        return "level", f"code {code} names a {level.value}, not a {row['level']}"
    return None


def _check_uscc(row: dict[str, Any]) -> tuple[str, str] | None:
    if "code" not in row:
        return None
    code = str(row["code"]).upper()
    if len(code) != 18:
        return "code", "a unified social credit code has 18 characters (GB 32100)"
    try:
        expected = uscc_check(code[:17])
    except ValueError as exc:
        return "code", str(exc)
    if code[17] != expected:
        return "code", f"check character should be {expected} (GB 32100)"
    return None


FIRST_YEAR_BUILT = 1800


def year_built_problem(year: int) -> str | None:
    """Why `year` cannot be a building's year built (None: it can)."""
    if not FIRST_YEAR_BUILT <= year <= date.today().year:
        return f"year built {year} is not a year between {FIRST_YEAR_BUILT} and {date.today().year}"
    return None


def _check_building(row: dict[str, Any]) -> tuple[str, str] | None:
    year = row.get("year_built")
    problem = None if year is None else year_built_problem(year)
    return None if problem is None else ("year_built", problem)


@dataclass(frozen=True)
class TileRules:
    """How a layer is drawn into vector tiles (generalisation; see `tiles.rules`).

    `min_zoom`/`max_zoom`: the zooms the layer is in tiles at; `min_pixels`: features
    smaller than this on both sides are left out; `budget`: at most this many features per
    tile, the largest first; `attributes`: (from zoom, properties) pairs, each holding until
    the next; `simplify_pixels`: detail finer than this is simplified away.
    """

    min_zoom: int
    max_zoom: int = 22
    min_pixels: float = 0.0
    budget: int = 3000
    attributes: tuple[tuple[int, tuple[str, ...]], ...] = field(default=((0, ("code",)),))
    simplify_pixels: float = 0.5

    def shows(self, zoom: int) -> bool:
        """True when the layer is in tiles at `zoom`."""
        return self.min_zoom <= zoom <= self.max_zoom

    def attributes_at(self, zoom: int) -> tuple[str, ...]:
        """The properties a tile at `zoom` carries."""
        kept: tuple[str, ...] = ()
        for start, names in self.attributes:
            if zoom >= start:
                kept = names
        return kept


BUILDING_DETAIL = ("code", "name", "floors", "height", "use", "status")


class Level(StrEnum):
    """Classification (分级分类) of a layer or a field: who may see it as stored.

    公开 public: every caller with the read scope, anonymous ones too. 内部 internal: callers
    who name themselves with a key holding the read scope; an anonymous caller gets the
    field withheld (null in Features and /codes, left out of filters, tiles and exports).
    敏感 sensitive: only the `sensitive` scope sees it as stored; other callers get it
    masked (Features, /codes), or not at all (tiles, exports). A caller's clearance is the
    highest level it sees as stored. Every face reads the level from the layer, here.
    """

    public = "公开"
    internal = "内部"
    sensitive = "敏感"

    def covers(self, other: Level) -> bool:
        """Whether a caller cleared to this level sees what is classified `other`."""
        order = list(Level)
        return order.index(self) >= order.index(other)


@dataclass(frozen=True)
class Layer:
    """One layer (collection) of the twin."""

    name: str
    title: str
    description: str
    model: type[models.Base]
    geometry_type: str
    id_column: str = "code"
    # The layer's classification, and its fields' where they differ from it (a field of a
    # 敏感 layer is 公开 unless listed: people's codes are, their names are not). The layer's
    # own level decides whether its features are drawn into a caller's tiles.
    level: Level = Level.public
    field_levels: tuple[tuple[str, Level], ...] = ()
    # Fields never served or exported (keyed hashes and the like).
    hidden_fields: tuple[str, ...] = ()
    # Column whose value is the feature's instant or start, and end (OGC `datetime`).
    temporal: tuple[str, str | None] | None = None
    # Columns filled by the system, not by an importer (ids, versions, times).
    system_fields: tuple[str, ...] = field(default=("id", "version", "updated_at"))
    # Domain rules every write applies to a row beyond types and constraints.
    check: RowCheck | None = None
    # Code scheme that issues or checks the layer's codes (`twin.codes.schemes`, or "uscc"
    # for GB 32100 codes checked by their check character); None: codes are free text.
    scheme: str | None = None
    # Object type under which the code registry keeps the layer's codes; a layer with one
    # is edited through `twin.editing` (None: read-only there).
    object_type: str | None = None
    # The status a retired feature takes (a building is demolished, an address retired).
    retired_status: str = "retired"
    # Whether a feature created without a code gets one issued (else the writer gives it).
    issued_on_create: bool = False
    # Whether writes put the layer's objects on the map by geometry (落图): township,
    # community, grid and BeiDou grid code, for the PLACE_COLUMNS the table has.
    placed: bool = False
    # Where the layer comes when a code is looked up, most specific first (None: never).
    code_rank: int | None = None
    # How the layer is drawn into vector tiles (a layer without its own shows from zoom 14).
    tiles: TileRules = TileRules(14)

    @property
    def sensitive_fields(self) -> tuple[str, ...]:
        """Fields shown as stored only to the `sensitive` scope (masked for others)."""
        return tuple(name for name, level in self.field_levels if level is Level.sensitive)

    def level_of(self, name: str) -> Level:
        """The classification of one field (公开 unless the layer says otherwise)."""
        return dict(self.field_levels).get(name, Level.public)

    def withheld_fields(self, clearance: Level) -> tuple[str, ...]:
        """Fields a caller cleared to `clearance` does not see as stored."""
        return tuple(name for name, level in self.field_levels if not clearance.covers(level))

    @property
    def table(self) -> Table:
        """The SQLAlchemy table behind the layer."""
        return self.model.__table__  # type: ignore[return-value]

    @property
    def geometry_column(self) -> Column:
        """The layer's geometry column."""
        return self.table.c.geom

    def attribute_columns(self, clearance: Level = Level.sensitive) -> list[Column]:
        """Columns a client sees as feature properties (no geometry, no hidden fields), and
        of them, those a caller cleared to `clearance` may filter, sort and export."""
        skip = {"geom", "id", *self.hidden_fields, *self.withheld_fields(clearance)}
        return [c for c in self.table.columns if c.name not in skip]

    def importable_columns(self) -> list[Column]:
        """Columns an import file may set."""
        skip = {"geom", *self.system_fields, *self.hidden_fields}
        return [c for c in self.table.columns if c.name not in skip]

    @property
    def editable(self) -> bool:
        """Whether features are created, changed and retired through `twin.editing`."""
        return self.object_type is not None

    @property
    def place_columns(self) -> tuple[str, ...]:
        """The 落图 columns (township, community, grid, BeiDou) the table has."""
        return tuple(c for c in PLACE_COLUMNS if c in self.table.c)

    def is_gone(self, status: object) -> bool:
        """Whether a feature in `status` is history (retired or demolished), not edited."""
        return status in ("retired", self.retired_status)

    def column_class(self, name: str) -> str:
        """How a column is classified: hidden, sensitive, system, place, geometry or
        attribute (分级分类 decides masking; system and place columns the twin fills)."""
        if name in self.hidden_fields:
            return "hidden"
        if name in self.sensitive_fields:
            return "sensitive"
        if self.level_of(name) is Level.internal:
            return "internal"
        if name in self.system_fields:
            return "system"
        if name == "geom":
            return "geometry"
        if self.placed and name in self.place_columns:
            return "place"
        return "attribute"


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "admin_areas",
            "行政区划 Administrative areas",
            "NBS 2023 divisions from province to village/community, 12-digit codes.",
            models.AdminArea,
            "MultiPolygon",
            # has_boundary: the store derives it from the geometry (no writer sets it).
            system_fields=("has_boundary",),
            check=_check_division,
            scheme="division",
            code_rank=8,
            tiles=TileRules(0, attributes=((0, ("code", "name", "level")),)),
        ),
        Layer(
            "grids",
            "网格 Management grids",
            "Grid cells under a community, for grid-based city management.",
            models.Grid,
            "MultiPolygon",
            code_rank=7,
            tiles=TileRules(12, attributes=((12, ()), (15, ("code", "name")))),
        ),
        Layer(
            "roads",
            "街路巷 Roads",
            "Named roads, streets and lanes.",
            models.Road,
            "MultiLineString",
            code_rank=6,
            tiles=TileRules(10, min_pixels=2.0,
                            attributes=((10, ("name",)), (15, ("code", "name")))),
        ),
        Layer(
            "addresses",
            "标准地址 Standard addresses",
            "The standard address tree: road/compound, door, building, unit, floor, room.",
            models.Address,
            "Point",
            temporal=("valid_from", "valid_to"),
            scheme="address",
            object_type="address",
            placed=True,
            code_rank=3,
            tiles=TileRules(17, attributes=((17, ("code", "level")),)),
        ),
        Layer(
            "buildings",
            "实有房屋 Buildings",
            "Buildings with footprints, floors, height, use and unified building codes.",
            models.Building,
            "MultiPolygon",
            check=_check_building,
            scheme="building",
            object_type="building",
            retired_status="demolished",
            issued_on_create=True,
            placed=True,
            code_rank=1,
            tiles=TileRules(12, min_pixels=0.0, budget=3000,
                            attributes=((12, ()), (15, BUILDING_DETAIL))),
        ),
        Layer(
            "houses",
            "实有房屋 Houses (units and rooms)",
            "Dwellings and offices inside buildings. Area and use are 内部: shown to callers "
            "with an API key.",
            models.House,
            "Point",
            # What a dwelling is used for and how large it is are the house survey's (实有房屋
            # 采集) findings about one household: the working data of the offices that hold
            # keys, not published (the building's own use and floors are).
            field_levels=(("area", Level.internal), ("use", Level.internal)),
            scheme="building",
            object_type="house",
            placed=True,
            code_rank=2,
            # use: dwellings drawn apart from shops and offices (for callers who see it)
            tiles=TileRules(17, attributes=((17, ("code", "use")),)),
        ),
        Layer(
            "people",
            "实有人口 People",
            "Registered residents. Names and phones are masked without the sensitive scope.",
            models.Person,
            "Point",
            level=Level.sensitive,
            field_levels=(("name", Level.sensitive), ("phone", Level.sensitive),
                          ("birth_year", Level.sensitive)),
            hidden_fields=("id_hash",),
            scheme="person",
            placed=True,
            code_rank=9,
            tiles=TileRules(17, attributes=((17, ("code",)),)),
        ),
        Layer(
            "organizations",
            "实有单位 Organizations",
            "Organizations by unified social credit code.",
            models.Organization,
            "Point",
            check=_check_uscc,
            scheme="uscc",
            object_type="organization",
            placed=True,
            code_rank=5,
            tiles=TileRules(15, attributes=((15, ("code", "name", "org_type")),)),
        ),
        Layer(
            "city_objects",
            "部件 City components",
            "City components (manholes, lamps, hydrants …) and other city objects.",
            models.CityObject,
            "Geometry",
            scheme="component",
            object_type="city_object",
            placed=True,
            code_rank=4,
            tiles=TileRules(16, attributes=((16, ("code", "object_type")),)),
        ),
    )
}


def get_layer(name: str) -> Layer:
    """The layer called `name`, or raise NotFound listing the ones there are."""
    try:
        return LAYERS[name]
    except KeyError:
        raise NotFound(f"no layer {name!r}; layers are: {', '.join(LAYERS)}") from None


def code_layers() -> list[Layer]:
    """The layers a code is looked up in, most specific first."""
    ranked = [layer for layer in LAYERS.values() if layer.code_rank is not None]
    return sorted(ranked, key=lambda layer: layer.code_rank or 0)


def layers_of_object_type(object_type: str) -> list[Layer]:
    """The layers whose codes the registry keeps under `object_type`."""
    return [layer for layer in LAYERS.values() if layer.object_type == object_type]


def layers_coded_by(scheme: str, object_type: str | None = None) -> list[Layer]:
    """The layers whose codes `scheme` issues (or that hold codes of `object_type`): a
    counter of that scheme must never hand out a code one of their tables holds."""
    return [layer for layer in LAYERS.values()
            if layer.scheme == scheme or (object_type and layer.object_type == object_type)]
