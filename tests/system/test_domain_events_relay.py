"""A real worker's outbox relay dispatches a committed order event whose
dispatch at commit raised: once, to each handler."""

import time

import pytest

from accounts.principal import Principal
from commerce.checkout.services import order_checkout
from infra.domain_events import EVENT_ROW_ACTOR
from infra.models import OutboxMessage
from partners import handlers as partner_handlers
from partners import services as partners
from partners.models import AppScope, WebhookDelivery, WebhookEventType
from tests import factories
from tests.processes import running_redis, running_worker


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_workers_relay_dispatches_a_failed_dispatch_once(is_postgres, customer, monkeypatch, settings):
    if not is_postgres:
        pytest.skip("the worker process shares a PostgreSQL database")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    app, _ = partners.app_create(principal=Principal.system(), name="Shop floor", scopes=[AppScope.ORDERS_READ])
    partners.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url="http://127.0.0.1:9/hook",
        events=[WebhookEventType.ORDER_CREATED],
    )
    factories.cart_fill(customer, (factories.make_product("Coffee"), 2))

    def receiver_down(**kwargs):
        raise ConnectionError("webhooks unreachable")

    monkeypatch.setattr(partner_handlers, "webhook_event_emit", receiver_down)
    order_checkout(user=customer, payment_method="COD")  # commits; its dispatch raises and rolls back
    monkeypatch.undo()
    [event_row] = OutboxMessage.objects.filter(actor_name=EVENT_ROW_ACTOR, sent_at__isnull=True)
    assert not OutboxMessage.objects.exclude(actor_name=EVENT_ROW_ACTOR).exists()

    # The worker consumes another queue: what the dispatch queues stays in the outbox to be counted.
    with running_redis() as broker, running_worker("--queues", "idle", REDIS_URL=broker.url) as worker:
        deadline = time.monotonic() + 60
        while OutboxMessage.objects.filter(pk=event_row.pk, sent_at__isnull=True).exists():
            assert time.monotonic() < deadline, f"the relay did not dispatch the event\n{worker.output()}"
            time.sleep(0.5)
        time.sleep(3)  # a relay round or more after it: nothing is dispatched twice

    queued = sorted(OutboxMessage.objects.exclude(actor_name=EVENT_ROW_ACTOR).values_list("actor_name", flat=True))
    assert queued == ["deliver_webhook", "email_order_placed", "notify_order_placed"]
    assert WebhookDelivery.objects.filter(event=WebhookEventType.ORDER_CREATED).count() == 1
