"""A bounded fuzz run: schemathesis over every service's OpenAPI document and the gateway's.

Each operation gets a fixed number of generated requests, valid ones and ones that break the
schema, derandomized so a run is the same on every machine. Not one may answer a server error,
every refusal must be a problem document (RFC 9457), and every answer must be what the document
says of it (a listed status, the declared content type, a body valid against the declared schema). 25 requests per operation, about 2,400
in all, take some 80 s on two cores with the servers' start; FUZZ_EXAMPLES=200 makes a longer hunt.
"""

import os
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

# schemathesis draws from `random` inside its strategies; derandomized, the run is still the same each time.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
PROBLEM = "application/problem+json"
# Every answer must be what the document says of it: its status listed, its content type and its
# body the schema declared for that status. A client generated from the document relies on that.
CONTRACT_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]


def fuzz(base_url: str, headers: dict[str, str], examples: int = EXAMPLES) -> tuple[int, list[str]]:
    """(requests sent, what went wrong) for every operation of the API at base_url."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()  # one pool, kept alive, as the gateway keeps its own
    sent = 0
    faults: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=examples, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(cases)
        def run(case: Any) -> None:
            nonlocal sent
            try:
                response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
                if (wait := _shed_for(response)) is not None:
                    # Load shedding said "busy, come back shortly", as it may while the suite's one
                    # loop serving every app lags: a client does as told, once. A second refusal
                    # counts, and any other server error at once.
                    time.sleep(wait)
                    response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
            except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeError):
                return  # the client itself would not send it: nothing reached the server
            sent += 1
            status = response.status_code
            kind = ";".join(response.headers.get("content-type", []))  # schemathesis lists each header's values
            if status >= 500:
                faults.append(f"{status} {case.method} {case.formatted_path} {_shown(case)}: {response.text[:300]}")
            elif status >= 400 and not kind.startswith(PROBLEM):
                faults.append(f"{status} not a problem ({kind}) {case.method} {case.formatted_path} {_shown(case)}")
            try:
                case.validate_response(response, checks=CONTRACT_CHECKS)
            except FailureGroup as failed:  # one failure per check that failed
                summary = " | ".join(f"{type(e).__name__}: {getattr(e, 'title', e)}" for e in failed.exceptions)
                faults.append(f"{status} breaks the document {case.method} {case.formatted_path} {_shown(case)}: "
                              f"{summary[:400]}")

        run()
    return sent, faults


def _shed_for(response: Any) -> float | None:
    """How long load shedding (servicekit.shedding) asked to wait: its refusal is a 503 with
    Retry-After; None for any other answer. (schemathesis lists each header's values.)"""
    if response.status_code != 503:
        return None
    values = next((v for name, v in response.headers.items() if name.lower() == "retry-after"), None)
    return float(values[0]) if values else None


def _shown(case: Any) -> str:
    return f"query={case.query!r} body={str(getattr(case, 'body', None))[:200]!r}"


Api = tuple[str, Callable[[Any, UUID], dict[str, str]]]
APIS: dict[str, Api] = {
    "gateway": ("gateway", lambda crm, account: crm.token(account)),
    "offers": ("offers", lambda crm, account: crm.proof(account)),
    "orders": ("orders", lambda crm, account: crm.proof(account)),
    "payments": ("payments", lambda crm, account: crm.proof(account)),
    "notifications": ("notifications", lambda crm, account: crm.proof(account)),
}


@pytest.mark.parametrize("api", list(APIS))
def test_no_input_makes_a_server_error(crm, account, api):
    name, credentials = APIS[api]
    sent, faults = fuzz(crm.urls[name], credentials(crm, account))
    print(f"{api}: {sent} requests, {len(faults)} wrong")
    assert sent > 0
    assert faults == [], f"{len(faults)} of {sent} requests went wrong:\n" + "\n".join(faults[:40])
