"""An access token that does not authenticate is refused over HTTP, never served anonymously."""

from datetime import timedelta

import pytest
from django.test import Client

from accounts.tokens import token_pair_issue
from tests.api.accounts.operations import ME, REFRESH

pytestmark = pytest.mark.django_db

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def expired_pair(customer, settings):
    settings.JWT_ACCESS_TTL = timedelta(seconds=-1)
    pair = token_pair_issue(user=customer)
    settings.JWT_ACCESS_TTL = timedelta(minutes=5)
    return pair


def test_an_expired_token_asks_for_a_refresh_and_the_refresh_still_runs(gql, expired_pair):
    assert gql.error_codes(ME, token=expired_pair.token) == ["TOKEN_EXPIRED"]
    assert gql.last_response.status_code == 200  # application/json: 200, like any request error

    # The client's refresh call may still carry the expired token: it runs.
    refreshed = gql(REFRESH, {"refreshToken": expired_pair.refresh_token}, token=expired_pair.token)["refreshToken"]
    assert refreshed["__typename"] == "TokenPayload"
    assert gql(ME, token=refreshed["token"])["me"]["email"] == "customer@example.com"


def test_with_graphql_response_json_a_refused_token_is_401(gql, expired_pair):
    for token, code in ((expired_pair.token, "TOKEN_EXPIRED"), ("garbage", "INVALID_TOKEN")):
        response = gql.post(ME, token=token, headers={"Accept": GRAPHQL_RESPONSE})
        assert response.status_code == 401
        assert response.json() == {
            "errors": [{"message": response.json()["errors"][0]["message"], "extensions": {"code": code}}]
        }


def test_an_expired_or_broken_access_cookie_is_refused_too(expired_pair):
    browser = Client(enforce_csrf_checks=True)
    for cookie, code in ((expired_pair.token, "TOKEN_EXPIRED"), ("not.a.token", "INVALID_TOKEN")):
        browser.cookies["JWT"] = cookie
        response = browser.get("/graphql/", {"query": ME}, headers={"Accept": "application/json"})
        assert response.json()["errors"][0]["extensions"]["code"] == code
