"""A bounded schemathesis run over every operation of a real `assistant serve` process, from its own /openapi.json.

Valid and invalid requests generated from the spec (hypothesis, derandomized: the same requests every run). The
run fails on any 5xx, any status or body the spec does not document for the operation, and any response that
shows a Python traceback. The admin routes are fuzzed as a client without the token sees them: the server has
no ASSISTANT_ADMIN_TOKEN, so they answer 404 and POST /v1/admin/reindex never starts a rebuild.

One pytest test per operation, each running its own hypothesis test: schemathesis' own pytest integration for a
schema loaded at run time (``schemathesis.pytest.from_fixture``) fails on pytest 9 (it sets ``Function._nodeid``,
which pytest 9 no longer has). The operations are listed at collection from the app itself (no server needed),
and ``test_the_fuzzed_operations_are_all_the_served_ones`` checks the live spec has no others.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from conftest import running_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

EXAMPLES_PER_OPERATION = 40
REQUESTS: list[str] = []  # one "METHOD path status" per request made: the size of the run, printed at the end


def served_operations() -> list[tuple[str, str]]:
    from assistant.api.app import create_app
    from assistant.settings import Settings

    spec = create_app(Settings(ui=False)).openapi()  # the routes only: no index is loaded before the lifespan
    return [(method.upper(), path) for path, operations in spec["paths"].items() for method in operations]


OPERATIONS = served_operations()


@schemathesis.check
def no_traceback(ctx, response, case) -> None:
    # the generic 500 handler keeps traces in the log; a body that shows one leaks the server's insides
    REQUESTS.append(f"{case.method} {case.path} {response.status_code}")
    if "Traceback (most recent call last)" in response.text or 'File "/' in response.text:
        raise AssertionError(f"a traceback in the response to {case.method} {case.path}")


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, no_traceback]


@pytest.fixture(scope="module")
def fuzzed_server(corpus_index):
    # the web UI on, as deployed: a wrong method or path under the API must not reach the UI mounted at /
    env = {"ASSISTANT_RATE_LIMIT_PER_MINUTE": "0", "ASSISTANT_UI": "true", "ASSISTANT_ADMIN_TOKEN": ""}
    with running_server(corpus_index, env=env) as (url, _):
        yield url
    statuses = Counter(request.rsplit(" ", 1)[1] for request in REQUESTS)
    print(f"\nschemathesis: {len(REQUESTS)} requests over {len(OPERATIONS)} operations, by status: "
          f"{dict(sorted(statuses.items()))}")


@pytest.fixture(scope="module")
def api_schema(fuzzed_server):
    return schemathesis.openapi.from_url(f"{fuzzed_server}/openapi.json", timeout=30)


def test_the_fuzzed_operations_are_all_the_served_ones(api_schema):
    served = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_survives_generated_requests(api_schema, fuzzed_server, method, path):
    operation = api_schema[path][method]
    # valid requests (the answering code runs) and invalid ones (the refusals must be documented too)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def survives(case) -> None:
        case.call_and_validate(base_url=fuzzed_server, timeout=60, checks=CHECKS)

    survives()
