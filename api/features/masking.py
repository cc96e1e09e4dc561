"""Masked forms of sensitive fields, for callers without the `sensitive` scope."""

from __future__ import annotations

from typing import Any

from twin.layers import Layer


def mask_name(name: str) -> str:
    """张三丰 → 张**: keep the surname character, star the rest."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


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
