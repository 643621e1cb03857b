from collections.abc import Iterable

import strawberry
import strawberry_django

from partners import policy as partners_policy
from partners.models import App, Webhook, WebhookDelivery
from schema.connection import Connection
from schema.context import Info
from schema.permissions import Allowed

from .types import AppType, WebhookDeliveryType, WebhookType


@strawberry.type
class PartnerQueries:
    @strawberry_django.field(
        graphql_type=AppType | None,
        description="The partner app making the call (`Authorization: App <token>`); else null.",
    )
    def current_app(self, info: Info) -> App | None:
        return info.context.app

    @strawberry_django.connection(
        Connection[AppType],
        description="Every partner app (staff only).",
        extensions=[Allowed(partners_policy.may_manage_apps)],
    )
    def apps(self) -> Iterable[App]:
        return App.objects.order_by("id")

    @strawberry_django.connection(
        Connection[WebhookType],
        description="Every webhook (staff only), with filters `app`, `isActive`.",
        extensions=[Allowed(partners_policy.may_manage_apps)],
    )
    def webhooks(self) -> Iterable[Webhook]:
        return Webhook.objects.order_by("id")

    @strawberry_django.connection(
        Connection[WebhookDeliveryType],
        description="Webhook deliveries, newest first (staff only), with filters `status`, `event`, `webhook`.",
        extensions=[Allowed(partners_policy.may_manage_apps)],
    )
    def webhook_deliveries(self) -> Iterable[WebhookDelivery]:
        return WebhookDelivery.objects.order_by("-created_at", "-id")
