"""Real servers under parallel wrong-password logins: throttles count an attempt before
doing its work, atomically, so parallel attempts cannot all pass, with Redis up or down
(the database counts then)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests
from django.contrib.auth.hashers import make_password

from tests.api.accounts.operations import TOKEN_AUTH
from tests.conftest import DEFAULT_PASSWORD, codes
from tests.processes import running_redis, running_server

pytestmark = pytest.mark.django_db

LIMIT = 5
PARALLEL = 40


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
