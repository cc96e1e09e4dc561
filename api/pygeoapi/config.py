"""A pygeoapi configuration that serves the twin's layers and geocoder through our plugins.

    python -m api.pygeoapi.config --database-url postgresql+psycopg://… --port 5000 > cfg.yml
    PYGEOAPI_CONFIG=cfg.yml PYGEOAPI_OPENAPI=openapi.yml pygeoapi openapi generate cfg.yml …

Nothing here imports pygeoapi: the document is plain data, so it can be written where
pygeoapi is not installed and merged into an existing server's configuration.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twin.layers import LAYERS

PROVIDER = "api.pygeoapi.provider.TwinProvider"
PROCESSORS = {
    "geocode": "api.pygeoapi.process.GeocodeProcessor",
    "reverse-geocode": "api.pygeoapi.process.ReverseGeocodeProcessor",
    "batch-geocode": "api.pygeoapi.process.BatchGeocodeProcessor",
    "batch-code": "api.pygeoapi.process.BatchCodeProcessor",
    "place": "api.pygeoapi.process.PlaceProcessor",
}
# pygeoapi knows no scopes: batch-code writes codes and buildings, so it is left out
# unless a configuration asks for it (behind the operator's own access control).
READ_ONLY_PROCESSES = ("geocode", "reverse-geocode", "batch-geocode", "place")
STORAGE_CRS = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS_LIST = [
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4490",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    "http://www.opengis.net/def/crs/EPSG/0/3857",
]
# 南山区 and around: the collections' advertised extent when none is given.
DEFAULT_BBOX = [113.75, 22.39, 114.10, 22.87]
# Layers served unless asked otherwise: people stay out of a server that knows no scopes.
DEFAULT_LAYERS = tuple(name for name in LAYERS if name != "people")


def layer_resource(database_url: str, layer: str, bbox: list[float] | None = None) -> dict:
    """The pygeoapi resource block for one twin layer."""
    spec = LAYERS[layer]
    return {
        "type": "collection",
        "title": spec.title,
        "description": spec.description,
        "keywords": ["cim-twin", layer],
        "extents": {"spatial": {"bbox": bbox or DEFAULT_BBOX,
                                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": [{
            "type": "feature",
            "name": PROVIDER,
            "data": database_url,
            "layer": layer,
            "id_field": spec.id_column,
            "storage_crs": STORAGE_CRS,
            "crs": CRS_LIST,
        }],
    }


def process_resource(database_url: str, process: str) -> dict:
    """The pygeoapi resource block for one of the twin's processes over one store."""
    return {"type": "process", "processor": {"name": PROCESSORS[process], "data": database_url}}


def pygeoapi_config(
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    layers: tuple[str, ...] = DEFAULT_LAYERS,
    with_geocoder: bool = True,
    processes: tuple[str, ...] = READ_ONLY_PROCESSES,
    extra_resources: dict[str, Any] | None = None,
    max_items: int = 10_000,
) -> dict[str, Any]:
    """A whole pygeoapi configuration serving `layers` (and, `with_geocoder`, the
    `processes`) of one store."""
    resources: dict[str, Any] = {name: layer_resource(database_url, name) for name in layers}
    if with_geocoder:
        resources.update({p: process_resource(database_url, p) for p in processes})
    resources.update(extra_resources or {})
    return {
        "server": {
            "bind": {"host": host, "port": port},
            "url": f"http://{host}:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US", "zh-CN"],
            "limits": {"default_items": 10, "max_items": max_items},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "attribution": "OpenStreetMap contributors"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "cim-twin via pygeoapi",
                "description": "The twin's layers and geocoder served by pygeoapi plugins",
                "keywords": ["cim-twin", "CIM"],
                "keywords_type": "theme",
                "terms_of_service": "https://opensource.org/licenses/MIT",
                "url": "https://example.org/cim-twin",
            },
            "license": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
            "provider": {"name": "cim-twin", "url": "https://example.org/cim-twin"},
            "contact": {"name": "cim-twin"},
        },
        "resources": resources,
    }


def main(argv: list[str] | None = None) -> None:
    """Print a configuration for the store named on the command line."""
    parser = argparse.ArgumentParser(description="Write a pygeoapi config for the twin")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--layers", default=",".join(DEFAULT_LAYERS))
    args = parser.parse_args(argv)
    import yaml  # only the command line needs it; the document itself is plain data

    config = pygeoapi_config(args.database_url, host=args.host, port=args.port,
                             layers=tuple(args.layers.split(",")))
    yaml.safe_dump(config, sys.stdout, allow_unicode=True, sort_keys=False)


if __name__ == "__main__":
    main()
