from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Cast, Concat, ExtractYear, Greatest, Length, LPad, Upper

from .catalog import Product, ProductVariant, default_currency


class OrderStatus(models.TextChoices):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    PAID = "PAID"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class PaymentMethod(models.TextChoices):
    CARD = "CARD", "Card (Stripe)"
    PAYPAL = "PAYPAL", "PayPal"
    MAYA = "MAYA", "Maya"
    EPAYCO = "EPAYCO", "ePayco"
    COD = "COD", "Cash on delivery"
    DUMMY = "DUMMY", "Dummy (tests and demos)"


def _order_number_expression() -> Concat:
    """FM-<year of creation, UTC>-<id, at least 6 digits>, computed by the
    database on insert so checkout needs no second write to number an order."""
    digits = Cast(F("id"), models.CharField())
    return Concat(
        Value("FM-"),
        Cast(ExtractYear("created_at"), models.CharField()),  # in TIME_ZONE (UTC)
        Value("-"),
        LPad(digits, Greatest(Length(digits), Value(6)), Value("0")),
    )


class Order(models.Model):
    """A placed order. Prices and the address are copies, frozen at checkout."""

    number = models.GeneratedField(
        expression=_order_number_expression(),
        output_field=models.CharField(max_length=32),
        unique=True,
        db_persist=True,
        help_text="Human-readable invoice number.",
    )
    # Null for a guest's order (until that email registers and verifies: commerce/orders/guests.py).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    email = models.EmailField(blank=True, help_text="A guest order's email: its mails go there.")
    guest_cart = models.ForeignKey(
        "commerce.Cart",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guest_orders",
        db_index=False,  # order_guest_cart_recent serves it
        help_text="The guest cart the order was placed from: its token reads the order.",
    )
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    currency = models.CharField(max_length=3, default=default_currency)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    shipping_address = models.JSONField(null=True, blank=True)
    voucher_code = models.CharField(max_length=40, blank=True)
    shipping_method_name = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # Set once when the order's stock went back to the shelves (cancel or refund).
    stock_restored_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_per_user",
            ),
            models.UniqueConstraint(
                fields=["guest_cart", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False, guest_cart__isnull=False),
                name="order_idempotency_key_per_guest_cart",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""), name="order_of_a_user_or_a_guest_email"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_recent"),
            models.Index(fields=["-created_at", "-id"], name="order_newest"),
            models.Index(fields=["total"], name="order_total"),
            models.Index(fields=["status"], name="order_status"),
            models.Index(fields=["guest_cart", "-created_at"], name="order_guest_cart_recent"),
            models.Index(Upper("email"), condition=Q(user__isnull=True), name="order_guest_email"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    product_name = models.CharField(max_length=200)
    variant = models.ForeignKey(ProductVariant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    variant_name = models.CharField(max_length=200, blank=True, help_text="Frozen at checkout.")
    sku = models.CharField(max_length=64, blank=True, help_text="Frozen at checkout.")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"


class OrderStatusChange(models.Model):
    """One step of an order's history; the first has no `from_status`."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_app = models.ForeignKey(
        "partners.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The partner app that made the change, when an app made it.",
    )
    note = models.TextField(blank=True)
    # The event's place in the order-event stream: dense, and in commit order
    # (assigned under a lock held to commit, see `commerce.event_stream`).
    sequence = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"
