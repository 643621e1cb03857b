"""Read-only admin pages, and the outbox's.

Rows whose changes must go through a service (an order's status through
`order_transition`, a payment through its provider, a message through the
outbox) are shown to staff but cannot be added, edited or deleted here.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten

from .models import OutboxMessage


class NoWrites:
    """View-only for everybody, superusers included: writes go through the services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    pass


class ReadOnlyInline(NoWrites, admin.TabularInline):
    extra = 0

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        if self.fields is None:
            raise TypeError(f"{type(self).__name__} must list its `fields`")
        return flatten(self.fields)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "actor_name", "queue_name", "created_at", "sent_at", "attempts"]
    list_filter = ["queue_name", "actor_name", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["actor_name"]
