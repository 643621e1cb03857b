"""A broker outage at commit time loses no side effect: the outbox keeps it."""

from datetime import timedelta

import dramatiq
import pytest
from django.db import transaction
from dramatiq.brokers.redis import RedisBroker

from accounts.models import User
from commerce.notifications import tasks
from infra.models import OutboxMessage
from infra.outbox import enqueue_many, outbox_relay

REGISTER = 'mutation { register(input: {email: "new@example.com", password: "a-Strong-pass-123"}) { __typename } }'


pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_outage():
    """Point the app at a broker that refuses connections; yields the working one."""
    working = dramatiq.get_broker()
    dramatiq.set_broker(RedisBroker(url="redis://127.0.0.1:1/0"))  # nothing listens on port 1
    yield working
    dramatiq.set_broker(working)


def test_message_survives_broker_outage_and_is_relayed(gql, run_tasks, mailoutbox, broker_outage):
    data = gql(REGISTER)
    assert data["register"]["__typename"] == "RegisterPayload"
    assert User.objects.filter(email="new@example.com").exists(), "the business change committed"
    [row] = OutboxMessage.objects.all()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert mailoutbox == []

    dramatiq.set_broker(broker_outage)  # the broker is back
    assert outbox_relay(older_than=timedelta(0)) == 1
    assert run_tasks() == 1
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    row.refresh_from_db()
    assert row.sent_at is not None
    assert outbox_relay(older_than=timedelta(0)) == 0, "a sent message is not sent again"


def test_messages_are_sent_at_commit_when_the_broker_is_up(gql, run_tasks, mailoutbox):
    gql(REGISTER)
    [row] = OutboxMessage.objects.all()
    assert row.sent_at is not None
    assert run_tasks() == 1
    assert len(mailoutbox) == 1


def _two_notifications(capture_on_commit) -> None:
    with capture_on_commit(execute=True), transaction.atomic():
        enqueue_many([(tasks.notify_order_placed, (1,)), (tasks.email_order_placed, (1,))])


def test_messages_enqueued_together_are_sent_and_marked_sent_at_commit(django_capture_on_commit_callbacks):
    _two_notifications(django_capture_on_commit_callbacks)
    rows = OutboxMessage.objects.order_by("id")
    assert [row.actor_name for row in rows] == ["notify_order_placed", "email_order_placed"]
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    assert len(dramatiq.get_broker().queues["default"].queue) == 2


def test_messages_enqueued_together_survive_a_broker_outage(django_capture_on_commit_callbacks, broker_outage):
    _two_notifications(django_capture_on_commit_callbacks)
    rows = list(OutboxMessage.objects.all())
    assert len(rows) == 2 and all(row.sent_at is None and row.attempts == 1 and row.last_error for row in rows)

    dramatiq.set_broker(broker_outage)
    assert outbox_relay(older_than=timedelta(0)) == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
