"""`rotateWebhookSecret`: a new secret, shown once; the old one keeps signing
deliveries (a second `v1=`) for WEBHOOK_SECRET_OVERLAP, then only the new one.
Secrets are stored encrypted and never readable through the API."""

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from accounts.principal import Principal
from partners import services
from partners.models import AppScope, Webhook, WebhookEventType
from partners.outgoing_webhooks import webhook_event_emit
from partners.signing import webhook_signature_valid
from tests.conftest import codes
from tests.factories import gid
from tests.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    ... on WebhookPayload { secret webhook { id } }
    ... on OperationInfo { messages { code } }
  }
}"""
ROTATE = """
mutation($id: ID!) {
  rotateWebhookSecret(id: $id) {
    ... on WebhookPayload { secret webhook { id targetUrl } }
    ... on OperationInfo { messages { code } }
  }
}"""
WEBHOOK_FIELDS = """
{ __type(name: "Webhook") { fields { name } } }
"""


@pytest.fixture
def created(gql, staff, receiver) -> tuple[str, str]:
    """A webhook made through the API: its global id and its first secret."""
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    app_id = gid("App", app.pk)
    variables = {"input": {"appId": app_id, "targetUrl": receiver.url, "events": ["ORDER_STATUS_CHANGED"]}}
    payload = gql(CREATE, variables, user=staff)["createWebhook"]
    return payload["webhook"]["id"], payload["secret"]


def _delivered_signatures(receiver, worker) -> tuple[bytes, str]:
    """Emit one event, let the real worker POST it; the body and signature header received."""
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": len(receiver.requests)})
    worker()
    request = receiver.requests[-1]
    return request.body, request.headers["x-fmcore-signature"]


def documented_check() -> Callable[[str, str, bytes], bool]:
    """`fmcore_signature_valid` from the verification snippet of docs/partners.md."""
    text = (ROOT / "docs" / "partners.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    [snippet] = [block for block in blocks if "def fmcore_signature_valid" in block]
    namespace: dict = {}
    exec(snippet, namespace)
    return namespace["fmcore_signature_valid"]


def _v1s(header: str) -> list[str]:
    return [value for name, value in (part.split("=", 1) for part in header.split(",")) if name == "v1"]


def _mac(secret: str, header: str, body: bytes) -> str:
    timestamp = header.split(",", 1)[0].removeprefix("t=")
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new(
    gql, staff, receiver, worker, settings, created
):
    webhook_id, old_secret = created
    settings.WEBHOOK_SECRET_OVERLAP = timedelta(hours=24)

    rotated = gql(ROTATE, {"id": webhook_id}, user=staff)["rotateWebhookSecret"]

    new_secret = rotated["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert rotated["webhook"] == {"id": webhook_id, "targetUrl": receiver.url}
    body, header = _delivered_signatures(receiver, worker)
    assert _v1s(header) == [_mac(new_secret, header, body), _mac(old_secret, header, body)]
    # The receiver's check as docs/partners.md writes it accepts either secret, and only those.
    documented = documented_check()
    assert documented(new_secret, header, body) and documented(old_secret, header, body)
    assert not documented("whsec_wrong", header, body)
    for secret in (new_secret, old_secret):
        assert webhook_signature_valid(secret=secret, header=header, body=body, now=int(time.time()))

    settings.WEBHOOK_SECRET_OVERLAP = timedelta(0)  # the overlap is over
    body, header = _delivered_signatures(receiver, worker)

    assert _v1s(header) == [_mac(new_secret, header, body)]
    assert documented(new_secret, header, body) and not documented(old_secret, header, body)


def test_a_second_rotation_ends_the_oldest_secret(gql, staff, receiver, worker, created):
    webhook_id, first_secret = created
    second_secret = gql(ROTATE, {"id": webhook_id}, user=staff)["rotateWebhookSecret"]["secret"]
    third_secret = gql(ROTATE, {"id": webhook_id}, user=staff)["rotateWebhookSecret"]["secret"]

    body, header = _delivered_signatures(receiver, worker)

    assert _v1s(header) == [_mac(third_secret, header, body), _mac(second_secret, header, body)]
    assert not webhook_signature_valid(secret=first_secret, header=header, body=body, now=int(time.time()))


def test_a_webhook_without_rotation_is_signed_once(receiver, worker, created):
    _, secret = created

    body, header = _delivered_signatures(receiver, worker)

    assert _v1s(header) == [_mac(secret, header, body)]


def test_secrets_are_stored_encrypted(gql, staff, created):
    webhook_id, old_secret = created
    new_secret = gql(ROTATE, {"id": webhook_id}, user=staff)["rotateWebhookSecret"]["secret"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, previous_secret FROM partners_webhook")
        [(stored, stored_previous)] = cursor.fetchall()

    assert new_secret not in stored and old_secret not in stored_previous
    assert stored.startswith("gAAAA")  # a Fernet token
    assert Webhook.objects.get().secret == new_secret


def test_the_secret_is_not_readable_back_through_the_api(gql, staff, created):
    webhook_id, _ = created

    fields = {field["name"] for field in gql(WEBHOOK_FIELDS, user=staff)["__type"]["fields"]}
    update = "mutation($id: ID!) { updateWebhook(id: $id, input: {}) { ... on WebhookPayload { secret } } }"

    assert {"id", "targetUrl", "events"} <= fields
    assert not [name for name in fields if "secret" in name.lower()]
    assert gql(update, {"id": webhook_id}, user=staff)["updateWebhook"] == {"secret": None}


def test_rotating_needs_staff_and_an_existing_webhook(gql, make_user, created):
    webhook_id, secret = created
    customer = make_user("buyer@example.com")

    refused = gql(ROTATE, {"id": webhook_id}, user=customer)["rotateWebhookSecret"]
    missing = gql(ROTATE, {"id": gid("Webhook", 999999)}, user=make_user("s@example.com", staff=True))

    assert codes(refused) == ["PERMISSION_DENIED"]
    assert codes(missing["rotateWebhookSecret"]) == ["NOT_FOUND"]
    webhook = Webhook.objects.get()
    assert (webhook.secret, webhook.previous_secret, webhook.secret_rotated_at) == (secret, None, None)
