"""Conformance classes the service declares; each router adds the ones it implements."""

from __future__ import annotations

CORE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


def conformance_classes(app_state: object) -> list[str]:
    """All classes declared by the routers included in the app, in a stable order."""
    declared: list[str] = getattr(app_state, "conformance", [])
    return sorted(set(CORE) | set(declared))


def declare(app_state: object, classes: list[str]) -> None:
    """Add conformance classes a router implements."""
    current: list[str] = getattr(app_state, "conformance", [])
    app_state.conformance = current + [c for c in classes if c not in current]  # type: ignore[attr-defined]
