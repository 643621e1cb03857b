"""Deleting many old rows without one huge transaction."""

from django.db import models


def queryset_delete_in_batches(queryset: models.QuerySet, *, batch_size: int) -> int:
    """Delete the rows of `queryset` `batch_size` at a time, each batch its own
    short transaction (autocommit), so locks and WAL stay small; returns how many
    rows of the queryset's model were deleted (cascaded rows not counted)."""
    model = queryset.model
    label = model._meta.label
    deleted = 0
    while ids := list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        _, per_model = model._base_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(label, 0)
    return deleted
