"""Orders to pay, provider credentials, and what settlement saw succeed."""

from collections.abc import Callable

import pytest
import responses

from accounts.models import User
from commerce.models import Order, PaymentMethod, PaymentStatus, PaymentStatusChange, Product
from commerce.payments.sessions import payment_create
from tests import factories
from tests.domain.commerce.payments.provider_fakes import (
    DUMMY_WEBHOOK_SECRET,
    MAYA_API,
    MAYA_CHECKOUT_ID,
    PAYPAL_API,
    STRIPE_API,
    STRIPE_SECRET,
    STRIPE_WEBHOOK_SECRET,
    order_json,
    session_json,
)


@pytest.fixture
def make_order(customer) -> Callable[..., Order]:
    """`factories.order_of_total`, the customer's unless `user` is given."""

    def make(total: str = "19.99", *, user: User | None = None, **fields) -> Order:
        return factories.order_of_total(user or customer, total, **fields)

    return make


class SucceededPayments:
    """The payments settlement moved to SUCCEEDED (and so settled their order), one
    entry per move, read from the durable payment stream that settlement writes
    in the same transaction."""

    @property
    def calls(self) -> list[int]:
        moves = PaymentStatusChange.objects.filter(to_status=PaymentStatus.SUCCEEDED).order_by("pk")
        return list(moves.values_list("payment_id", flat=True))


@pytest.fixture
def settled() -> SucceededPayments:
    return SucceededPayments()


@pytest.fixture
def http():
    """Fakes providers at the HTTP boundary; any request not registered fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def post_webhook(client):
    def post(provider: str, body: bytes | str, *, content_type: str = "application/json", **headers):
        if isinstance(body, str):
            body = body.encode()
        return client.post(f"/webhooks/payments/{provider}/", data=body, content_type=content_type, **headers)

    return post


# --- provider credentials --------------------------------------------------------------


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = STRIPE_SECRET
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_FLOW = "checkout"
    return settings


@pytest.fixture
def paypal_settings(settings):
    settings.PAYPAL_CLIENT_ID = "paypal-client"
    settings.PAYPAL_CLIENT_SECRET = "paypal-secret"
    settings.PAYPAL_WEBHOOK_ID = "WH-FMCORE-1"
    settings.PAYPAL_API_BASE = "https://api-m.sandbox.paypal.com"
    return settings


@pytest.fixture
def maya_settings(settings):
    settings.MAYA_PUBLIC_KEY = "pk-maya-public"
    settings.MAYA_SECRET_KEY = "sk-maya-secret"
    settings.MAYA_API_BASE = "https://pg-sandbox.paymaya.com"
    settings.MAYA_WEBHOOK_IPS = ["13.229.160.234", "3.1.199.75"]
    settings.MAYA_WEBHOOK_IP_HEADER = ""
    return settings


@pytest.fixture
def epayco_settings(settings):
    settings.EPAYCO_CUST_ID = "1234567"
    settings.EPAYCO_P_KEY = "epayco-p-key-secret"
    settings.EPAYCO_PUBLIC_KEY = "epayco-public"
    settings.EPAYCO_VALIDATION_URL = "https://secure.epayco.co/validation/v1/reference/"
    return settings


@pytest.fixture
def dummy_settings(settings):
    settings.PAYMENTS_DUMMY_ENABLED = True
    settings.PAYMENTS_DUMMY_WEBHOOK_SECRET = DUMMY_WEBHOOK_SECRET
    return settings


# --- payments opened with each provider, its API faked ---------------------------------


@pytest.fixture
def card_payment(make_order, http):
    http.add(responses.POST, f"{STRIPE_API}/checkout/sessions", json=session_json())
    payment = payment_create(order=make_order("19.99"), method=PaymentMethod.CARD, idempotency_key="k")
    http.calls.reset()
    return payment


@pytest.fixture
def paypal_http(http):
    http.add(responses.POST, f"{PAYPAL_API}/v1/oauth2/token", json={"access_token": "A21-token", "expires_in": 32400})
    return http


@pytest.fixture
def paypal_payment(make_order, paypal_http):
    paypal_http.add(responses.POST, f"{PAYPAL_API}/v2/checkout/orders", json=order_json())
    payment = payment_create(order=make_order("19.99"), method=PaymentMethod.PAYPAL)
    paypal_http.calls.reset()
    return payment


@pytest.fixture
def maya_payment(make_order, http):
    http.add(
        responses.POST,
        f"{MAYA_API}/checkout/v1/checkouts",
        json={
            "checkoutId": MAYA_CHECKOUT_ID,
            "redirectUrl": f"https://payments-web-sandbox.paymaya.com/v2/checkout?id={MAYA_CHECKOUT_ID}",
        },
    )
    payment = payment_create(order=make_order("250.00", currency="PHP"), method=PaymentMethod.MAYA)
    return payment


@pytest.fixture
def epayco_payment(make_order):
    return payment_create(order=make_order("119000.00", currency="COP"), method=PaymentMethod.EPAYCO)


# --- phase 2: real orders, the API, and the work queued on commit ------------------------


@pytest.fixture
def product(db) -> Product:
    return factories.make_product(
        "Coffee",
        slug="coffee",
        price="10.00",
        stock=10,
        category=factories.make_category("Groceries", slug="groceries"),
    )


@pytest.fixture
def place_order(product, django_capture_on_commit_callbacks) -> Callable[..., Order]:
    """An order checked out from a cart (2 x 10.00 = 20.00 USD, stock 10 -> 8)."""

    def place(user, *, quantity: int = 2, method: str = PaymentMethod.DUMMY) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            return factories.order_place(user, (product, quantity), method=method)

    return place


@pytest.fixture
def drain(run_tasks, django_capture_on_commit_callbacks, mailoutbox) -> Callable[[], int]:
    """Run every queued actor, and what those queue in turn, as a worker would after each commit."""

    def run() -> int:
        total = 0
        while True:
            with django_capture_on_commit_callbacks(execute=True):
                done = run_tasks()
            if not done:
                return total
            total += done

    return run


@pytest.fixture
def webhook(post_webhook, django_capture_on_commit_callbacks):
    """`post_webhook`, committing like a real request: what it queued leaves."""

    def post(provider: str, body, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(provider, body, **headers)

    return post
