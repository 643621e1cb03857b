"""Every partners operation is staff-only: customers, anonymous callers and
apps are refused with a code, and nothing changes."""

import pytest

from accounts.principal import Principal
from partners import services
from partners.models import App, AppScope, Webhook, WebhookDelivery, WebhookEventType
from tests.conftest import codes
from tests.factories import gid


@pytest.fixture
def existing(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    app, token = services.app_create(principal=Principal.system(), name="Existing", scopes=[AppScope.ORDERS_READ])
    webhook, _ = services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url="http://127.0.0.1:9/hook",
        events=[WebhookEventType.ORDER_CREATED],
    )
    delivery = WebhookDelivery.objects.create(webhook=webhook, event=WebhookEventType.ORDER_CREATED, payload={})
    return {"app": app, "token": token, "webhook": webhook, "delivery": delivery}


def _operations(existing) -> list[tuple[str, str, dict]]:
    app_id = gid("App", existing["app"].pk)
    webhook_id = gid("Webhook", existing["webhook"].pk)
    delivery_id = gid("WebhookDelivery", existing["delivery"].pk)
    return [
        ("createApp", 'createApp(input: {name: "X", scopes: [ORDERS_READ]})', {}),
        ("updateApp", 'updateApp(id: $id, input: {isActive: false, name: "X"})', {"id": app_id}),
        ("rotateAppToken", "rotateAppToken(id: $id)", {"id": app_id}),
        ("deleteApp", "deleteApp(id: $id)", {"id": app_id}),
        (
            "createWebhook",
            'createWebhook(input: {appId: $id, targetUrl: "http://127.0.0.1:9/x", events: [ORDER_CREATED]})',
            {"id": app_id},
        ),
        ("updateWebhook", "updateWebhook(id: $id, input: {isActive: false})", {"id": webhook_id}),
        ("deleteWebhook", "deleteWebhook(id: $id)", {"id": webhook_id}),
        ("retryWebhookDelivery", "retryWebhookDelivery(id: $id)", {"id": delivery_id}),
    ]


def _snapshot():
    return (
        list(App.objects.values()),
        list(Webhook.objects.values()),
        list(WebhookDelivery.objects.values()),
    )


def _call(gql, field, call, variables, **auth):
    declaration = "($id: ID!)" if variables else ""
    query = f"mutation{declaration} {{ {call} {{ __typename ... on OperationInfo {{ messages {{ code }} }} }} }}"
    return gql(query, variables, **auth)[field]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("caller", "code"),
    [("anonymous", "UNAUTHENTICATED"), ("customer", "PERMISSION_DENIED"), ("app", "PERMISSION_DENIED")],
)
def test_every_partners_mutation_is_refused_to_non_staff(gql, customer, existing, caller, code, run_tasks):
    auth = {
        "anonymous": {},
        "customer": {"user": customer},
        "app": {"headers": {"Authorization": f"App {existing['token']}"}},
    }[caller]
    before = _snapshot()
    for field, call, variables in _operations(existing):
        payload = _call(gql, field, call, variables, **auth)
        assert codes(payload) == [code], field
    assert _snapshot() == before
    assert run_tasks() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["{ apps { totalCount } }", "{ webhooks { totalCount } }", "{ webhookDeliveries { totalCount } }"]
)
def test_lists_are_empty_for_non_staff(gql, customer, existing, query):
    field = query.split()[1]
    assert gql(query)[field] == {"totalCount": 0}
    assert gql(query, user=customer)[field] == {"totalCount": 0}
    assert gql(query, headers={"Authorization": f"App {existing['token']}"})[field] == {"totalCount": 0}
