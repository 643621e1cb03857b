"""Housekeeping purges rows past their retention, in batches, and keeps the
recent ones and those still to be sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.principal import Principal
from commerce.models import SentEmail
from fmcore.tasks import housekeeping
from infra.models import OutboxMessage
from partners.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus
from partners.services import app_create

pytestmark = pytest.mark.django_db


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def outbox_message(*, created: int, sent: int | None) -> OutboxMessage:
    row = OutboxMessage.objects.create(actor_name="relay_outbox", queue_name="default")
    OutboxMessage.objects.filter(pk=row.pk).update(
        created_at=days_ago(created), sent_at=None if sent is None else days_ago(sent)
    )
    return row


@pytest.fixture
def webhook(db) -> Webhook:
    app, _ = app_create(principal=Principal.system(), name="Fulfilment", scopes=["orders:read"])
    return Webhook.objects.create(app=app, target_url="https://example.com/hook", events=["order.created"])


def delivery(webhook: Webhook, *, created: int, status: str) -> WebhookDelivery:
    row = WebhookDelivery.objects.create(
        webhook=webhook, event="order.created", payload={}, status=status, created_at=days_ago(created)
    )
    WebhookAttempt.objects.create(delivery=row, number=1, status_code=200, succeeded=True)
    return row


def sent_email(key: str, *, sent: int) -> SentEmail:
    row = SentEmail.objects.create(dedupe_key=key, recipient="customer@example.com", subject="Your order")
    SentEmail.objects.filter(pk=row.pk).update(sent_at=days_ago(sent))
    return row


@pytest.fixture
def retention(settings):
    settings.OUTBOX_RETENTION = timedelta(days=7)
    settings.WEBHOOK_DELIVERY_RETENTION = timedelta(days=30)
    settings.SENT_EMAIL_RETENTION = timedelta(days=90)
    settings.PURGE_BATCH_SIZE = 2  # several batches for the rows below


def test_housekeeping_purges_sent_outbox_messages_past_retention(retention, run_tasks):
    old_sent = [outbox_message(created=10, sent=9) for _ in range(5)]
    recent_sent = outbox_message(created=2, sent=2)
    old_unsent = outbox_message(created=30, sent=None)

    housekeeping.send()
    run_tasks()

    remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert remaining == {recent_sent.pk, old_unsent.pk}
    assert not remaining & {row.pk for row in old_sent}


def test_housekeeping_purges_finished_webhook_deliveries_past_retention(retention, run_tasks, webhook):
    old_finished = [
        delivery(webhook, created=40, status=status)
        for status in [WebhookDeliveryStatus.SUCCEEDED] * 3 + [WebhookDeliveryStatus.FAILED] * 2
    ]
    old_pending = delivery(webhook, created=40, status=WebhookDeliveryStatus.PENDING)
    recent = delivery(webhook, created=5, status=WebhookDeliveryStatus.SUCCEEDED)

    housekeeping.send()
    run_tasks()

    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}
    assert not WebhookAttempt.objects.filter(delivery__in=[row.pk for row in old_finished]).exists()
    assert WebhookAttempt.objects.count() == 2


def test_housekeeping_purges_sent_email_records_past_retention(retention, run_tasks):
    for number in range(5):
        sent_email(f"old-{number}", sent=100)
    recent = sent_email("recent", sent=10)

    housekeeping.send()
    run_tasks()

    assert list(SentEmail.objects.values_list("dedupe_key", flat=True)) == [recent.dedupe_key]


def test_retention_follows_the_settings(settings, run_tasks):
    settings.OUTBOX_RETENTION = timedelta(days=1)
    two_days_old = outbox_message(created=2, sent=2)
    settings.SENT_EMAIL_RETENTION = timedelta(days=200)
    kept = sent_email("kept", sent=100)

    housekeeping.send()
    run_tasks()

    assert not OutboxMessage.objects.filter(pk=two_days_old.pk).exists()
    assert SentEmail.objects.filter(pk=kept.pk).exists()
