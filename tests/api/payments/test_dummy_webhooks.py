"""The DUMMY provider's webhook endpoint over HTTP: signatures, duplicates, mismatches,
and a failing order side that rolls the event back."""

import json

import pytest

from accounts.principal import Principal
from commerce.models import PaymentEvent, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderError
from commerce.payments.providers.dummy import dummy_signature
from commerce.payments.sessions import payment_create
from commerce.settlement.services import (
    payment_confirm,
    payment_refund,
)
from tests.domain.commerce.payments.provider_fakes import DUMMY_WEBHOOK_SECRET, dummy_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dummy_settings")]


def test_signed_webhook_settles_the_payment(make_order, post_webhook, settled):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment)

    response = post_webhook("dummy", body, **headers)

    assert response.status_code == 200
    assert response.json() == {"ok": True, "outcome": "APPLIED"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    event = PaymentEvent.objects.get()
    assert (event.provider, event.event_id, event.type) == ("dummy", "evt_1", "payment.succeeded")
    assert event.payment == payment and event.processed_at is not None
    assert settled.calls == [payment.pk]


def test_the_same_event_twice_is_applied_once(make_order, post_webhook, settled):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment)

    first = post_webhook("dummy", body, **headers)
    second = post_webhook("dummy", body, **headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"ok": True, "duplicate": True}
    assert PaymentEvent.objects.count() == 1
    assert settled.calls == [payment.pk]


def test_another_success_event_after_settlement_changes_nothing(make_order, post_webhook, settled):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    payment_confirm(payment=payment)
    body, headers = dummy_event(payment, event_id="evt_late")

    response = post_webhook("dummy", body, **headers)

    assert response.json()["outcome"] == "IGNORED"
    assert settled.calls == [payment.pk]


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_X_DUMMY_SIGNATURE": "0" * 64}, {"HTTP_X_DUMMY_SIGNATURE": dummy_signature(b"other", "x")}],
    ids=["missing", "wrong", "other-secret"],
)
def test_bad_or_missing_signature_is_400_and_changes_nothing(make_order, post_webhook, settled, headers):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, _ = dummy_event(payment)

    response = post_webhook("dummy", body, **headers)

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()
    assert settled.calls == []


def test_no_webhook_secret_means_every_webhook_is_refused(make_order, post_webhook, settings):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment)
    settings.PAYMENTS_DUMMY_WEBHOOK_SECRET = ""

    assert post_webhook("dummy", body, **headers).status_code == 400
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize("provider", ["nope", "cod", "stripe"])
def test_unknown_unconfigured_or_hookless_provider_is_400(post_webhook, provider):
    response = post_webhook(provider, b"{}", HTTP_STRIPE_SIGNATURE="t=1,v1=00")
    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


def test_webhook_only_accepts_post(client):
    assert client.get("/webhooks/payments/dummy/").status_code == 405


@pytest.mark.parametrize(
    ("amount", "currency"), [("19.98", "USD"), ("199.90", "USD"), ("19.99", "EUR")], ids=["less", "more", "currency"]
)
def test_amount_or_currency_mismatch_marks_the_payment_failed(make_order, post_webhook, settled, amount, currency):
    payment = payment_create(order=make_order("19.99"), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment, amount=amount, currency=currency)

    response = post_webhook("dummy", body, **headers)

    assert response.status_code == 200
    assert response.json()["outcome"] == "MISMATCH"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert "mismatch" in payment.failure_reason.lower()
    assert payment.paid_at is None
    assert settled.calls == []


def test_event_for_an_unknown_reference_is_recorded_and_ignored(post_webhook, settled):
    body = json.dumps({"id": "evt_x", "type": "payment.succeeded", "reference": "dummy_nobody", "amount": "1.00"})
    headers = {"HTTP_X_DUMMY_SIGNATURE": dummy_signature(body.encode(), DUMMY_WEBHOOK_SECRET)}

    response = post_webhook("dummy", body, **headers)

    assert response.status_code == 200
    assert PaymentEvent.objects.get().outcome == PaymentEvent.Outcome.UNMATCHED
    assert settled.calls == []


def test_a_failing_order_side_rolls_back_payment_and_event_so_a_retry_applies_it(make_order, post_webhook, monkeypatch):
    from commerce.settlement import services as settlement

    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment)

    def broken(**_kwargs):
        raise RuntimeError("order side unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(settlement, "order_transition", broken)
        with pytest.raises(RuntimeError):
            post_webhook("dummy", body, **headers)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()

    assert post_webhook("dummy", body, **headers).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_provider_error_on_refund_records_a_failed_refund_and_nothing_else(make_order, post_webhook):
    payment = payment_create(order=make_order("10.66"), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment)  # .66 errors on confirm, so settle by webhook
    assert post_webhook("dummy", body, **headers).status_code == 200
    payment.refresh_from_db()

    with pytest.raises(ProviderError):
        payment_refund(principal=Principal.system(), payment=payment)

    payment.refresh_from_db()
    assert payment.refunded_amount == 0 and payment.status == PaymentStatus.SUCCEEDED
    assert payment.refunds.get().status == RefundStatus.FAILED
