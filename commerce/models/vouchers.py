from django.conf import settings
from django.db import models
from django.db.models import Q

from .catalog import Category
from .orders import Order


class VoucherKind(models.TextChoices):
    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"


class Voucher(models.Model):
    """A discount code. Its code is stored upper case and matched in any case."""

    code = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=VoucherKind.choices)
    value = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Percent off (0-100) or an amount off the eligible subtotal."
    )
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Orders overall; empty: no limit.")
    usage_limit_per_customer = models.PositiveIntegerField(null=True, blank=True)
    categories = models.ManyToManyField(
        Category, blank=True, related_name="+", help_text="When set, only lines of these categories are discounted."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="voucher_value_positive")]

    def __str__(self) -> str:
        return self.code


class VoucherUse(models.Model):
    """One placed order that used a voucher; deleted when an unpaid order is cancelled."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="uses")
    # One use per order at most: the backstop of "counted exactly once".
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="voucher_use")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.voucher_id} on {self.order_id}"
