"""Absolute links that stay right behind a reverse proxy (X-Forwarded-*, root path)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"


def base_url(request: Request) -> str:
    """Scheme://host[/root] as the client sees it, honouring X-Forwarded-Proto/Host/Prefix."""
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = headers.get("x-forwarded-host", headers.get("host", request.url.netloc))
    host = host.split(",")[0].strip()
    prefix = headers.get("x-forwarded-prefix", "").rstrip("/")
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{scheme}://{host}{prefix}{root}"


def url_for(request: Request, path: str, **query: object) -> str:
    """An absolute URL for `path` (starting with /) with the given query parameters."""
    params = {k: v for k, v in query.items() if v is not None}
    suffix = f"?{urlencode(params, doseq=True)}" if params else ""
    return f"{base_url(request)}{path}{suffix}"


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    """One OGC link object."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out
