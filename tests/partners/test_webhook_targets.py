"""Webhooks may only target public http(s) addresses: checked at creation and
again at delivery time against what the host resolves to then."""

import socket

import pytest

from partners import services
from partners.models import AppScope, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEvent
from tests.conftest import codes
from tests.factories import gid

CREATE = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    ... on WebhookPayload { secret webhook { targetUrl events isActive app { name } } }
    ... on OperationInfo { messages { code field message } }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) {
    ... on WebhookPayload { secret webhook { targetUrl events isActive } }
    ... on OperationInfo { messages { code field } }
  }
}"""

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under `.partner.test` resolve to what the test says; the rest as usual."""
    answers: dict[str, str] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".partner.test"):
            asked.append(host)
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["asked"] = asked  # type: ignore[assignment]
    return answers


@pytest.fixture
def app(db):
    app, _ = services.app_create(name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    return app


def _input(app, url: str) -> dict:
    return {"appId": gid("App", app.pk), "targetUrl": url, "events": ["ORDER_STATUS_CHANGED"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.0.1/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00:ec2::254]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[2002:7f00:1::]/",  # 6to4 carrying 127.0.0.1
        "http://[2002:5db8:d70e::]/hook",  # 6to4 carrying a public address: a relay, refused too
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 (well-known prefix) carrying 127.0.0.1
        "http://[64:ff9b:1::a00:1]/hook",  # NAT64 (local-use prefix) carrying 10.0.0.1
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "http://api.localhost/hook",
        "http://internal.partner.test/hook",
        "ftp://93.184.215.14/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://user:secret@93.184.215.14/hook",
        "not a url",
        "http://93.184.215.14:99999/hook",
    ],
)
def test_private_and_malformed_targets_are_refused(gql, staff, app, fake_dns, url):
    fake_dns["internal.partner.test"] = "127.0.0.1"
    payload = gql(CREATE, {"input": _input(app, url)}, user=staff)["createWebhook"]
    assert codes(payload) == ["INVALID_WEBHOOK_URL"]
    assert payload["messages"][0]["field"] == "targetUrl"
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_a_name_with_one_private_answer_is_refused(app, fake_dns):
    fake_dns["mixed.partner.test"] = "10.0.0.1"
    with pytest.raises(Exception, match="private"):
        services.webhook_create(app_id=app.pk, target_url="https://mixed.partner.test/x", events=["ORDER_CREATED"])


@pytest.mark.django_db
def test_a_public_target_is_accepted_and_the_secret_shown_once(gql, staff, app, fake_dns):
    fake_dns["hooks.partner.test"] = "93.184.215.14"
    payload = gql(CREATE, {"input": _input(app, "https://hooks.partner.test/fm")}, user=staff)["createWebhook"]
    assert payload["secret"].startswith("whsec_")
    assert payload["webhook"] == {
        "targetUrl": "https://hooks.partner.test/fm",
        "events": ["ORDER_STATUS_CHANGED"],
        "isActive": True,
        "app": {"name": "Fulfilment"},
    }
    assert Webhook.objects.get().secret == payload["secret"]
    webhook_id = gid("Webhook", Webhook.objects.get().pk)
    updated = gql(UPDATE, {"id": webhook_id, "input": {"events": ["ORDER_CREATED"]}}, user=staff)["updateWebhook"]
    assert updated["secret"] is None
    assert updated["webhook"]["events"] == ["ORDER_CREATED"]


@pytest.mark.django_db
def test_updating_to_a_private_target_is_refused(gql, staff, app, fake_dns):
    webhook, _ = services.webhook_create(app_id=app.pk, target_url="https://93.184.215.14/x", events=["ORDER_CREATED"])
    webhook_id = gid("Webhook", webhook.pk)
    payload = gql(UPDATE, {"id": webhook_id, "input": {"targetUrl": "http://169.254.169.254/"}}, user=staff)
    assert codes(payload["updateWebhook"]) == ["INVALID_WEBHOOK_URL"]
    webhook.refresh_from_db()
    assert webhook.target_url == "https://93.184.215.14/x"


@pytest.mark.django_db
def test_webhook_allow_private_admits_local_receivers(gql, staff, app, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    payload = gql(CREATE, {"input": _input(app, "http://127.0.0.1:9000/hook")}, user=staff)["createWebhook"]
    assert payload["webhook"]["targetUrl"] == "http://127.0.0.1:9000/hook"


@pytest.mark.django_db
def test_dns_rebinding_is_refused_at_delivery_time(app, fake_dns, receiver, settings, run_tasks, emit):
    fake_dns["rebind.partner.test"] = "93.184.215.14"
    settings.WEBHOOK_ALLOW_PRIVATE = False
    port = receiver.url.split(":")[2].split("/")[0]
    services.webhook_create(
        app_id=app.pk, target_url=f"http://rebind.partner.test:{port}/hook", events=[WebhookEvent.ORDER_CREATED]
    )
    fake_dns["rebind.partner.test"] = "127.0.0.1"  # the attacker's DNS now answers loopback
    emit(WebhookEvent.ORDER_CREATED, {"order": {"number": "A-1"}})
    assert run_tasks() == 1
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "Refused target" in attempt.error


@pytest.mark.django_db
def test_the_delivery_connects_to_the_checked_address(app, fake_dns, receiver, run_tasks, emit):
    """The name is resolved once, by the check; the POST goes to that address
    with the name in Host, so a later DNS answer cannot redirect it."""
    fake_dns["pinned.partner.test"] = "127.0.0.1"
    port = receiver.url.split(":")[2].split("/")[0]
    services.webhook_create(
        app_id=app.pk, target_url=f"http://pinned.partner.test:{port}/hook", events=[WebhookEvent.ORDER_CREATED]
    )
    fake_dns["asked"].clear()
    emit(WebhookEvent.ORDER_CREATED)
    run_tasks()
    assert fake_dns["asked"] == ["pinned.partner.test"]
    assert [request.headers["host"] for request in receiver.requests] == [f"pinned.partner.test:{port}"]
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.SUCCEEDED
