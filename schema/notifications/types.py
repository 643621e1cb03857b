import strawberry_django
from django.db.models import Q
from strawberry import auto, relay

from commerce.models import Notification


@strawberry_django.filter_type(Notification, description="Narrow the notifications list.")
class NotificationFilter:
    @strawberry_django.filter_field(description="True: only unread ones; false: only read ones.")
    def unread(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}read": not value})


@strawberry_django.type(
    Notification,
    name="Notification",
    filters=NotificationFilter,
    description="An in-app message to you, e.g. about one of your orders.",
)
class NotificationType(relay.Node):
    kind: auto
    title: auto
    body: auto
    read: auto
    created_at: auto
