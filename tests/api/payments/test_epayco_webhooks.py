"""ePayco's confirmations over HTTP, checked by SHA-256 signature and amount; what a
confirmed payment allows next."""

from urllib.parse import urlencode

import pytest
import responses

from accounts.principal import Principal
from commerce.models import PaymentEvent, PaymentMethod, PaymentStatus
from commerce.payments.base import ProviderError, ProviderUnavailable
from commerce.payments.providers.epayco import epayco_signature
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("epayco_settings")]


FORM = "application/x-www-form-urlencoded"


def confirmation(payment, *, amount="119000.00", state="1", ref_payco="86521544", sign_amount=None, **extra):
    fields = {
        "x_ref_payco": ref_payco,
        "x_transaction_id": "3102561580",
        "x_amount": amount,
        "x_currency_code": "COP",
        "x_id_invoice": str(payment.reference),
        "x_extra1": str(payment.reference),
        "x_cod_transaction_state": state,
        **extra,
    }
    signed = {**fields, "x_amount": sign_amount or amount}
    fields["x_signature"] = epayco_signature(signed, cust_id="1234567", p_key="epayco-p-key-secret")
    return fields


def test_signed_confirmation_settles_once(epayco_payment, post_webhook, settled):
    body = urlencode(confirmation(epayco_payment))

    first = post_webhook("epayco", body, content_type=FORM)
    second = post_webhook("epayco", body, content_type=FORM)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.SUCCEEDED
    assert epayco_payment.provider_data["ref_payco"] == "86521544"
    assert PaymentEvent.objects.get().event_id == "86521544:1"
    assert settled.calls == [epayco_payment.pk]


def test_tampered_amount_breaks_the_signature(epayco_payment, post_webhook, settled):
    fields = confirmation(epayco_payment)
    fields["x_amount"] = "1000.00"

    assert post_webhook("epayco", urlencode(fields), content_type=FORM).status_code == 400
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()
    assert settled.calls == []


@pytest.mark.parametrize("signature", ["", "0" * 64, "not-hex"])
def test_bad_or_missing_signature_is_400(epayco_payment, post_webhook, signature):
    fields = {**confirmation(epayco_payment), "x_signature": signature}
    assert post_webhook("epayco", urlencode(fields), content_type=FORM).status_code == 400
    assert not PaymentEvent.objects.exists()


def test_genuinely_signed_but_underpaid_fails_the_payment(epayco_payment, post_webhook, settled):
    # The buyer's browser sets the checkout amount: ePayco signs what was actually paid.
    body = urlencode(confirmation(epayco_payment, amount="1000.00"))

    assert post_webhook("epayco", body, content_type=FORM).status_code == 200
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.FAILED
    assert "mismatch" in epayco_payment.failure_reason.lower()
    assert settled.calls == []


def test_pending_then_accepted_are_two_events(epayco_payment, post_webhook, settled):
    post_webhook("epayco", urlencode(confirmation(epayco_payment, state="3")), content_type=FORM)
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.PENDING

    post_webhook("epayco", urlencode(confirmation(epayco_payment, state="1")), content_type=FORM)
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.SUCCEEDED
    assert PaymentEvent.objects.count() == 2
    assert settled.calls == [epayco_payment.pk]


def test_rejected_transaction_fails(epayco_payment, post_webhook):
    post_webhook("epayco", urlencode(confirmation(epayco_payment, state="2")), content_type=FORM)
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.FAILED


def test_status_fetch_uses_the_validation_endpoint_and_checks_its_signature(
    epayco_payment, post_webhook, http, settled
):
    post_webhook("epayco", urlencode(confirmation(epayco_payment, state="3")), content_type=FORM)
    epayco_payment.refresh_from_db()
    url = "https://secure.epayco.co/validation/v1/reference/86521544"
    http.add(responses.GET, url, json={"success": True, "data": confirmation(epayco_payment, state="1")})

    payment = payment_confirm(payment=epayco_payment)

    assert http.calls[0].request.url == url
    assert payment.status == PaymentStatus.SUCCEEDED
    assert settled.calls == [payment.pk]


def test_status_fetch_with_a_forged_answer_is_a_provider_error(epayco_payment, post_webhook, http):
    post_webhook("epayco", urlencode(confirmation(epayco_payment, state="3")), content_type=FORM)
    epayco_payment.refresh_from_db()
    forged = {**confirmation(epayco_payment, state="1"), "x_signature": "0" * 64}
    http.add(
        responses.GET,
        "https://secure.epayco.co/validation/v1/reference/86521544",
        json={"success": True, "data": forged},
    )

    with pytest.raises(ProviderError):
        payment_confirm(payment=epayco_payment)
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.PENDING


def test_refund_is_made_in_the_dashboard(epayco_payment, post_webhook):
    post_webhook("epayco", urlencode(confirmation(epayco_payment)), content_type=FORM)
    epayco_payment.refresh_from_db()
    with pytest.raises(ProviderError) as error:
        payment_refund(principal=Principal.system(), payment=epayco_payment)
    assert "dashboard" in error.value.message
    epayco_payment.refresh_from_db()
    assert epayco_payment.status == PaymentStatus.SUCCEEDED and epayco_payment.refunded_amount == 0


def test_without_credentials_epayco_is_unavailable(settings, make_order, post_webhook):
    settings.EPAYCO_P_KEY = ""
    assert method_availability()[PaymentMethod.EPAYCO] is False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.EPAYCO)
    assert post_webhook("epayco", "x_ref_payco=1&x_signature=ab", content_type=FORM).status_code == 400
