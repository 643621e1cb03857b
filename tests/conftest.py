"""Shared test fixtures: a GraphQL client over real HTTP handling, users,
tokens, and a way to run the Dramatiq actors that requests enqueued."""

import json
from collections.abc import Callable

import dramatiq
import pytest
from channels.layers import channel_layers
from django.core.cache import cache
from django.db import connection
from django.utils.module_loading import autodiscover_modules
from dramatiq import Message

from accounts.models import User
from accounts.tokens import token_pair_issue

DEFAULT_PASSWORD = "correct-Horse-battery-9"

# Declare every actor now, so they all bind to the test broker.
autodiscover_modules("tasks")


@pytest.fixture(autouse=True)
def _isolated_cache_and_broker():
    cache.clear()
    dramatiq.get_broker().flush_all()
    yield
    dramatiq.get_broker().flush_all()


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    # Each async test runs its own event loop, and a Redis layer keeps receive
    # state bound to a loop; a consumer an earlier test left behind broke later ones.
    channel_layers.backends.clear()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        *,
        password: str = DEFAULT_PASSWORD,
        verified: bool = True,
        staff: bool = False,
        superuser: bool = False,
        active: bool = True,
        **fields,
    ) -> User:
        email = email or f"user{next(counter)}@example.com"
        return User.objects.create_user(
            email,
            password,
            email_verified=verified,
            is_staff=staff or superuser,
            is_superuser=superuser,
            is_active=active,
            **fields,
        )

    return make


@pytest.fixture
def customer(make_user) -> User:
    return make_user("customer@example.com", first_name="Cora")


@pytest.fixture
def staff(make_user) -> User:
    return make_user("staff@example.com", staff=True)


@pytest.fixture
def superuser(make_user) -> User:
    return make_user("root@example.com", superuser=True)


def access_token(user: User) -> str:
    return token_pair_issue(user=user).token


class GraphQLClient:
    """Posts to /graphql/ through Django's full request handling.

    Like a real request, each call commits: on_commit callbacks (enqueued
    actors, events) run when the call returns.
    """

    def __init__(self, client, capture_on_commit):
        self.client = client
        self.capture_on_commit = capture_on_commit
        self.last_response = None

    def __call__(
        self,
        query: str,
        variables: dict | None = None,
        *,
        user: User | None = None,
        token: str | None = None,
        headers: dict | None = None,
    ) -> dict:
        """The `data` of a request that must succeed without errors."""
        response = self.post(query, variables, user=user, token=token, headers=headers)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def error_codes(self, query: str, variables: dict | None = None, **credentials) -> list[str]:
        """The codes of the top-level errors of a request."""
        return [error["extensions"]["code"] for error in self.post(query, variables, **credentials).json()["errors"]]

    def post(
        self,
        query: str,
        variables: dict | None = None,
        *,
        user: User | None = None,
        token: str | None = None,
        headers: dict | None = None,
    ):
        headers = dict(headers or {})
        if user is not None:
            token = access_token(user)
        if token is not None:
            headers["Authorization"] = f"JWT {token}"
        with self.capture_on_commit(execute=True):
            response = self.client.post(
                "/graphql/",
                data=json.dumps({"query": query, "variables": variables or {}}),
                content_type="application/json",
                headers=headers,
            )
        self.last_response = response
        return response


@pytest.fixture
def gql(client, django_capture_on_commit_callbacks) -> GraphQLClient:
    return GraphQLClient(client, django_capture_on_commit_callbacks)


@pytest.fixture
def run_tasks() -> Callable[[], int]:
    """Run every enqueued actor message in this thread (and this DB transaction)."""

    def run() -> int:
        broker = dramatiq.get_broker()
        done = 0
        while True:
            pending = [q for q in broker.queues.values() if not q.empty()]
            if not pending:
                return done
            for queue in pending:
                while not queue.empty():
                    message = Message.decode(queue.get_nowait())
                    # Settle the queue's count, or a later broker.join() waits forever.
                    queue.task_done()
                    broker.get_actor(message.actor_name).fn(*message.args, **message.kwargs)
                    done += 1

    return run


def messages(payload: dict) -> list[dict]:
    """The OperationInfo messages of a mutation result (empty on success)."""
    return payload.get("messages") or []


def codes(payload: dict) -> list[str]:
    return [message["code"] for message in messages(payload)]


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
