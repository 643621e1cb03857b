"""Login throttles through the API: counted in the database when the cache is
unreachable, and only failures count against a shared client IP
(tests/system/test_login_throttle.py races real servers)."""

import pytest
from django.test import override_settings

from tests.api.accounts.operations import TOKEN_AUTH
from tests.conftest import DEFAULT_PASSWORD, codes

pytestmark = pytest.mark.django_db

# A cache nobody answers: django-redis with IGNORE_EXCEPTIONS answers None to everything.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@override_settings(AUTH_RATE_LIMIT="3/m", CACHES=UNREACHABLE_CACHE)
def test_logins_are_throttled_without_the_cache(customer, post_from):
    def attempt(password: str, ip: str) -> dict:
        return post_from(TOKEN_AUTH, {"email": customer.email, "password": password}, ip=ip)["tokenAuth"]

    for n in range(2):
        assert codes(attempt("nope", f"10.4.0.{n}")) == ["INVALID_CREDENTIALS"]
    # A success starts the email again, also when it is counted in the database.
    assert attempt(DEFAULT_PASSWORD, "10.4.0.9")["__typename"] == "TokenPayload"
    assert [codes(attempt("nope", f"10.4.1.{n}")) for n in range(4)] == [["INVALID_CREDENTIALS"]] * 3 + [
        ["RATE_LIMITED"]
    ]
    assert codes(attempt(DEFAULT_PASSWORD, "10.4.2.1")) == ["RATE_LIMITED"]


@override_settings(AUTH_RATE_LIMIT="3/m")
def test_successful_logins_do_not_use_up_a_shared_client_ip(make_user, post_from):
    """Only failures count against an address many people share (an office behind NAT)."""
    users = [make_user(f"colleague{n}@example.com") for n in range(5)]
    answers = [
        post_from(TOKEN_AUTH, {"email": user.email, "password": DEFAULT_PASSWORD}, ip="10.5.5.5")["tokenAuth"]
        for user in users
    ]
    assert [answer["__typename"] for answer in answers] == ["TokenPayload"] * 5
