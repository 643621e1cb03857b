"""`/health/`: JSON status of the database, the cache and the task broker."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_health_reports_every_dependency(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_health_with_the_cache_down_is_degraded_but_up(client):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["cache"] == "unavailable"
    assert body["database"] == "ok"
    assert body["status"] == "degraded"
    # The cache is back once the settings are.
    assert client.get("/health/").json()["cache"] == "ok"


def test_graphql_keeps_working_with_the_cache_down(client, customer):
    """Throttling lives in the cache and degrades open: logins keep working."""
    import json

    from tests.conftest import DEFAULT_PASSWORD

    query = "mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p) { __typename } }"
    with override_settings(CACHES=UNREACHABLE_REDIS):
        for password in ("wrong", DEFAULT_PASSWORD):
            response = client.post(
                "/graphql/",
                json.dumps({"query": query, "variables": {"e": customer.email, "p": password}}),
                content_type="application/json",
            )
            assert response.status_code == 200
    assert response.json()["data"]["tokenAuth"]["__typename"] == "TokenPayload"
