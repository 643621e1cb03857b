"""Throttles count an attempt before doing its work, atomically: parallel
attempts cannot all pass, with Redis up or down (the database counts then)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests
from django.contrib.auth.hashers import make_password
from django.test import override_settings

from tests.accounts.operations import TOKEN_AUTH
from tests.conftest import DEFAULT_PASSWORD, codes
from tests.processes import running_redis, running_server

pytestmark = pytest.mark.django_db

LIMIT = 5
PARALLEL = 40
# A cache nobody answers: django-redis with IGNORE_EXCEPTIONS answers None to everything.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def _parallel_wrong_passwords(url: str, email: str) -> Counter:
    """Fire PARALLEL wrong-password logins for `email` at once; count the answers' codes."""
    start = Barrier(PARALLEL)

    def attempt(n: int) -> str:
        start.wait()
        variables = {"email": email, "password": f"wrong-{n}"}
        response = requests.post(f"{url}/graphql/", json={"query": TOKEN_AUTH, "variables": variables}, timeout=120)
        assert response.status_code == 200, response.text
        [code] = codes(response.json()["data"]["tokenAuth"])
        return code

    with ThreadPoolExecutor(PARALLEL) as pool:
        return Counter(pool.map(attempt, range(PARALLEL)))


def _assert_at_most_limit_checked(answers: Counter) -> None:
    # The email's and the IP's counters see the attempts in different orders, so
    # fewer than LIMIT attempts may be under both: at most LIMIT, never more.
    assert set(answers) <= {"INVALID_CREDENTIALS", "RATE_LIMITED"}, answers
    assert 1 <= answers["INVALID_CREDENTIALS"] <= LIMIT, answers
    assert answers["RATE_LIMITED"] == PARALLEL - answers["INVALID_CREDENTIALS"]


@pytest.fixture
def argon2_customer(make_user):
    """A customer whose password check costs what it costs in production (Argon2)."""
    user = make_user("victim@example.com")
    user.password = make_password(DEFAULT_PASSWORD, hasher="argon2")
    user.save(update_fields=["password"])
    return user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_reach_the_password_check_at_most_limit_times(argon2_customer, is_postgres):
    if not is_postgres:
        pytest.skip("real processes share a PostgreSQL database")
    with running_server(AUTH_RATE_LIMIT=f"{LIMIT}/m") as server:
        answers = _parallel_wrong_passwords(server.url, argon2_customer.email)

    _assert_at_most_limit_checked(answers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_are_throttled_in_the_database_while_redis_is_down(argon2_customer, is_postgres):
    if not is_postgres:
        pytest.skip("real processes share a PostgreSQL database")
    with (
        running_redis() as cache_redis,
        running_server(AUTH_RATE_LIMIT=f"{LIMIT}/m", REDIS_URL=cache_redis.url) as server,
    ):
        cache_redis.kill()
        answers = _parallel_wrong_passwords(server.url, argon2_customer.email)

    _assert_at_most_limit_checked(answers)


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
