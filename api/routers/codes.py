"""GET /codes/{code}: what any code means — scheme, segments, what it names, its history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.dependencies import EngineDep, MediaType
from api.links import link, url_for
from twin.codes.explain import explain_code

router = APIRouter(tags=["Codes"])


@router.get("/codes/{code}", operation_id="explainCode", summary="What a code means")
def explain(
    request: Request,
    engine: EngineDep,
    code: Annotated[str, Path(description="any code: building, address, component, BeiDou "
                              "grid, unified social credit or division code", max_length=64)],
) -> dict[str, Any]:
    """The schemes the code reads as (with segments), its registry record and history, and
    the objects of the twin that carry it now."""
    body = explain_code(engine, code)
    body["links"] = [link(url_for(request, f"/codes/{body['code']}"), "self",
                          MediaType.json.value, "This explanation")]
    for named in body["names"]:
        item = url_for(request, f"/collections/{named['layer']}/items/{body['code']}")
        named["href"] = item
        body["links"].append(link(item, "item", MediaType.geojson.value, named["title"] or ""))
    for older in body["history"]:
        if older["code"] != body["code"]:
            older["href"] = url_for(request, f"/codes/{older['code']}")
    return body
