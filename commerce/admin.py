"""Orders and payments for staff to look at: changes go through the services
(`order_transition`, the payment providers), never through these pages."""

from django.contrib import admin

from infra.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Order, OrderLine, OrderStatusChange, Payment, PaymentEvent, Refund


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product_name", "unit_price", "quantity", "line_total"]


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "from_status", "to_status", "actor", "actor_app", "note"]
    ordering = ["created_at", "id"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["provider", "status", "amount", "currency", "refunded_amount", "created_at", "paid_at"]
    show_change_link = True


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "user", "status", "total", "currency", "payment_method", "created_at"]
    list_filter = ["status", "payment_method"]
    search_fields = ["number", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderStatusChangeInline, PaymentInline]


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["amount", "currency", "status", "reason", "actor", "created_at"]


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ["event_id", "type", "outcome", "received_at", "processed_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "order", "provider", "status", "amount", "currency", "created_at", "paid_at"]
    list_filter = ["status", "provider"]
    search_fields = ["reference", "provider_reference", "order__number"]
    list_select_related = ["order"]
    inlines = [RefundInline, PaymentEventInline]
