"""The worker's outbox relay drains at the rate the outbox fills: 5,000 messages
queued while the broker (a real Redis we kill) is down are all sent within a
minute of its recovery, each exactly once."""

import json
import time

import dramatiq
import pytest
import redis
from django.db import transaction
from dramatiq.brokers.redis import RedisBroker

from accounts.tasks import send_verification_email
from infra.models import OutboxMessage
from infra.outbox import enqueue
from tests.processes import running_redis, running_worker

MESSAGES = 5000


def _wait_for(condition, *, timeout: float, what: str, output=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} not within {timeout} s\n{output()}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_messages_queued_during_a_broker_outage_are_all_sent_once_within_a_minute_of_recovery(is_postgres):
    if not is_postgres:
        pytest.skip("the worker process shares a PostgreSQL database")
    app_broker = dramatiq.get_broker()
    # The worker consumes another queue: the relayed messages stay in Redis to be counted.
    with running_redis() as broker_redis, running_worker("--queues", "idle", REDIS_URL=broker_redis.url) as worker:
        _wait_for(lambda: "ready for action" in worker.output(), timeout=60, what="worker", output=worker.output)
        broker_redis.kill()
        dramatiq.set_broker(RedisBroker(url=broker_redis.url))
        try:
            with transaction.atomic():
                for n in range(MESSAGES):
                    enqueue(send_verification_email, n)
        finally:
            dramatiq.set_broker(app_broker)
        # Every send failed: at commit, and in any relay round that saw the rows meanwhile.
        assert OutboxMessage.objects.filter(sent_at__isnull=True, attempts__gte=1).count() == MESSAGES

        broker_redis.start()
        client = redis.Redis(port=broker_redis.port)
        _wait_for(
            lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
            timeout=60,
            what="every message sent",
            output=worker.output,
        )

        bodies = client.hvals("dramatiq:default.msgs")
        sent_args = sorted(json.loads(body)["args"][0] for body in bodies)
        assert sent_args == list(range(MESSAGES)), "each message is in the broker exactly once"
