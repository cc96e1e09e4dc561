"""HTTP face of the twin: OGC API Features / Tiles / Processes and the geocoding routes."""

from api.app import create_app

__all__ = ["create_app"]
