"""HTML pages for people: the same documents the JSON routes return, rendered readable."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("api", "templates"), autoescape=select_autoescape(["html"])
    )


def render(request: Request, template: str, title: str, body: dict[str, Any]) -> HTMLResponse:
    """Render `template` with the JSON document `body`, falling back to the generic page."""
    env = _environment()
    names = env.list_templates()
    page = env.get_template(template if template in names else "page.html")
    return HTMLResponse(page.render(title=title, body=body, request=request))
