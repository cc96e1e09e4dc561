"""GET /codes/{code}: what any code means — scheme, segments, what it names, its history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.auth import PrincipalDep
from api.dependencies import EngineDep, MediaType
from api.features.audit import record_read
from api.links import link, url_for
from twin.codes.explain import explain_code
from twin.features.service import audits_reads
from twin.layers import get_layer

router = APIRouter(tags=["Codes"])


@router.get("/codes/{code}", operation_id="explainCode", summary="What a code means")
def explain(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    code: Annotated[str, Path(description="any code: person, house, building, address, "
                              "component, BeiDou grid, unified social credit or division code",
                              max_length=64)],
) -> dict[str, Any]:
    """The schemes the code reads as (with segments), its registry record and history, the
    objects of the twin that carry it now, and the objects related to those across 一标三实
    (each with a link to its own code, so one code leads to the rest). A person's name is
    masked without the sensitive scope, a 内部 title withheld without a key, as in Features."""
    principal.require("read")
    clearance = principal.clearance
    body = explain_code(engine, code, clearance=clearance)
    for named in body["names"]:
        if audits_reads(get_layer(named["layer"]), clearance):  # a person's name, unmasked
            record_read(engine, principal, named["layer"], body["code"],
                        {"url": str(request.url)})
    body["links"] = [link(url_for(request, f"/codes/{body['code']}"), "self",
                          MediaType.json.value, "This explanation")]
    for named in body["names"]:
        item = url_for(request, f"/collections/{named['layer']}/items/{body['code']}")
        named["href"] = item
        body["links"].append(link(item, "item", MediaType.geojson.value, named["title"] or ""))
    for related in body["related"]:
        related["href"] = url_for(request, f"/codes/{related['code']}")
        related["item"] = url_for(
            request, f"/collections/{related['layer']}/items/{related['code']}")
    for older in body["history"]:
        if older["code"] != body["code"]:
            older["href"] = url_for(request, f"/codes/{older['code']}")
    return body
