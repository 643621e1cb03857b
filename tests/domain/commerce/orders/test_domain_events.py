"""Domain events: handlers subscribe by type, nothing leaves a rolled-back
transaction, and an event whose dispatch at commit did not happen (the process
died, or a handler raised) is dispatched by the outbox relay, once."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction

from accounts.principal import Principal
from commerce.checkout.services import order_checkout
from commerce.models import Order
from infra.domain_events import DomainEvent, Handler, handlers_register, record
from infra.models import OutboxMessage
from infra.outbox import outbox_relay
from partners import handlers as partner_handlers
from partners import services as partners
from partners.models import AppScope, WebhookDelivery, WebhookEventType

pytestmark = pytest.mark.django_db

NOTIFICATIONS = ["email_order_placed", "notify_order_placed"]


@dataclass(frozen=True, kw_only=True)
class Ping(DomainEvent, name="test.ping"):
    n: int


@dataclass(frozen=True, kw_only=True)
class Pong(DomainEvent, name="test.pong"):
    n: int


pinged: list[int] = []
handlers_register([Handler(Ping, lambda event: pinged.append(event.n))])


def test_a_handler_gets_the_events_of_its_type_only(django_capture_on_commit_callbacks):
    pinged.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record(Pong(n=1))
        record(Ping(n=2))
    assert pinged == [2]


def test_an_event_is_recorded_only_inside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(Ping(n=1))


@pytest.fixture
def webhook(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    app, _ = partners.app_create(principal=Principal.system(), name="Shop floor", scopes=[AppScope.ORDERS_READ])
    hook, _ = partners.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url="http://127.0.0.1:9/hook",
        events=[WebhookEventType.ORDER_CREATED],
    )
    return hook


@pytest.fixture
def cart(customer, make_product, fill_cart):
    return fill_cart(customer, (make_product("Coffee"), 2))


def _queued() -> list[str]:
    return sorted(OutboxMessage.objects.exclude(actor_name="domain_event").values_list("actor_name", flat=True))


@pytest.fixture
def relay(django_capture_on_commit_callbacks) -> Callable[[], int]:
    """One round of the relay, as if its transaction committed (what it queued is sent then)."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return outbox_relay(older_than=timedelta(0))

    return run


def test_an_order_placed_in_a_rolled_back_transaction_dispatches_nothing(
    customer, cart, webhook, relay, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        order_checkout(user=customer, payment_method="COD")
        raise ZeroDivisionError
    assert callbacks == []
    assert relay() == 0
    assert not Order.objects.exists() and not OutboxMessage.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_a_committed_event_dispatched_at_commit_is_not_dispatched_again(
    customer, cart, webhook, relay, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_checkout(user=customer, payment_method="COD")
    assert relay() == 0
    assert _queued() == ["deliver_webhook", *NOTIFICATIONS]
    assert WebhookDelivery.objects.filter(webhook=webhook).count() == 1


def test_the_relay_dispatches_an_event_whose_process_died_at_commit_once(
    customer, cart, webhook, relay, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # committed, and nothing ran after
        order_checkout(user=customer, payment_method="COD")
    assert _queued() == [] and not WebhookDelivery.objects.exists()

    assert relay() == 1
    assert relay() == 0
    assert _queued() == ["deliver_webhook", *NOTIFICATIONS]
    assert WebhookDelivery.objects.filter(webhook=webhook, event=WebhookEventType.ORDER_CREATED).count() == 1


def test_the_relay_dispatches_an_event_whose_dispatch_raised_once_to_each_handler(
    customer, cart, webhook, relay, django_capture_on_commit_callbacks, monkeypatch
):
    def receiver_down(**kwargs):
        raise ConnectionError("webhooks unreachable")

    # The partner handler raises; whatever ran before it in the dispatch rolls back with it.
    monkeypatch.setattr(partner_handlers, "webhook_event_emit", receiver_down)
    with django_capture_on_commit_callbacks(execute=True):
        order_checkout(user=customer, payment_method="COD")
    [row] = OutboxMessage.objects.filter(actor_name="domain_event")
    assert row.sent_at is None and row.attempts == 1 and "webhooks unreachable" in row.last_error
    assert _queued() == [] and not WebhookDelivery.objects.exists()  # the whole dispatch rolled back

    assert relay() == 0  # still failing: the next round tries again
    monkeypatch.undo()
    assert relay() == 1
    assert relay() == 0
    assert _queued() == ["deliver_webhook", *NOTIFICATIONS]
    assert WebhookDelivery.objects.filter(webhook=webhook).count() == 1
