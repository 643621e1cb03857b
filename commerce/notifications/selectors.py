"""Read-only notification queries, scoped to their owner."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from commerce.models import Notification


def notifications_of(user: User | AnonymousUser) -> QuerySet[Notification]:
    """The caller's own notifications, newest first; none for anonymous callers."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")
