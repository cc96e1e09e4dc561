"""OGC API - Processes: the process descriptions, input checks and what each process runs.

The HTTP routes (`api.routers.processes`) and the pygeoapi plugins (`api.pygeoapi.process`)
are faces over `Processes`; the job workers of `twin.jobs` run it too.
"""

from api.processes.descriptions import PROCESSES, WRITES, summary
from api.processes.inputs import job_input
from api.processes.run import Processes

__all__ = ["PROCESSES", "WRITES", "Processes", "job_input", "summary"]
