"""The shipped code schemes, a city's own schemes from configuration, and scheme lookup.

A city adds schemes in a JSON or YAML file named by `TWIN_CODE_SCHEMES`; each entry has
the fields of `CodeScheme` (see `twin.codes.scheme`). A file scheme may not reuse a
shipped name.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from twin.codes.scheme import (
    AdminSegment,
    CheckSegment,
    CodeScheme,
    ConstantSegment,
    SequenceSegment,
    ValueSegment,
    YearSegment,
)
from twin.divisions import Level
from twin.errors import InvalidInput, NotFound
from twin.settings import CodeSettings

BUILDING = CodeScheme(
    name="building",
    title="统一建筑物编码 Unified building code (JGJ/T 246-2012 layout)",
    object_type="building",
    description="9-digit township + year built + building sequence within township and year "
    "+ household sequence (00000 = the whole building) + ISO 7064 MOD 11-2 check.",
    segments=[
        AdminSegment(name="township", title="乡镇街道", length=9, level=Level.township),
        YearSegment(name="year", title="建成年份"),
        SequenceSegment(name="building", title="楼栋顺序号", length=4, start=1),
        SequenceSegment(name="household", title="户顺序号", length=5, start=0),
        CheckSegment(algorithm="mod11-2"),
    ],
)

ADDRESS = CodeScheme(
    name="address",
    title="标准地址编码 Standard address code (GB/T 39609-2020 区划式 layout)",
    object_type="address",
    description="12-digit admin code (community for doors and below, township for roads) + "
    "road/compound sequence + door/building sequence + unit/floor/room sequence; a "
    "sequence of 0 stands for the node above (a road's code ends in 0000000000).",
    segments=[
        AdminSegment(name="admin", title="行政区划", length=12),
        SequenceSegment(name="road", title="街路巷/小区顺序号", length=4, start=1),
        SequenceSegment(name="door", title="门牌/楼栋顺序号", length=4, start=0, first=1),
        SequenceSegment(name="room", title="单元/楼层/户室顺序号", length=6, start=0, first=1),
    ],
)

COMPONENT_CLASSES = {
    "01": "公用设施", "02": "道路交通", "03": "市容环境", "04": "园林绿化",
    "05": "房屋土地", "06": "其他设施", "07": "扩展部件",
}

COMPONENT = CodeScheme(
    name="component",
    title="城市部件编码 City component code (CJ/T 214 layout)",
    object_type="city_object",
    description="6-digit county code + 2-digit class + 2-digit subclass + 6-digit sequence.",
    segments=[
        AdminSegment(name="county", title="区县", length=6, level=Level.county),
        ValueSegment(name="class", title="大类", length=2, values=COMPONENT_CLASSES),
        ValueSegment(name="subclass", title="小类", length=2),
        SequenceSegment(name="sequence", title="流水号", length=6, start=1),
    ],
)

PERSON = CodeScheme(
    name="person",
    title="实有人口编码 Resident code",
    object_type="person",
    description="RK + 9-digit township + 8-digit resident sequence within the township. "
    "Never an ID number: those are kept only as keyed hashes.",
    segments=[
        ConstantSegment(name="prefix", title="实有人口", value="RK"),
        AdminSegment(name="township", title="乡镇街道", length=9, level=Level.township),
        SequenceSegment(name="person", title="人口顺序号", length=8, start=1),
    ],
)

SHIPPED: dict[str, CodeScheme] = {s.name: s for s in (BUILDING, ADDRESS, COMPONENT, PERSON)}


def read_scheme_file(path: Path) -> list[CodeScheme]:
    """The schemes declared in a JSON or YAML file; InvalidInput says which entry is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read code scheme file {path}: {exc}", field="code_schemes",
                           value=str(path)) from exc
    data: Any
    if Path(path).suffix.lower() in {".yaml", ".yml"}:
        import yaml  # only needed for YAML files

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("schemes", [data])
    schemes = []
    for i, entry in enumerate(data):
        try:
            schemes.append(CodeScheme.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(
                f"code scheme file {path}, entry {i} ({where}): {first['msg']}",
                field=where, value=first.get("input"),
            ) from None
        if schemes[-1].name in SHIPPED:
            raise InvalidInput(
                f"code scheme file {path}, entry {i}: {schemes[-1].name!r} is a shipped scheme",
                field="name", value=schemes[-1].name,
            )
    return schemes


@cache
def _configured(path: Path | None) -> dict[str, CodeScheme]:
    schemes = dict(SHIPPED)
    if path is not None:
        schemes.update({s.name: s for s in read_scheme_file(path)})
    return schemes


def all_schemes(settings: CodeSettings | None = None) -> dict[str, CodeScheme]:
    """Shipped schemes plus the city's own (from `TWIN_CODE_SCHEMES`)."""
    settings = settings or CodeSettings()
    return _configured(settings.code_schemes)


def get_scheme(name: str, settings: CodeSettings | None = None) -> CodeScheme:
    """The scheme called `name`, or NotFound listing the ones there are."""
    schemes = all_schemes(settings)
    try:
        return schemes[name]
    except KeyError:
        raise NotFound(f"no code scheme {name!r}; schemes are: {', '.join(schemes)}") from None
