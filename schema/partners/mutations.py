import strawberry
from strawberry import relay

from partners import policy as partners_policy
from partners import services
from schema.accounts.types import OkPayload, OkResult
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed

from .inputs import (
    CreateAppInput,
    CreateWebhookInput,
    RetryWebhookDeliveriesFilter,
    UpdateAppInput,
    UpdateWebhookInput,
)
from .types import (
    AppPayload,
    AppResult,
    AppTokenPayload,
    AppTokenResult,
    WebhookDeliveriesRetriedPayload,
    WebhookDeliveriesRetriedResult,
    WebhookDeliveryPayload,
    WebhookDeliveryResult,
    WebhookPayload,
    WebhookResult,
)

STAFF = (Allowed(partners_policy.may_manage_apps),)


def _values(items: list | None) -> list[str] | None:
    return None if items is None else [item.value for item in items]


@strawberry.type
class PartnerMutations:
    @mutation(
        description="Create a partner app (staff). The token is in the answer, and only there.",
        permissions=STAFF,
    )
    def create_app(self, info: Info, input: CreateAppInput) -> AppTokenResult:
        app, token = services.app_create(
            principal=info.context.principal, name=input.name, scopes=[scope.value for scope in input.scopes]
        )
        return AppTokenPayload(app=app, token=token)

    @mutation(
        description="Rename an app, change its scopes or switch it off (staff). "
        "Losing access closes its open websocket connections at once.",
        permissions=STAFF,
    )
    def update_app(self, info: Info, id: relay.GlobalID, input: UpdateAppInput) -> AppResult:
        app = services.app_update(
            principal=info.context.principal,
            app_id=node_pk(id, "App"),
            name=input.name,
            scopes=_values(input.scopes),
            is_active=input.is_active,
        )
        return AppPayload(app=app)

    @mutation(
        description="Give an app a new token (staff); the old one stops working at once, open connections included.",
        permissions=STAFF,
    )
    def rotate_app_token(self, info: Info, id: relay.GlobalID) -> AppTokenResult:
        app, token = services.app_token_rotate(principal=info.context.principal, app_id=node_pk(id, "App"))
        return AppTokenPayload(app=app, token=token)

    @mutation(description="Delete an app with its webhooks (staff).", permissions=STAFF)
    def delete_app(self, info: Info, id: relay.GlobalID) -> OkResult:
        services.app_delete(principal=info.context.principal, app_id=node_pk(id, "App"))
        return OkPayload()

    @mutation(
        description="Add a webhook to an app (staff). The signing secret is in the answer, and only there.",
        permissions=STAFF,
    )
    def create_webhook(self, info: Info, input: CreateWebhookInput) -> WebhookResult:
        webhook, secret = services.webhook_create(
            principal=info.context.principal,
            app_id=node_pk(input.app_id, "App"),
            target_url=input.target_url,
            events=[event.value for event in input.events],
            is_active=input.is_active,
            query=input.query or "",
        )
        return WebhookPayload(webhook=webhook, secret=secret)

    @mutation(description="Change a webhook's URL, events, query or active flag (staff).", permissions=STAFF)
    def update_webhook(self, info: Info, id: relay.GlobalID, input: UpdateWebhookInput) -> WebhookResult:
        webhook = services.webhook_update(
            principal=info.context.principal,
            webhook_id=node_pk(id, "Webhook"),
            target_url=input.target_url,
            events=_values(input.events),
            is_active=input.is_active,
            query=input.query,
        )
        return WebhookPayload(webhook=webhook)

    @mutation(
        description="Give a webhook a new signing secret (staff); it is in the answer, and only there. "
        "The old secret keeps signing deliveries, as a second `v1=`, for WEBHOOK_SECRET_OVERLAP_HOURS.",
        permissions=STAFF,
    )
    def rotate_webhook_secret(self, info: Info, id: relay.GlobalID) -> WebhookResult:
        webhook, secret = services.webhook_secret_rotate(
            principal=info.context.principal, webhook_id=node_pk(id, "Webhook")
        )
        return WebhookPayload(webhook=webhook, secret=secret)

    @mutation(description="Delete a webhook and its deliveries (staff).", permissions=STAFF)
    def delete_webhook(self, info: Info, id: relay.GlobalID) -> OkResult:
        services.webhook_delete(principal=info.context.principal, webhook_id=node_pk(id, "Webhook"))
        return OkPayload()

    @mutation(
        description="Send a delivery again, with a fresh series of retries (staff). Its X-FMCore-Delivery stays.",
        permissions=STAFF,
    )
    def retry_webhook_delivery(self, info: Info, id: relay.GlobalID) -> WebhookDeliveryResult:
        delivery = services.webhook_delivery_retry(
            principal=info.context.principal, delivery_id=node_pk(id, "WebhookDelivery")
        )
        return WebhookDeliveryPayload(delivery=delivery)

    @mutation(
        description="Send every FAILED delivery matching `filter` again, each with a fresh series of retries "
        "(staff), in one transaction; answers how many. Deliveries of webhooks that are off, or whose app "
        "is off or lacks the event's scope, stay FAILED.",
        permissions=STAFF,
    )
    def retry_webhook_deliveries(
        self, info: Info, filter: RetryWebhookDeliveriesFilter
    ) -> WebhookDeliveriesRetriedResult:
        count = services.webhook_deliveries_retry(
            principal=info.context.principal,
            app_id=None if filter.app_id is None else node_pk(filter.app_id, "App"),
            webhook_id=None if filter.webhook_id is None else node_pk(filter.webhook_id, "Webhook"),
            created_after=filter.created_after,
            created_before=filter.created_before,
        )
        return WebhookDeliveriesRetriedPayload(count=count)
