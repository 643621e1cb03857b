from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .orders import Order, OrderLine


class Fulfilment(models.Model):
    """One shipment of a paid order: which carrier, how to track it, and which lines
    (and how many of each) left in it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=100)
    tracking_url = models.URLField(max_length=500, blank=True)
    shipped_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_app = models.ForeignKey(
        "partners.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The partner app that recorded the shipment, when an app did.",
    )

    class Meta:
        ordering = ["shipped_at", "id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class FulfilmentLine(models.Model):
    """How many units of one order line a fulfilment shipped."""

    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="fulfilment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fulfilment_line_quantity_positive"),
            models.UniqueConstraint(fields=["fulfilment", "order_line"], name="fulfilment_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line_id}"
