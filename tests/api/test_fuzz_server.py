"""Schemathesis in GraphQL mode against a real production-mode server.

Every query and mutation of schema.graphql gets generated documents and
variables (NUL bytes, huge numbers, odd text included), sent over HTTP to
uvicorn as an anonymous caller, a customer and a staff member. No answer may
be a 5xx, a body that is not GraphQL JSON, an INTERNAL_ERROR, or an error
without a code. Problems are collected over the whole run and reported
together (operation, caller, what went wrong, the document).

Bounded by `FUZZ_SERVER_EXAMPLES` (examples per operation and caller); off
unless set: `.ci/run` runs a short budget, `make fuzz` a long one.
"""

import contextlib
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from accounts.tokens import token_pair_issue
from tests.api.fuzz_scalars import SCALARS
from tests.processes import ROOT, running_server

EXAMPLES = int(os.environ.get("FUZZ_SERVER_EXAMPLES", "0"))
SCHEMA = schemathesis.graphql.from_path(ROOT / "schema.graphql")
for _name, _strategy in SCALARS.items():
    schemathesis.graphql.scalar(_name, _strategy)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not EXAMPLES, reason="set FUZZ_SERVER_EXAMPLES to fuzz a real server (make fuzz)"),
]


def problem_of(response: requests.Response) -> str | None:
    """What is wrong with an answer, or None."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, not JSON"
    if not isinstance(body, dict) or not ({"data", "errors"} & body.keys()):
        return f"HTTP {response.status_code}, not a GraphQL answer"
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None:
            return f"no code: {error.get('message')!r}"
        if code == "INTERNAL_ERROR":
            return f"INTERNAL_ERROR at {error.get('path')}"
    return None


def fuzz_operation(operation, url: str, caller: str, headers: dict, problems: dict) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        response = case.call(base_url=url, headers=headers, timeout=60)
        problem = problem_of(response)
        if problem is not None:
            problems.setdefault((operation.label, caller, problem), case.body)

    with contextlib.suppress(Unsatisfiable):  # no document can be built for it: nothing to send
        run()


def test_the_fuzzer_finds_no_server_error(make_user):
    customer = make_user("fuzz-customer@example.com")
    staff = make_user("fuzz-staff@example.com", staff=True)
    callers = {"anonymous": {}} | {
        name: {"Authorization": f"JWT {token_pair_issue(user=user).token}"}
        for name, user in (("customer", customer), ("staff", staff))
    }
    problems: dict = {}
    # Login throttles would turn most auth mutations into RATE_LIMITED: raise them for the run.
    with running_server(AUTH_RATE_LIMIT="100000/m") as server:
        url = f"{server.url}/graphql/"
        operations = [result.ok() for result in SCHEMA.get_all_operations()]
        assert len(operations) > 50
        for operation in operations:
            for caller, headers in callers.items():
                fuzz_operation(operation, url, caller, headers, problems)
        log = server.output()
    report = "\n\n".join(
        f"{label} as {caller}: {problem}\n{body}" for (label, caller, problem), body in problems.items()
    )
    assert not problems, f"{len(problems)} problems:\n\n{report}\n\nserver log tail:\n{log[-3000:]}"
