"""CQL2 (text and JSON) filters, parsed by pygeofilter, turned into SQLAlchemy on a layer.

pygeofilter 0.4 reads temporal predicates only in an infix form (`a T_AFTER b`) and
only full date-times in intervals, and reads a cql2-json `bbox`/`between` differently
from the standard; `standard_text`/`standard_json` bring the standard forms to what it
reads before parsing, so clients write plain CQL2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text
from sqlalchemy import Column, ColumnElement, Date, DateTime, and_, func, literal, not_, or_

from twin.crs import CrsRef, parse_crs, to_storage
from twin.dialects import StoreDialect
from twin.errors import InvalidInput
from twin.features.query import coerce, filterable
from twin.features.temporal import bind_instant
from twin.layers import Layer
from twin.models import STORAGE_SRID

GEOMETRY_NAMES = ("geom", "geometry")
OPEN_START, OPEN_END = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"
_TEMPORAL_CALL = re.compile(r"T_[A-Za-z]+\s*\(", re.IGNORECASE)
_INTERVAL = re.compile(r"INTERVAL\s*\(\s*'([^']*)'\s*,\s*'([^']*)'\s*\)", re.IGNORECASE)
_CONVERSE = {"CONTAINS": "WITHIN", "WITHIN": "CONTAINS"}
_SPATIAL_SQL = {
    "INTERSECTS": func.ST_Intersects, "DISJOINT": func.ST_Disjoint,
    "CONTAINS": func.ST_Contains, "WITHIN": func.ST_Within, "TOUCHES": func.ST_Touches,
    "CROSSES": func.ST_Crosses, "OVERLAPS": func.ST_Overlaps, "EQUALS": func.ST_Equals,
}


def _bad(message: str, value: object = None) -> InvalidInput:
    return InvalidInput(message, field="filter", value=value)


def _close_paren(text: str, start: int) -> tuple[int, list[str]]:
    """Index after the parenthesis closing at depth 0 from `start`, and the top-level args."""
    depth, quoted, args, begin = 1, False, [], start
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i])
                return i + 1, args
        elif ch == "," and depth == 1:
            args.append(text[begin:i])
            begin = i + 1
    raise _bad("unbalanced parentheses in the filter", text)


def _interval_bound(value: str, end: bool) -> str:
    if value in ("..", ""):
        return OPEN_END if end else OPEN_START
    if len(value) == 10:
        return value + ("T23:59:59Z" if end else "T00:00:00Z")
    return value


def standard_text(text: str) -> str:
    """Rewrite `T_OP(a, b)` to the infix form pygeofilter reads; widen date intervals."""
    out, i, quoted = [], 0, False
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        match = None if quoted else _TEMPORAL_CALL.match(text, i)
        preceded = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        if match and not preceded:
            op = match.group(0).rstrip("( \t").upper()
            end, args = _close_paren(text, match.end())
            if len(args) != 2:
                raise _bad(f"{op} takes two arguments", text)
            lhs, rhs = (standard_text(a.strip()) for a in args)
            rhs = _INTERVAL.sub(
                lambda m: f"INTERVAL('{_interval_bound(m.group(1), False)}',"
                f"'{_interval_bound(m.group(2), True)}')",
                rhs,
            )
            out.append(f"({lhs} {op} {rhs})")
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def standard_json(node: Any) -> Any:
    """Bring cql2-json `bbox` literals and three-argument `between` to pygeofilter's forms."""
    if isinstance(node, list):
        return [standard_json(n) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) >= 4:
        box = node["bbox"]
        minx, miny, maxx, maxy = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
        return {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy],
                                                    [minx, maxy], [minx, miny]]]}
    if set(node) == {"interval"} and isinstance(node["interval"], list):
        bounds = node["interval"]
        if len(bounds) == 2:
            return {"interval": [_interval_bound(str(bounds[0]), False),
                                 _interval_bound(str(bounds[1]), True)]}
    out = {k: standard_json(v) for k, v in node.items()}
    args = out.get("args")
    if str(out.get("op", "")).lower() == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]
    return out


def parse_filter(text: str, lang: str | None) -> ast.Node:
    """The AST of a cql2-text or cql2-json filter, or InvalidInput saying what is wrong."""
    lang = (lang or "cql2-text").lower()
    # GDAL 3.6 and other clients of the drafts still say cql-text for the same basic text.
    lang = {"cql-text": "cql2-text"}.get(lang, lang)
    try:
        if lang == "cql2-text":
            return parse_text(standard_text(text))
        if lang == "cql2-json":
            return parse_json(standard_json(orjson.loads(text)))
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - lark/pygeofilter raise many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _bad(f"cannot read the {lang} filter: {first}", text) from None
    raise InvalidInput(
        f"unknown filter-lang {lang!r}; use cql2-text or cql2-json", field="filter-lang",
        value=lang,
    )


@dataclass
class FilterCompiler:
    """Compiles a pygeofilter AST to a WHERE clause over one layer's queryable columns."""

    layer: Layer
    queryables: dict[str, Column]
    filter_crs: CrsRef
    dialect: StoreDialect

    def compile(self, node: ast.Node) -> ColumnElement[bool]:
        """The SQL condition for `node`."""
        return self._predicate(node)

    # -- predicates ---------------------------------------------------------------
    def _predicate(self, node: Any) -> ColumnElement[bool]:  # noqa: C901 - one dispatch table
        if isinstance(node, ast.Not):
            return not_(self._predicate(node.sub_node))
        if isinstance(node, ast.And):
            return and_(self._predicate(node.lhs), self._predicate(node.rhs))
        if isinstance(node, ast.Or):
            return or_(self._predicate(node.lhs), self._predicate(node.rhs))
        if isinstance(node, ast.Include):
            return literal(not node.not_)
        if isinstance(node, ast.Comparison):
            return self._comparison(node)
        if isinstance(node, ast.Between):
            col = self._scalar(node.lhs)
            low, high = self._value(node.low, col), self._value(node.high, col)
            clause = col.between(low, high)
            return not_(clause) if node.not_ else clause
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.In):
            col = self._scalar(node.lhs)
            clause = col.in_([self._value(v, col) for v in node.sub_nodes])
            return not_(clause) if node.not_ else clause
        if isinstance(node, ast.IsNull):
            col = self._scalar(node.lhs)
            return col.is_not(None) if node.not_ else col.is_(None)
        if isinstance(node, ast.BBox):
            box = [node.minx, node.miny, node.maxx, node.maxy]
            shape = shapely.box(*box)
            return self._spatial("INTERSECTS", node.lhs, shape, node.crs)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self._spatial_node(node)
        if isinstance(node, ast.TemporalPredicate):
            return self._temporal(node)
        raise _bad(f"the filter uses {type(node).__name__}, which this server does not support")

    def _comparison(self, node: ast.Comparison) -> ColumnElement[bool]:
        lhs = self._scalar(node.lhs)
        rhs = self._scalar(node.rhs, like=lhs)
        op = node.op.value
        ops: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
            "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        }
        return ops[op](lhs, rhs)

    def _like(self, node: ast.Like) -> ColumnElement[bool]:
        col = self._scalar(node.lhs)
        pattern = node.pattern
        if isinstance(pattern, ast.Function):
            pattern = self._scalar(pattern)
        clause = col.like(pattern, escape="\\")
        return not_(clause) if node.not_ else clause

    # -- expressions --------------------------------------------------------------
    def _column(self, name: str) -> Column:
        if name in GEOMETRY_NAMES:
            raise _bad(f"{name} is a geometry; compare it with S_INTERSECTS and friends", name)
        col = self.queryables.get(name)
        if col is None:
            raise _bad(
                f"{name!r} is not a queryable of {self.layer.name}; queryables are: "
                f"{', '.join(sorted(self.queryables))}", name,
            )
        return col

    def _scalar(self, node: Any, like: Any = None) -> Any:
        if isinstance(node, ast.Attribute):
            return self._column(node.name)
        if isinstance(node, ast.Function):
            name = node.name.lower()
            args = [self._scalar(a, like) for a in node.arguments]
            if name in ("lower", "casei") and len(args) == 1:
                return func.lower(args[0])
            if name == "upper" and len(args) == 1:
                return func.upper(args[0])
            if name == "accenti" and len(args) == 1:
                return args[0]
            raise _bad(f"unknown function {node.name!r}; supported: CASEI, LOWER, UPPER",
                       node.name)
        if isinstance(node, ast.Arithmetic):
            lhs, rhs = self._scalar(node.lhs), self._scalar(node.rhs)
            return {"+": lhs + rhs, "-": lhs - rhs, "*": lhs * rhs, "/": lhs / rhs}[
                node.op.value
            ]
        return self._value(node, like)

    def _value(self, node: Any, col: Any) -> Any:
        """A literal, typed like the column it meets."""
        if isinstance(node, ast.Node | values.Geometry | values.Envelope):
            return self._scalar(node, col)
        if not isinstance(col, Column):
            return node
        if isinstance(node, str) and not isinstance(col.type, Date | DateTime):
            return coerce(col, node) if filterable(col) else node
        if isinstance(node, str):
            node = coerce(col, node)
        if isinstance(node, date) and isinstance(col.type, Date | DateTime):
            return bind_instant(col, node, end=False, naive_utc=self.dialect.naive_times)
        return node

    # -- spatial ------------------------------------------------------------------
    def _literal_geometry(self, value: Any, crs: str | None) -> tuple[Any, CrsRef]:
        if isinstance(value, ast.Function) and value.name.lower() == "bbox":
            return shapely.box(*value.arguments[:4]), self.filter_crs
        if isinstance(value, values.Envelope | values.Geometry):
            geometry = dict(value.geometry)
            named = geometry.pop("crs", None)
            try:
                shape = shapely.from_geojson(orjson.dumps(geometry))
            except Exception as exc:  # noqa: BLE001 - GEOS reader errors
                raise _bad(f"bad geometry literal: {exc}", geometry) from None
            if named:
                return shape, parse_crs(named["properties"]["name"], field="filter")
            return shape, self.filter_crs
        raise _bad(f"expected a geometry literal, got {value!r}", value)

    def _spatial_node(self, node: ast.SpatialComparisonPredicate) -> ColumnElement[bool]:
        op = node.op.value
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs, op = rhs, lhs, _CONVERSE.get(op, op)
        return self._spatial(op, lhs, rhs, None)

    def _spatial(self, op: str, lhs: Any, rhs: Any, crs: str | None) -> ColumnElement[bool]:
        if not (isinstance(lhs, ast.Attribute) and lhs.name in GEOMETRY_NAMES):
            raise _bad(f"spatial operators compare the geometry property "
                       f"({' or '.join(GEOMETRY_NAMES)}) with a geometry literal", repr(lhs))
        if isinstance(rhs, shapely.Geometry):
            shape, ref = rhs, parse_crs(crs, field="filter") if crs else self.filter_crs
        else:
            shape, ref = self._literal_geometry(rhs, crs)
        stored = to_storage(shapely.from_wkb(shapely.to_wkb(shape)), ref)
        literal_geom = func.ST_GeomFromText(shapely.to_wkt(stored), STORAGE_SRID)
        hit = _SPATIAL_SQL[op](self.layer.geometry_column, literal_geom)
        clause = self.dialect.spatial_true(hit)
        if op != "DISJOINT":
            minx, miny, maxx, maxy = shapely.bounds(stored).tolist()
            prefilter = self.dialect.index_prefilter(self.layer.table, (minx, miny, maxx, maxy))
            if prefilter is not None:
                clause = and_(prefilter, clause)
        return clause

    # -- temporal -----------------------------------------------------------------
    def _temporal(self, node: ast.TemporalPredicate) -> ColumnElement[bool]:
        col = self._column(node.lhs.name) if isinstance(node.lhs, ast.Attribute) else None
        if col is None or not isinstance(col.type, Date | DateTime):
            raise _bad("temporal operators compare a date or date-time property with a "
                       "TIMESTAMP, DATE or INTERVAL", repr(node.lhs))
        rhs = node.rhs
        naive = self.dialect.naive_times
        if isinstance(rhs, values.Interval):
            start = bind_instant(col, _instant(rhs.start), end=False, naive_utc=naive)
            end = bind_instant(col, _instant(rhs.end), end=True, naive_utc=naive)
        elif isinstance(rhs, date):
            start = end = bind_instant(col, rhs, end=False, naive_utc=naive)
        else:
            raise _bad(f"cannot compare {col.name} in time with {rhs!r}", repr(rhs))
        op = node.op.name
        clauses: dict[str, Callable[[], ColumnElement[bool]]] = {
            "AFTER": lambda: col > end,
            "BEFORE": lambda: col < start,
            "TEQUALS": lambda: and_(col == start, col == end),
            "DISJOINT": lambda: or_(col < start, col > end),
            "TOVERLAPS": lambda: col.between(start, end),
            "DURING": lambda: and_(col > start, col < end),
            "MEETS": lambda: col == start,
            "METBY": lambda: col == end,
            "BEFORE_OR_DURING": lambda: col <= end,
            "DURING_OR_AFTER": lambda: col >= start,
        }
        if op not in clauses:
            raise _bad(f"T_{op} relates two intervals; {col.name} is an instant — use "
                       "T_INTERSECTS, T_DURING, T_BEFORE, T_AFTER, T_EQUALS or T_DISJOINT", op)
        return and_(col.is_not(None), clauses[op]())


def _instant(value: Any) -> date:
    if isinstance(value, date):
        return value
    raise _bad(f"interval bounds must be dates or date-times, not {value!r}", value)


def compile_filter(layer: Layer, queryables: dict[str, Column], text: str, lang: str | None,
                   filter_crs: CrsRef, dialect: StoreDialect) -> ColumnElement[bool]:
    """Parse and compile a filter parameter."""
    node = parse_filter(text, lang)
    return FilterCompiler(layer, queryables, filter_crs, dialect).compile(node)

