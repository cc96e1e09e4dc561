"""`GET /audit`: the audit log for `admin` keys, filtered by who, when, what and which records.

Reading the log is itself logged (action `read-audit`), so who looked is on record too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.auth import PrincipalDep
from api.dependencies import EngineDep, MediaType
from api.links import link, url_for
from twin.audit import AuditQuery, read_audit, record

router = APIRouter(tags=["Audit"])
MAX_LINES = 1000


@router.get("/audit", operation_id="getAudit", summary="The audit log (admin)")
def audit(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    actor: Annotated[str | None, Query(description="who: the actor, e.g. key:fingerprint "
                                       "or key:name#id")] = None,
    action: Annotated[str | None, Query(description="what: create, replace, update, delete, "
                                        "read-sensitive, read-audit …")] = None,
    layer: Annotated[str | None, Query(description="the layer (collection) touched")] = None,
    object_id: Annotated[str | None, Query(alias="object", description="which record: its "
                                           "feature id")] = None,
    since: Annotated[datetime | None, Query(description="lines at or after this "
                                            "RFC 3339 time")] = None,
    until: Annotated[datetime | None, Query(description="lines at or before this "
                                            "RFC 3339 time")] = None,
    below: Annotated[int | None, Query(ge=1, description="lines older than this id (the "
                                       "next link sets it)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LINES, description="lines per page")] = 100,
) -> dict[str, Any]:
    """Audit lines, newest first, with a next link while older ones match."""
    principal.require("admin")
    q = AuditQuery(actor, action, layer, object_id, since, until, below, limit)
    lines, more = read_audit(engine, q)
    filters = {k: v for k, v in request.query_params.items() if k != "below"}
    with engine.begin() as conn:
        record(conn, principal.actor, "read-audit", "audit", None,
               {"filters": filters, "lines": len(lines)})
    links = [link(url_for(request, "/audit", **filters), "self", MediaType.json.value)]
    if more and lines:
        links.append(link(url_for(request, "/audit", **filters, below=lines[-1]["id"]), "next",
                          MediaType.json.value))
    return {"lines": lines, "numberReturned": len(lines), "links": links}
