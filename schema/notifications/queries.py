from collections.abc import Iterable

import strawberry
import strawberry_django

from commerce.models import Notification
from commerce.notifications import selectors
from schema.connection import Connection
from schema.context import Info
from schema.permissions import IsAuthenticated

from .types import NotificationType


@strawberry.type
class NotificationQueries:
    @strawberry_django.connection(
        Connection[NotificationType],
        description="Your notifications, newest first; filter `unread`.",
        extensions=[IsAuthenticated()],
    )
    def notifications(self, info: Info) -> Iterable[Notification]:
        return selectors.notifications_of(info.context.user)
