import strawberry
from strawberry import relay

from .types import AppScopeEnum, WebhookEventEnum


@strawberry.input(description="A new partner app.")
class CreateAppInput:
    name: str
    scopes: list[AppScopeEnum]


@strawberry.input(description="Changes to a partner app; omitted fields stay as they are.")
class UpdateAppInput:
    name: str | None = None
    scopes: list[AppScopeEnum] | None = None
    is_active: bool | None = None


@strawberry.input(description="A new webhook of a partner app.")
class CreateWebhookInput:
    app_id: relay.GlobalID
    target_url: str = strawberry.field(description="A public http(s) URL.")
    events: list[WebhookEventEnum]
    is_active: bool = True


@strawberry.input(description="Changes to a webhook; omitted fields stay as they are.")
class UpdateWebhookInput:
    target_url: str | None = None
    events: list[WebhookEventEnum] | None = None
    is_active: bool | None = None
