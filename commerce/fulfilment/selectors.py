"""Read-only fulfilment queries."""

from django.db.models import Sum

from commerce.models import FulfilmentLine, Order


def order_shipped_quantities(*, order: Order) -> dict[int, int]:
    """Units of each of the order's lines shipped so far, by order line id (lines
    with nothing shipped are absent)."""
    rows = (
        FulfilmentLine.objects.filter(fulfilment__order=order)
        .values("order_line_id")
        .annotate(shipped=Sum("quantity"))
        .values_list("order_line_id", "shipped")
    )
    return dict(rows)
