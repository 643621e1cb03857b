"""Property-based fuzzing of the whole schema (hypothesis-graphql).

Generated queries and mutations, valid against the SDL, are posted through
Django as an anonymous caller, a customer and a staff member. Whatever they
ask, the server answers 200 (or a 4xx refusal with a code), never a 5xx and
never a masked INTERNAL_ERROR. `FUZZ_EXAMPLES` sets the budget (`make fuzz`).
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import mutations, queries

from tests.api.fuzz_scalars import SCALARS, SDL
from tests.conftest import access_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check(client, document: str, headers: dict) -> None:
    response = client.post(
        "/graphql/", data=json.dumps({"query": document}), content_type="application/json", headers=headers
    )
    assert response.status_code < 500, (document, response.content[:500])
    if response.status_code == 200:
        errors = response.json().get("errors") or []
        unexpected = [e for e in errors if (e.get("extensions") or {}).get("code") == "INTERNAL_ERROR"]
        assert not unexpected, (document, unexpected)


@pytest.fixture(params=["anonymous", "customer", "staff"])
def auth_headers(request, make_user):
    if request.param == "anonymous":
        return {}
    user = make_user(f"fuzz-{request.param}@example.com", staff=request.param == "staff")
    return {"Authorization": f"JWT {access_token(user)}"}


@pytest.mark.django_db
@FUZZ
@given(document=queries(SDL, custom_scalars=SCALARS))
def test_queries_never_fail_unexpectedly(client, auth_headers, document):
    _check(client, document, auth_headers)


@pytest.mark.django_db
@FUZZ
@given(document=mutations(SDL, custom_scalars=SCALARS))
def test_mutations_never_fail_unexpectedly(client, auth_headers, document):
    _check(client, document, auth_headers)
