"""Plugins that let an existing pygeoapi server serve the twin's layers and geocoder.

`provider.TwinProvider` reads any layer of the twin through `twin.store`/`twin.layers`
(on either store); `process.GeocodeProcessor` exposes the addressing package's geocoder as
an OGC API - Processes process; `config.pygeoapi_config` writes a pygeoapi configuration
that names them. pygeoapi itself is imported only by `provider` and `process`, so the rest
of the twin never needs it installed.
"""
