"""SPA cookie mode: HttpOnly JWT cookies, CSRF-checked; header auth never is."""

import json

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import RefreshToken
from tests.api.accounts.operations import LOGOUT, ME, REFRESH, TOKEN_AUTH, UPDATE_PROFILE
from tests.conftest import DEFAULT_PASSWORD, access_token

pytestmark = pytest.mark.django_db

RENAME = {"input": {"firstName": "Renamed"}}


@pytest.fixture
def browser() -> Client:
    """A client that enforces CSRF like a browser session would."""
    return Client(enforce_csrf_checks=True)


def post(client: Client, query: str, variables: dict | None = None, **headers):
    return client.post(
        "/graphql/",
        data=json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def logged_in(browser, customer) -> Client:
    """`browser` after tokenAuth(cookie: true)."""
    response = post(browser, TOKEN_AUTH, {"email": customer.email, "password": DEFAULT_PASSWORD, "cookie": True})
    assert response.status_code == 200
    assert response.json()["data"]["tokenAuth"]["__typename"] == "TokenPayload"
    return browser


def csrf_headers(client: Client) -> dict:
    return {"X-CSRFToken": client.cookies[settings.CSRF_COOKIE_NAME].value}


def test_token_auth_with_cookie_sets_httponly_cookies(browser, customer):
    response = post(browser, TOKEN_AUTH, {"email": customer.email, "password": DEFAULT_PASSWORD, "cookie": True})

    data = response.json()["data"]["tokenAuth"]
    access, refresh = response.cookies["JWT"], response.cookies["JWT-refresh-token"]
    assert access.value == data["token"]
    assert refresh.value == data["refreshToken"]
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    assert int(access["max-age"]) == settings.JWT_ACCESS_TTL.total_seconds()
    assert int(refresh["max-age"]) == settings.JWT_REFRESH_TTL.total_seconds()
    # The SPA gets the CSRF cookie it must echo back.
    assert response.cookies[settings.CSRF_COOKIE_NAME].value


def test_without_cookie_flag_no_cookies_are_set(browser, customer):
    response = post(browser, TOKEN_AUTH, {"email": customer.email, "password": DEFAULT_PASSWORD})

    assert response.json()["data"]["tokenAuth"]["__typename"] == "TokenPayload"
    assert "JWT" not in response.cookies
    assert "JWT-refresh-token" not in response.cookies


def test_cookie_authenticated_post_without_csrf_token_is_refused(logged_in, customer):
    response = post(logged_in, UPDATE_PROFILE, RENAME)

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    customer.refresh_from_db()
    assert customer.first_name == "Cora"
    # A wrong token is refused the same way.
    wrong = post(logged_in, UPDATE_PROFILE, RENAME, **{"X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403
    assert wrong.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    customer.refresh_from_db()
    assert customer.first_name == "Cora"


def test_cookie_authenticated_post_with_csrf_token_works(logged_in, customer):
    me = post(logged_in, ME, **csrf_headers(logged_in))
    renamed = post(logged_in, UPDATE_PROFILE, RENAME, **csrf_headers(logged_in))

    assert me.json()["data"]["me"]["email"] == "customer@example.com"
    assert renamed.status_code == 200
    assert renamed.json()["data"]["updateProfile"]["user"]["firstName"] == "Renamed"
    customer.refresh_from_db()
    assert customer.first_name == "Renamed"


def test_queries_over_get_need_no_csrf_token(logged_in):
    response = logged_in.get("/graphql/", {"query": ME}, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["data"]["me"]["email"] == "customer@example.com"


def test_header_auth_is_never_csrf_checked(browser, customer):
    response = post(browser, UPDATE_PROFILE, RENAME, Authorization=f"JWT {access_token(customer)}")

    assert response.status_code == 200
    assert response.json()["data"]["updateProfile"]["user"]["firstName"] == "Renamed"


def test_a_header_overrides_the_cookies(logged_in, make_user):
    other = make_user("other@example.com")

    response = post(logged_in, ME, Authorization=f"Bearer {access_token(other)}")

    assert response.json()["data"]["me"]["email"] == "other@example.com"


def test_refresh_from_the_cookie_rotates_the_cookies(logged_in, customer):
    old_refresh = logged_in.cookies["JWT-refresh-token"].value

    without_csrf = post(logged_in, REFRESH)
    assert without_csrf.status_code == 403
    assert RefreshToken.objects.filter(rotated_at__isnull=False).count() == 0

    response = post(logged_in, REFRESH, **csrf_headers(logged_in))

    data = response.json()["data"]["refreshToken"]
    assert data["__typename"] == "TokenPayload"
    assert response.cookies["JWT-refresh-token"].value == data["refreshToken"] != old_refresh
    assert response.cookies["JWT"].value == data["token"]
    assert post(logged_in, ME, **csrf_headers(logged_in)).json()["data"]["me"]["email"] == customer.email


def test_logout_clears_the_cookies_and_kills_the_tokens(logged_in, customer):
    access = logged_in.cookies["JWT"].value
    refresh = logged_in.cookies["JWT-refresh-token"].value

    response = post(logged_in, LOGOUT, **csrf_headers(logged_in))

    assert response.json()["data"]["logout"] == {"__typename": "OkPayload", "ok": True}
    assert response.cookies["JWT"].value == ""
    assert response.cookies["JWT-refresh-token"].value == ""
    stale = Client(enforce_csrf_checks=True)
    assert post(stale, ME, Authorization=f"JWT {access}").json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    refreshed = post(stale, REFRESH, {"refreshToken": refresh}).json()["data"]["refreshToken"]
    assert refreshed["messages"][0]["code"] == "INVALID_TOKEN"


def test_mutations_over_get_are_refused_so_cookies_cannot_be_ridden_by_links(logged_in, customer):
    response = logged_in.get(
        "/graphql/", {"query": 'mutation { updateProfile(input: {firstName: "Renamed"}) { __typename } }'}
    )

    assert response.status_code in (400, 405)
    customer.refresh_from_db()
    assert customer.first_name == "Cora"
