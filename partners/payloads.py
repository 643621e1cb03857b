"""The data of each webhook event, built from the rows they describe.

Documented for partner developers in docs/partners.md; keep the two in step.
Amounts are decimal strings, times ISO 8601, ids Relay global ids.
"""

from datetime import datetime
from typing import Any

from django.utils import timezone
from strawberry import relay

from commerce.models import Fulfilment, Order


def _global_id(type_name: str, pk: Any) -> str:
    return relay.to_base64(type_name, pk)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def order_data(order: Order) -> dict:
    """An order as partner events describe it (lines and shipping address included)."""
    return {
        "id": _global_id("Order", order.pk),
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "tax": str(order.tax),
        "total": str(order.total),
        "paymentMethod": order.payment_method,
        "customerEmail": order.user.email if order.user is not None else order.email,
        "shippingAddress": order.shipping_address,
        "lines": [
            {
                "productName": line.product_name,
                "unitPrice": str(line.unit_price),
                "quantity": line.quantity,
                "lineTotal": str(line.line_total),
            }
            for line in order.lines.all()
        ],
        "createdAt": _iso(order.created_at),
    }


def order_created_payload(order: Order) -> dict:
    """ORDER_CREATED: `{"order": {...}}`."""
    return {"order": order_data(order)}


def order_status_changed_payload(
    order: Order, *, from_status: str, to_status: str, changed_at: datetime | None = None, note: str = ""
) -> dict:
    """ORDER_STATUS_CHANGED: the same fields as the `orderStatusChanged` subscription."""
    return {
        "order": order_data(order),
        "fromStatus": from_status,
        "toStatus": to_status,
        "changedAt": _iso(changed_at or timezone.now()),
        "note": note,
    }


def payment_succeeded_payload(payment: Any) -> dict:
    """PAYMENT_SUCCEEDED: `{"payment": {...}, "order": {...}}` (a `Payment` row with its `order`)."""
    return {
        "payment": {
            "id": _global_id("Payment", payment.pk),
            "method": payment.method,
            "status": payment.status,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "providerReference": payment.provider_reference,
            "paidAt": _iso(payment.paid_at),
        },
        "order": order_data(payment.order),
    }


def order_fulfilled_payload(fulfilment: Fulfilment) -> dict:
    """ORDER_FULFILLED: `{"order": {...}, "fulfilment": {...}}`: the shipment and the order it belongs to."""
    return {
        "order": order_data(fulfilment.order),
        "fulfilment": {
            "id": _global_id("Fulfilment", fulfilment.pk),
            "carrier": fulfilment.carrier,
            "trackingNumber": fulfilment.tracking_number,
            "trackingUrl": fulfilment.tracking_url or None,
            "shippedAt": _iso(fulfilment.shipped_at),
            "lines": [
                {
                    "orderLineId": _global_id("OrderLine", line.order_line_id),
                    "productName": line.order_line.product_name,
                    "quantity": line.quantity,
                }
                for line in fulfilment.lines.select_related("order_line")
            ],
        },
    }
