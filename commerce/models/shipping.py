from decimal import Decimal

from django.db import models
from django.db.models import Q


class ShippingMethod(models.Model):
    """A way to ship an order at a flat price, optionally free above a subtotal."""

    name = models.CharField(max_length=100, unique=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    free_above = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Free from this (discounted) subtotal on."
    )
    countries = models.JSONField(
        default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes it ships to; empty: every country."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["price", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=Decimal("0")), name="shipping_method_price_not_negative")
        ]

    def __str__(self) -> str:
        return self.name

    def serves(self, country: str | None) -> bool:
        """Whether it ships to `country`; with no country known, only methods for every country do."""
        return not self.countries or country in self.countries
