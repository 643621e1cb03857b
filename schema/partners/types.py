"""Partner apps, their webhooks and the deliveries of those webhooks."""

from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay
from strawberry.scalars import JSON
from strawberry_django.fields.types import OperationInfo

from partners import policy as partners_policy
from partners.models import App, Webhook, WebhookAttempt, WebhookDelivery
from schema.accounts.types import UserType
from schema.enums import AppScope, WebhookDeliveryStatus, WebhookEventType
from schema.permissions import Allowed


@strawberry_django.type(App, name="App")
class AppType(relay.Node):
    """A partner app: a machine caller using `Authorization: App <token>`."""

    name: auto
    is_active: auto
    token_prefix: auto
    created_at: auto
    token_rotated_at: auto
    created_by: UserType | None = strawberry_django.field(
        description="The staff member who created the app.", extensions=[Allowed(partners_policy.may_manage_apps)]
    )

    @strawberry_django.field(only=["scopes"], description="The granted scopes.")
    def scopes(self, root: App) -> list[AppScope]:
        return [AppScope(scope) for scope in root.scopes if scope in AppScope.values]


@strawberry_django.filter_type(Webhook)
class WebhookFilter:
    is_active: auto

    @strawberry_django.filter_field(description="Only the webhooks of this app.")
    def app(self, value: relay.GlobalID, prefix: str) -> Q:
        return Q(**{f"{prefix}app_id": value.node_id}) if value.type_name == "App" else Q(pk__in=[])


@strawberry_django.type(Webhook, name="Webhook", filters=WebhookFilter)
class WebhookType(relay.Node):
    """Where fm-core POSTs an app's events, signed with the webhook's secret."""

    app: AppType
    target_url: auto
    is_active: auto
    created_at: auto

    @strawberry_django.field(only=["events"], description="The subscribed events.")
    def events(self, root: Webhook) -> list[WebhookEventType]:
        return [WebhookEventType(event) for event in root.events if event in WebhookEventType.values]

    @strawberry_django.field(
        only=["query"], description="The subscription document that shapes the payloads; null: the documented ones."
    )
    def query(self, root: Webhook) -> str | None:
        return root.query or None


@strawberry_django.type(WebhookAttempt, name="WebhookAttempt")
class WebhookAttemptType:
    """One POST of a delivery."""

    number: auto
    status_code: int | None = strawberry_django.field(description="The receiver's HTTP status; null if none came.")
    duration_ms: auto
    error: str = strawberry_django.field(description="Why the attempt failed; empty when it succeeded.")
    succeeded: auto
    created_at: auto


@strawberry_django.filter_type(WebhookDelivery)
class WebhookDeliveryFilter:
    @strawberry_django.filter_field(description="Only deliveries in this status.")
    def status(self, value: WebhookDeliveryStatus, prefix: str) -> Q:
        return Q(**{f"{prefix}status": value.value})

    @strawberry_django.filter_field(description="Only deliveries of this event.")
    def event(self, value: WebhookEventType, prefix: str) -> Q:
        return Q(**{f"{prefix}event": value.value})

    @strawberry_django.filter_field(description="Only deliveries of this webhook.")
    def webhook(self, value: relay.GlobalID, prefix: str) -> Q:
        return Q(**{f"{prefix}webhook_id": value.node_id}) if value.type_name == "Webhook" else Q(pk__in=[])


@strawberry_django.type(WebhookDelivery, name="WebhookDelivery", filters=WebhookDeliveryFilter)
class WebhookDeliveryType(relay.Node):
    """One event for one webhook, with every attempt to deliver it."""

    delivery_id: auto = strawberry_django.field(
        field_name="uuid", description="Sent as X-FMCore-Delivery; receivers dedupe on it."
    )
    webhook: WebhookType
    payload: JSON | None = strawberry_django.field(
        description="The event's data, as sent under `data`; for a webhook with a query, its answer "
        "(null until the first attempt computed it)."
    )
    errors: JSON | None = strawberry_django.field(
        description="The errors of the webhook's query, sent under `errors`; null when none."
    )
    attempt_count: auto
    created_at: auto
    last_attempt_at: auto
    delivered_at: auto
    attempts: list[WebhookAttemptType] = strawberry_django.field(description="Every attempt, oldest first.")

    @strawberry_django.field(only=["event"], description="The event delivered.")
    def event(self, root: WebhookDelivery) -> WebhookEventType:
        return WebhookEventType(root.event)

    @strawberry_django.field(only=["status"], description="PENDING, SUCCEEDED or FAILED.")
    def status(self, root: WebhookDelivery) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(root.status)


@strawberry.type(description="A partner app with its token: store it now, it is never shown again.")
class AppTokenPayload:
    app: App = strawberry.field(graphql_type=AppType)
    token: str = strawberry.field(description="Send it as `Authorization: App <token>`.")


AppTokenResult = Annotated[AppTokenPayload | OperationInfo, strawberry.union("AppTokenResult")]


@strawberry.type
class AppPayload:
    app: App = strawberry.field(graphql_type=AppType)


AppResult = Annotated[AppPayload | OperationInfo, strawberry.union("AppResult")]


@strawberry.type(description="A webhook; `secret` is set only when it was just created or rotated (shown once).")
class WebhookPayload:
    webhook: Webhook = strawberry.field(graphql_type=WebhookType)
    secret: str | None = strawberry.field(
        default=None, description="Signs every delivery (X-FMCore-Signature); shown once."
    )


WebhookResult = Annotated[WebhookPayload | OperationInfo, strawberry.union("WebhookResult")]


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery = strawberry.field(graphql_type=WebhookDeliveryType)


WebhookDeliveryResult = Annotated[WebhookDeliveryPayload | OperationInfo, strawberry.union("WebhookDeliveryResult")]


@strawberry.type(description="FAILED deliveries sent again.")
class WebhookDeliveriesRetriedPayload:
    count: int = strawberry.field(description="How many deliveries were queued again.")


WebhookDeliveriesRetriedResult = Annotated[
    WebhookDeliveriesRetriedPayload | OperationInfo, strawberry.union("WebhookDeliveriesRetriedResult")
]
