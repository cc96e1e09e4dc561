"""Masked forms of sensitive fields, for callers without the `sensitive` scope."""

from __future__ import annotations

from typing import Any

from twin.layers import Layer
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


def masker(layer: Layer, may_see_sensitive: bool):  # noqa: ANN201 - a properties mapper
    """A function that masks a properties dict of `layer`, or None when nothing is hidden."""
    if may_see_sensitive or not layer.sensitive_fields:
        return None
    fields = layer.sensitive_fields

    def apply(props: dict[str, Any]) -> dict[str, Any]:
        for name in fields:
            if name in props:
                props[name] = mask_value(name, props[name])
        return props

    return apply
