"""Read-only address queries."""

from django.db.models import QuerySet

from commerce.models import Address


def address_list(*, user) -> QuerySet[Address]:
    """The user's addresses, the default first."""
    return Address.objects.filter(user_id=user.pk).order_by("-is_default", "id")
