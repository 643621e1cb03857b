"""The client address comes from X-Forwarded-For only when the peer is in
FORWARDED_ALLOW_IPS (uvicorn's setting, honoured by the image's CMD): the
login throttle's per-IP buckets and the access log use it, and a header
spoofed by an untrusted peer is ignored."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from django.contrib.auth.hashers import make_password

from tests.api.accounts.operations import TOKEN_AUTH
from tests.conftest import DEFAULT_PASSWORD
from tests.processes import RunningProcess, free_port, process_env, running, wait_until_serving
from tests.system.deploy.definitions import image_env, local_argv

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("real_services")]

ATTEMPTS = 3


@contextmanager
def web_behind(forwarded_allow_ips: str) -> Iterator[RunningProcess]:
    port = free_port()
    env = process_env(
        **{
            **image_env(),
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
            "AUTH_RATE_LIMIT": f"{ATTEMPTS}/m",
        }
    )
    with running(local_argv("web", env), env) as web:
        web.url = f"http://127.0.0.1:{port}"
        wait_until_serving(web, path="/graphql/", timeout=60)
        yield web


def login(web: RunningProcess, email: str, password: str, forwarded_for: str) -> dict:
    response = requests.post(
        f"{web.url}/graphql/",
        json={"query": TOKEN_AUTH, "variables": {"email": email, "password": password}},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )
    return response.json()["data"]["tokenAuth"]


def staff_member(make_user) -> None:
    # Tests hash with MD5 for speed; a production-mode server knows only the real hashers.
    user = make_user("staff@example.com", staff=True)
    user.password = make_password(DEFAULT_PASSWORD, hasher="argon2")
    user.save(update_fields=["password"])


def codes(payload: dict) -> list[str]:
    return [message["code"] for message in payload.get("messages") or []]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_bucket(make_user):
    staff_member(make_user)
    with web_behind(forwarded_allow_ips="127.0.0.1") as web:
        # Guessing different emails from one client address uses up that address's bucket only.
        for attempt in range(ATTEMPTS):
            failed = login(web, f"guess{attempt}@example.com", "wrong", forwarded_for="203.0.113.1")
            assert codes(failed) == ["INVALID_CREDENTIALS"]
        assert codes(login(web, "staff@example.com", DEFAULT_PASSWORD, forwarded_for="203.0.113.1")) == ["RATE_LIMITED"]

        other_client = login(web, "staff@example.com", DEFAULT_PASSWORD, forwarded_for="203.0.113.2")

        assert other_client["__typename"] == "TokenPayload", other_client
        assert web.access_lines()[-1]["client_ip"] == "203.0.113.2"


def test_an_untrusted_peer_cannot_escape_the_throttle_by_spoofing_the_header(make_user):
    staff_member(make_user)
    with web_behind(forwarded_allow_ips="10.255.255.1") as web:
        for attempt in range(ATTEMPTS):
            failed = login(web, f"guess{attempt}@example.com", "wrong", forwarded_for=f"198.51.100.{attempt}")
            assert codes(failed) == ["INVALID_CREDENTIALS"]

        spoofed = login(web, "staff@example.com", DEFAULT_PASSWORD, forwarded_for="198.51.100.99")

        assert codes(spoofed) == ["RATE_LIMITED"]
        assert {line["client_ip"] for line in web.access_lines()} == {"127.0.0.1"}
        assert "198.51.100." not in web.output()
