"""Fixtures of the accounts tests: logging in through the API, reading the
links out of sent emails, and raw HTTP posts for client-IP specifics."""

import json
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core import mail

from tests.api.accounts.operations import TOKEN_AUTH
from tests.conftest import DEFAULT_PASSWORD


@pytest.fixture
def login(gql) -> Callable[..., dict]:
    """`tokenAuth` through the API; returns the mutation's result."""

    def do(email: str, password: str = DEFAULT_PASSWORD, **kwargs) -> dict:
        return gql(TOKEN_AUTH, {"email": email, "password": password}, **kwargs)["tokenAuth"]

    return do


@pytest.fixture
def link_token() -> Callable[[str, str], str]:
    """The token of the `<FRONTEND_URL>/<path>?token=` link in the last email to `to`."""

    def find(to: str, path: str) -> str:
        sent = [message for message in mail.outbox if to in message.to]
        assert sent, f"no email to {to}"
        match = re.search(rf"{re.escape(settings.FRONTEND_URL)}/{path}\?token=(\S+)", sent[-1].body)
        assert match, sent[-1].body
        return match.group(1)

    return find


@pytest.fixture
def post_from(client, django_capture_on_commit_callbacks) -> Callable[..., dict]:
    """POST a GraphQL document from a given client IP; returns the JSON body."""

    def post(query: str, variables: dict, *, ip: str) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/graphql/",
                data=json.dumps({"query": query, "variables": variables}),
                content_type="application/json",
                REMOTE_ADDR=ip,
            )
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    return post
