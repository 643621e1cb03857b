from datetime import datetime

import strawberry
from strawberry import relay

from schema.enums import AppScope, WebhookEventType


@strawberry.input(description="A new partner app.")
class CreateAppInput:
    name: str
    scopes: list[AppScope]


@strawberry.input(description="Changes to a partner app; omitted fields stay as they are.")
class UpdateAppInput:
    name: str | None = None
    scopes: list[AppScope] | None = None
    is_active: bool | None = None


@strawberry.input(description="A new webhook of a partner app.")
class CreateWebhookInput:
    app_id: relay.GlobalID
    target_url: str = strawberry.field(description="A public http(s) URL.")
    events: list[WebhookEventType]
    is_active: bool = True
    query: str | None = strawberry.field(
        default=None,
        description="A subscription document over the field carrying the events (e.g. `subscription { "
        "orderStatusChanged { toStatus order { number } } }`): each payload's `data` is its answer, "
        "executed as the app. Without it, the documented payloads are sent.",
    )


@strawberry.input(description="Changes to a webhook; omitted fields stay as they are.")
class UpdateWebhookInput:
    target_url: str | None = None
    events: list[WebhookEventType] | None = None
    is_active: bool | None = None
    query: str | None = strawberry.field(
        default=None, description="A new payload document; an empty string removes it (documented payloads)."
    )


@strawberry.input(description="Which FAILED deliveries to send again; omitted fields do not filter.")
class RetryWebhookDeliveriesFilter:
    app_id: relay.GlobalID | None = strawberry.field(default=None, description="Only this app's webhooks.")
    webhook_id: relay.GlobalID | None = strawberry.field(default=None, description="Only this webhook.")
    created_after: datetime | None = strawberry.field(default=None, description="Only events after this time.")
    created_before: datetime | None = strawberry.field(default=None, description="Only events before this time.")
