"""What a caller sees of classified fields: 敏感 ones masked without the `sensitive` scope,
内部 ones withheld (null) from a caller without a key (`twin.layers.Level`)."""

from __future__ import annotations

from typing import Any

from twin.layers import Layer, Level
from twin.people import mask_name, mask_phone


def mask_value(field: str, value: Any) -> Any:
    """The masked form of one sensitive value (None for numbers: a range would still leak)."""
    if value is None:
        return None
    if field == "name":
        return mask_name(str(value))
    if field == "phone":
        return mask_phone(str(value))
    if isinstance(value, str):
        return "*" * len(value)
    return None


def masker(layer: Layer, clearance: Level):  # noqa: ANN201 - a properties mapper
    """A function that masks a properties dict of `layer` for a caller cleared to
    `clearance`, or None when the caller sees every field as stored."""
    withheld = layer.withheld_fields(clearance)
    if not withheld:
        return None
    masked = [(name, layer.level_of(name) is Level.sensitive) for name in withheld]

    def apply(props: dict[str, Any]) -> dict[str, Any]:
        for name, sensitive in masked:
            if name in props:
                props[name] = mask_value(name, props[name]) if sensitive else None
        return props

    return apply
