"""pygeoapi process plugins: the twin's processes inside an existing pygeoapi server.

One plugin per process, all running the same core as the FastAPI routes
(`api.processes.Processes`), with the same descriptions and input checks. In a pygeoapi
configuration (`api.pygeoapi.config.process_resources` writes these blocks)::

    geocode:
      type: process
      processor:
        name: api.pygeoapi.process.GeocodeProcessor
        data: postgresql+psycopg://user@host/twin    # the store

JSON results come back as `{"id": "result", "value": ...}`; a file result as a base64
qualified value `{"id": "result", "value": "<base64>", "mediaType": ..., "encoding":
"base64"}`, with the `report` beside it. pygeoapi keeps its own jobs for async runs; the
job engine of the twin's own server (`twin.jobs`) is not involved here. A pygeoapi server
knows no scopes, so `batch-code` (which writes codes and buildings) is only configured
when asked for.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any, ClassVar

from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from api.processes import PROCESSES, Processes, job_input
from api.pygeoapi.provider import engine_for
from twin.errors import TwinError
from twin.settings import StoreSettings


def _metadata(process: str) -> dict[str, Any]:
    """pygeoapi's PROCESS_METADATA: our description, with pygeoapi's job options."""
    description = copy.deepcopy(PROCESSES[process])
    description["jobControlOptions"] = ["sync-execute", "async-execute"]
    description["links"] = []
    return description


_CACHES: dict[str, Any] = {}


def _processes(database_url: str) -> Processes:
    """One `Processes` (and so one address base) per store, shared by every request."""
    if database_url not in _CACHES:
        # Imported here: pygeoapi loads every configured plugin at start, and the address
        # index is only worth building once someone asks for it.
        from addressing.service import AddressBaseCache

        _CACHES[database_url] = Processes(engine_for(database_url), AddressBaseCache())
    return _CACHES[database_url]


class TwinProcessor(BaseProcessor):
    """The face of one of the twin's processes in pygeoapi."""

    process_id: ClassVar[str] = ""

    def __init__(self, processor_def: dict[str, Any]):
        """Remember which store the process runs against."""
        super().__init__(processor_def, _metadata(self.process_id))
        store = StoreSettings()
        configured = store.database_url if "database_url" in store.model_fields_set else None
        self.database_url = processor_def.get("data") or configured
        if not self.database_url:
            raise ProcessorExecuteError(
                f"the {self.process_id} process needs `data:` (a store URL) or "
                "TWIN_DATABASE_URL")

    def execute(self, data: dict[str, Any], outputs: dict | None = None
                ) -> tuple[str, dict[str, Any]]:
        """Run the process on `data` (the execute request's inputs); answer JSON."""
        assert self.database_url is not None
        try:
            given = job_input(self.process_id, data)
            outcome = _processes(self.database_url).run(self.process_id, given,
                                                        lambda percent, message: None)
        except TwinError as exc:
            raise ProcessorExecuteError(user_msg=str(exc)) from exc
        if outcome.media_type == "application/json":
            answer: dict[str, Any] = {"id": "result", "value": json.loads(outcome.data)}
        else:
            answer = {"id": "result", "value": base64.b64encode(outcome.data).decode(),
                      "mediaType": outcome.media_type, "encoding": "base64",
                      "name": outcome.name}
        if outcome.report:
            answer["report"] = outcome.report
        return "application/json", answer

    def __repr__(self) -> str:
        return f"<{type(self).__name__}> {self.name}"


class GeocodeProcessor(TwinProcessor):
    """`geocode`: typed addresses to standard addresses, codes and coordinates."""

    process_id = "geocode"


class ReverseGeocodeProcessor(TwinProcessor):
    """`reverse-geocode`: the nearest door or building addresses to a point."""

    process_id = "reverse-geocode"


class BatchGeocodeProcessor(TwinProcessor):
    """`batch-geocode`: one column of a CSV/Excel file geocoded."""

    process_id = "batch-geocode"


class BatchCodeProcessor(TwinProcessor):
    """`batch-code`: a building registry coded (writes codes and buildings)."""

    process_id = "batch-code"


class PlaceProcessor(TwinProcessor):
    """`place` (落图): township, community, grid and BeiDou code of features."""

    process_id = "place"


PROCESSORS: dict[str, type[TwinProcessor]] = {
    cls.process_id: cls for cls in (GeocodeProcessor, ReverseGeocodeProcessor,
                                    BatchGeocodeProcessor, BatchCodeProcessor, PlaceProcessor)
}
PROCESS_METADATA = _metadata("geocode")  # what pygeoapi's tooling looks for in a module
