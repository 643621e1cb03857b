from django.conf import settings
from django.db import models
from django.db.models import Q

from .catalog import Product, ProductVariant


class Cart(models.Model):
    """A user's one cart, created on first use; or a guest's, opened by a cart token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    # A guest cart's token is shown once; only its SHA-256 is kept (commerce/cart/guests.py).
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    voucher = models.ForeignKey("Voucher", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shipping_method = models.ForeignKey(
        "ShippingMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, token_hash__isnull=True)
                | Q(user__isnull=True, token_hash__isnull=False),
                name="cart_of_a_user_or_a_guest",
            )
        ]
        indexes = [
            models.Index(fields=["updated_at"], condition=Q(user__isnull=True), name="cart_guest_updated"),
        ]

    def __str__(self) -> str:
        return f"cart of {self.user_id}" if self.user_id else f"guest cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(ProductVariant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_one_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class WishlistItem(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="wishlist_one_per_product")]

    def __str__(self) -> str:
        return f"{self.user_id} wishes {self.product_id}"
