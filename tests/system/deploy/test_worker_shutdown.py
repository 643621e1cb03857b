"""A Dramatiq worker that dies mid-task (SIGKILL, as when its container is
killed) has its message redelivered to another worker within about a minute;
one stopped with SIGTERM finishes the message it is running before it exits.

The task is a real partner webhook delivery whose receiver holds the request,
so the worker is provably in the middle of it."""

import signal
import time

import dramatiq
import pytest
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker

from accounts.principal import Principal
from partners import services
from partners.models import AppScope, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from partners.outgoing_webhooks import webhook_event_emit
from partners.tasks import QUEUE
from tests.processes import RunningProcess, running_worker, wait_for_output
from tests.system.deploy.held_http import HeldEndpoint, held_endpoint

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("real_services")]

WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE": "1"}
READY = "Worker process is ready for action."


@pytest.fixture
def redis_broker():
    """The broker the worker processes consume from (tests otherwise use a stub)."""
    broker = RedisBroker(url=settings.REDIS_URL)
    broker.flush_all()
    yield broker
    broker.flush_all()
    broker.close()


def delivery_to(receiver: HeldEndpoint, django_settings) -> WebhookDelivery:
    django_settings.WEBHOOK_ALLOW_PRIVATE = True
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url=f"{receiver.url}/hooks",
        events=[WebhookEventType.ORDER_STATUS_CHANGED],
    )
    [delivery] = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"toStatus": "PAID"})
    return delivery


def enqueue(broker: RedisBroker, delivery: WebhookDelivery) -> None:
    message = dramatiq.Message(
        queue_name=QUEUE, actor_name="deliver_webhook", args=(delivery.pk,), kwargs={}, options={}
    )
    broker.declare_queue(QUEUE)
    broker.enqueue(message)


def wait_until_delivered(delivery: WebhookDelivery, worker: RunningProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        delivery.refresh_from_db()
        if delivery.status == WebhookDeliveryStatus.SUCCEEDED:
            return
        assert time.monotonic() < deadline, f"not delivered after {timeout} s:\n{worker.output()}"
        time.sleep(0.5)


def test_a_killed_workers_message_is_redelivered_to_another_worker(redis_broker, settings):
    with held_endpoint({"ok": True}) as receiver:
        delivery = delivery_to(receiver, settings)
        with running_worker(**WORKER_ENV) as first:
            wait_for_output(first, READY, timeout=90)
            enqueue(redis_broker, delivery)
            receiver.wait_for_request(timeout=60)
            first.kill()
        receiver.release()

        with running_worker(**WORKER_ENV) as second:
            wait_for_output(second, READY, timeout=90)
            receiver.wait_for_request(timeout=90)
            wait_until_delivered(delivery, second, timeout=30)


def test_a_sigtermed_worker_finishes_its_message_before_exiting(redis_broker, settings):
    with held_endpoint({"ok": True}) as receiver:
        delivery = delivery_to(receiver, settings)
        with running_worker(**WORKER_ENV) as worker:
            wait_for_output(worker, READY, timeout=90)
            enqueue(redis_broker, delivery)
            receiver.wait_for_request(timeout=60)

            worker.signal(signal.SIGTERM)
            wait_for_output(worker, "Shutting down", timeout=30)
            receiver.release()

            assert worker.wait(timeout=60) == 0, worker.output()
            wait_until_delivered(delivery, worker, timeout=5)
            assert len(receiver.paths) == 1
