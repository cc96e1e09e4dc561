"""Reading the inputs of an execute request: each checked, each refusal naming input and value.

Inputs arrive as OGC API - Processes values: a plain JSON value, or a qualified value
`{"value": ..., "mediaType": ..., "encoding": "base64"}` (files). Files travel inline;
references (`href`) are refused, since the service fetches nothing from the network.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from api.processes.descriptions import PROCESSES, SUFFIX_OF
from twin.errors import InvalidInput
from twin.jobs import JobInput

MEDIA_TYPE_OF = {suffix: media for media, suffix in SUFFIX_OF.items()}


def _refuse(name: str, value: object, reason: str) -> InvalidInput:
    shown = value if isinstance(value, int | float | str) else type(value).__name__
    return InvalidInput(f"input {name!r}: {reason}", field=f"inputs.{name}",
                        value=str(shown)[:200])


def job_input(process: str, inputs: object) -> JobInput:
    """The checked inputs of an execute request, with the file taken out of them."""
    if not isinstance(inputs, dict):
        raise InvalidInput('"inputs" must be an object of input names to values',
                           field="inputs", value=type(inputs).__name__)
    known = PROCESSES[process]["inputs"]
    for name, spec in known.items():
        if spec["minOccurs"] and name not in inputs:
            raise InvalidInput(f"input {name!r} is required by {process}", field=f"inputs.{name}")
    unknown = sorted(set(inputs) - set(known))
    if unknown:
        raise _refuse(unknown[0], unknown[0], f"{process} takes no such input; it takes "
                      + ", ".join(known))
    plain = {k: v for k, v in inputs.items() if k != "file"}
    if "file" not in inputs:
        return JobInput(plain)
    media_types = _media_types(known["file"])
    data, media = _file(inputs["file"], media_types)
    plain["file_media_type"] = media
    return JobInput(plain, data, "input" + SUFFIX_OF[media])


def _media_types(spec: dict[str, Any]) -> list[str]:
    return [s["contentMediaType"] for s in spec["schema"]["oneOf"]]


def _file(value: object, media_types: list[str]) -> tuple[bytes, str]:
    if not isinstance(value, dict) or ("value" not in value and "href" not in value):
        raise _refuse("file", value, 'send the file as {"value": "<base64>", "mediaType": '
                      '"...", "encoding": "base64"}')
    if "href" in value:
        raise _refuse("file", value["href"], "files by reference are not fetched; send the "
                      "content inline, base64-encoded")
    media = str(value.get("mediaType") or "").split(";")[0].strip()
    if media not in media_types:
        raise _refuse("file", media or "(none)", "mediaType must be one of "
                      + ", ".join(media_types))
    content = value["value"]
    if isinstance(content, dict) and media == MEDIA_TYPE_OF[".geojson"]:
        import json

        return json.dumps(content, ensure_ascii=False).encode(), media
    if not isinstance(content, str):
        raise _refuse("file", content, "the file's value must be a base64 string")
    if value.get("encoding", "base64") != "base64":
        raise _refuse("file", value.get("encoding"), "encoding must be base64")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _refuse("file", content[:40], f"not base64: {exc}") from None
    if not data:
        raise _refuse("file", "", "the file is empty")
    return data, media


def literal(inputs: dict[str, Any], name: str) -> Any:
    """An input's value, unwrapped from a qualified value {"value": ...}."""
    value = inputs.get(name)
    if isinstance(value, dict) and "value" in value and "type" not in value:  # not GeoJSON
        return value["value"]
    return value


def text(inputs: dict[str, Any], name: str, *, default: str | None = None) -> str | None:
    """A string input (None or `default` when left out)."""
    value = literal(inputs, name)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise _refuse(name, value, "must be a non-empty string")
    return value.strip()


def number(inputs: dict[str, Any], name: str, *, default: float | None = None,
           low: float | None = None, high: float | None = None, integer: bool = False
           ) -> float | None:
    """A number input within [low, high] (an integer when `integer`)."""
    value = literal(inputs, name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse(name, value, "must be a number")
    if integer and value != int(value):
        raise _refuse(name, value, "must be a whole number")
    if low is not None and value < low:
        raise _refuse(name, value, f"must be at least {low}")
    if high is not None and value > high:
        raise _refuse(name, value, f"must be at most {high}")
    return int(value) if integer else float(value)
