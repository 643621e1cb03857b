"""createWebhook and updateWebhook refuse targets that are not public http(s) addresses
(the check at delivery time: test_webhook_targets.py)."""

import pytest

from accounts.principal import Principal
from partners import services
from partners.models import Webhook
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
def test_private_and_malformed_targets_are_refused(gql, staff, webhook_app, fake_dns, url):
    fake_dns["internal.partner.test"] = "127.0.0.1"
    payload = gql(CREATE, {"input": _input(webhook_app, url)}, user=staff)["createWebhook"]
    assert codes(payload) == ["INVALID_WEBHOOK_URL"]
    assert payload["messages"][0]["field"] == "targetUrl"
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_a_public_target_is_accepted_and_the_secret_shown_once(gql, staff, webhook_app, fake_dns):
    fake_dns["hooks.partner.test"] = "93.184.215.14"
    payload = gql(CREATE, {"input": _input(webhook_app, "https://hooks.partner.test/fm")}, user=staff)["createWebhook"]
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
def test_updating_to_a_private_target_is_refused(gql, staff, webhook_app, fake_dns):
    webhook, _ = services.webhook_create(
        principal=Principal.system(),
        app_id=webhook_app.pk,
        target_url="https://93.184.215.14/x",
        events=["ORDER_CREATED"],
    )
    webhook_id = gid("Webhook", webhook.pk)
    payload = gql(UPDATE, {"id": webhook_id, "input": {"targetUrl": "http://169.254.169.254/"}}, user=staff)
    assert codes(payload["updateWebhook"]) == ["INVALID_WEBHOOK_URL"]
    webhook.refresh_from_db()
    assert webhook.target_url == "https://93.184.215.14/x"


@pytest.mark.django_db
def test_webhook_allow_private_admits_local_receivers(gql, staff, webhook_app, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    payload = gql(CREATE, {"input": _input(webhook_app, "http://127.0.0.1:9000/hook")}, user=staff)["createWebhook"]
    assert payload["webhook"]["targetUrl"] == "http://127.0.0.1:9000/hook"
