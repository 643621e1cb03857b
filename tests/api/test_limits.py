"""Hostile documents are refused with a code before any resolver runs."""

import json

import pytest
from django.test import override_settings

from accounts.models import User


def post(client, body, **headers):
    return client.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=headers)


def error_codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


@pytest.mark.django_db
def test_depth_limit_refuses_deep_documents(client, settings):
    settings.GRAPHQL_MAX_DEPTH = 2
    deep = "{ users { edges { node { email } } } }"  # root fields are depth 0: email is at 3
    response = post(client, {"query": deep})
    assert error_codes(response) == ["QUERY_TOO_DEEP"]
    assert response.json().get("data") is None


@pytest.mark.django_db
def test_alias_limit(client, settings):
    settings.GRAPHQL_MAX_ALIASES = 3
    query = "{ " + " ".join(f"a{i}: me {{ email }}" for i in range(4)) + " }"
    assert error_codes(post(client, {"query": query})) == ["TOO_MANY_ALIASES"]


@pytest.mark.django_db
def test_token_limit(client, settings):
    settings.GRAPHQL_MAX_TOKENS = 50
    query = "{ " + " ".join("me { email }" for _ in range(20)) + " }"
    assert error_codes(post(client, {"query": query})) == ["TOO_MANY_TOKENS"]


@pytest.mark.django_db
def test_mutation_count_limit_runs_none_of_them(client, settings, make_user):
    settings.GRAPHQL_MAX_MUTATIONS = 2
    emails = [f"m{i}@example.com" for i in range(3)]
    query = (
        "mutation { "
        + " ".join(
            f'r{i}: register(input: {{email: "{email}", password: "a-Strong-pass-123"}}) {{ __typename }}'
            for i, email in enumerate(emails)
        )
        + " }"
    )
    response = post(client, {"query": query})
    assert error_codes(response) == ["TOO_MANY_MUTATIONS"]
    assert not User.objects.filter(email__in=emails).exists()


@pytest.mark.django_db
def test_batching_is_off(client):
    response = post(client, [{"query": "{ me { email } }"}, {"query": "{ me { email } }"}])
    assert response.status_code == 400


@pytest.mark.django_db
def test_mutations_over_get_are_refused(client):
    response = client.get("/graphql/", {"query": 'mutation { resendVerificationEmail(email: "a@b.c") { __typename } }'})
    assert response.status_code in (400, 405)


@pytest.mark.django_db
def test_queries_over_get_work(client):
    response = client.get("/graphql/", {"query": "{ me { email } }"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}


@pytest.mark.django_db
def test_request_body_cap(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, {"query": "{ me { email } }", "variables": {"pad": "x" * 2000}})
    assert response.status_code == 413
    assert error_codes(response) == ["REQUEST_TOO_LARGE"]


@pytest.mark.django_db
def test_introspection_and_graphiql_off_unless_enabled(client):
    query = {"query": "{ __schema { queryType { name } } }"}
    with override_settings(GRAPHQL_INTROSPECTION=False):
        assert set(error_codes(post(client, query))) == {"INTROSPECTION_DISABLED"}
        assert client.get("/graphql/", headers={"Accept": "text/html"}).status_code != 200
    with override_settings(GRAPHQL_INTROSPECTION=True):
        assert post(client, query).json()["data"]["__schema"]["queryType"]["name"] == "Query"
        page = client.get("/graphql/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and b"GraphiQL" in page.content


@pytest.mark.django_db
def test_unknown_fields_are_validation_errors_with_a_code(client):
    assert error_codes(post(client, {"query": "{ nope }"})) == ["GRAPHQL_VALIDATION_FAILED"]
    assert error_codes(post(client, {"query": "{ me { "})) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.django_db
def test_unexpected_errors_are_masked_and_logged(client, customer, monkeypatch, caplog):
    from accounts import services
    from tests.conftest import access_token

    def explode(**kwargs):
        raise RuntimeError("database password is hunter2 for customer@example.com")

    monkeypatch.setattr(services, "profile_update", explode)
    response = post(
        client,
        {"query": 'mutation { updateProfile(input: {firstName: "X"}) { __typename } }'},
        Authorization=f"JWT {access_token(customer)}",
    )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    # The id of the masked error is the request's (its log lines carry it: tests/system/test_observability.py).
    assert error["extensions"]["requestId"] == response["X-Request-ID"]
    assert "hunter2" not in response.content.decode()
    [logged] = [record for record in caplog.records if record.exc_info]
    assert "hunter2" in str(logged.exc_info[1])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arguments",
    [
        'after: "x"',  # not base64
        "first: -1",
        'before: "!!"',
        'after: "//79"',  # base64 of bytes that are not UTF-8
        'after: "Zm9vOjE="',  # "foo:1": a cursor of something else
        "last: 101",
    ],
)
def test_bad_pagination_arguments_are_client_errors_a_person_can_read(client, staff, arguments):
    from tests.conftest import access_token

    for headers in ({}, {"Authorization": f"JWT {access_token(staff)}"}):
        response = post(client, {"query": f"{{ users({arguments}) {{ totalCount }} }}"}, **headers)
        assert error_codes(response) == ["INVALID_PAGINATION"]
        [error] = response.json()["errors"]
        # The exact wording is tests/api/test_client_error_messages.py's: here, no internals.
        assert not any(word in error["message"] for word in ("base64", "codec", "literal", "padding"))
        assert any(argument in error["message"] for argument in ("'after'", "'first'", "'last'"))


@pytest.mark.django_db
def test_limits_apply_to_documents_the_caches_already_hold(client, settings):
    """Parsed and validated documents are cached; a lower limit still refuses them."""
    query = "{ " + " ".join(f"a{i}: users {{ edges {{ node {{ email }} }} }}" for i in range(4)) + " }"
    for _ in range(2):  # the second answer comes from the caches
        assert "errors" not in post(client, {"query": query}).json()
    settings.GRAPHQL_MAX_ALIASES = 3
    assert error_codes(post(client, {"query": query})) == ["TOO_MANY_ALIASES"]
    settings.GRAPHQL_MAX_ALIASES = 30
    settings.GRAPHQL_MAX_DEPTH = 2
    assert set(error_codes(post(client, {"query": query}))) == {"QUERY_TOO_DEEP"}
    settings.GRAPHQL_MAX_DEPTH = 10
    settings.GRAPHQL_MAX_TOKENS = 20
    assert error_codes(post(client, {"query": query})) == ["TOO_MANY_TOKENS"]
    settings.GRAPHQL_MAX_TOKENS = 2000
    assert "errors" not in post(client, {"query": query}).json()
    with override_settings(GRAPHQL_INTROSPECTION=False):
        introspection = {"query": "{ __schema { queryType { name } } }"}
        assert set(error_codes(post(client, introspection))) == {"INTROSPECTION_DISABLED"}
        assert set(error_codes(post(client, introspection))) == {"INTROSPECTION_DISABLED"}


def test_a_syntax_error_keeps_its_code_with_the_parser_cache(client):
    assert error_codes(post(client, {"query": "{ me { "})) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ me { ", "GRAPHQL_PARSE_FAILED"),
        ('{ products(after: "x") { totalCount } }', "INVALID_PAGINATION"),
    ],
)
def test_client_errors_are_logged_as_one_line_without_a_traceback(client, caplog, query, code):
    caplog.set_level("INFO")
    assert error_codes(post(client, {"query": query})) == [code]
    errors_logged = [record for record in caplog.records if "error" in record.getMessage().lower()]
    [logged] = errors_logged
    assert logged.exc_info is None
    assert code in logged.getMessage() and "\n" not in logged.getMessage()
