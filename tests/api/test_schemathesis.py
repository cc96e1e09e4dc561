"""Schemathesis against the served OpenAPI document, on both stores, with a write key.

Every operation gets a bounded number of generated requests (reads and writes alike):
none may answer 5xx, and every answer must be one the document describes (status, media
type, headers, body schema). On PostGIS, the production store, schemathesis's coverage
phase also runs: each parameter's and body field's boundary and invalid values, and the
methods an operation does not have (about 6,000 requests). On SpatiaLite the generated
examples alone run: the coverage phase asks the same questions of the same HTTP and row
code, and would double the slowest test of the suite. Run with `SCHEMATHESIS_EXAMPLES=200`
for a longer search.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from api import create_app
from tests.conftest import settings_for
from tests.stores import STORES, sample_store

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
WRITER = {"X-API-Key": "writer-key"}


@pytest.fixture(scope="module", params=STORES)
def fuzzed_store(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def fuzzed_client(fuzzed_store: str, tmp_path_factory) -> Iterator[TestClient]:
    """The app over a private store of each kind holding the small sample: writes allowed."""
    with sample_store(fuzzed_store, tmp_path_factory.mktemp(f"fuzz-{fuzzed_store}")) as engine:
        # A small page maximum: generated requests ask for the maximum, and pages of 10,000
        # would make the search slow without finding more.
        config = settings_for(engine)
        config.api.max_limit = 50
        with TestClient(create_app(config), raise_server_exceptions=False) as c:
            yield c


@pytest.fixture(scope="module")
def api_schema(fuzzed_store: str, fuzzed_client: TestClient):
    """The document the app serves at /api, as schemathesis reads it."""
    phases = {"coverage": {"enabled": fuzzed_store == "postgis"}}
    return schemathesis.openapi.from_dict(fuzzed_client.get("/api").json(),
                                          config=SchemathesisConfig.from_dict({"phases": phases}))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.filterwarnings("ignore:Setting per-request cookies:DeprecationWarning")
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_as_documented(case, fuzzed_client):
    response = fuzzed_client.request(**case.as_transport_kwargs(base_url="http://testserver",
                                                                headers=WRITER))
    # A value the schema allows may still be refused for what a schema cannot say (a bbox
    # with min > max, a filter naming no column): that is a documented 400, not a failure.
    # And some values beyond the schema are served on purpose: a `limit` above the
    # maximum is served as the maximum (OGC API Features), an empty optional parameter
    # is read as absent. Every answer is still checked against the document, the method
    # checks included (an undocumented method answers 405 with the documented ones in Allow).
    case.validate_response(
        response, excluded_checks=[positive_data_acceptance, negative_data_rejection])
