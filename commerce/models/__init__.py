from .addresses import Address
from .cart import Cart, CartLine, WishlistItem
from .catalog import Category, Product, ProductImage, StockMovement
from .fulfilment import Fulfilment, FulfilmentLine
from .notifications import Notification, SentEmail
from .orders import Order, OrderLine, OrderStatus, OrderStatusChange, PaymentMethod
from .payments import Payment, PaymentEvent, PaymentStatus, PaymentStatusChange, Refund, RefundStatus

__all__ = [
    "Address",
    "Cart",
    "CartLine",
    "Category",
    "Fulfilment",
    "FulfilmentLine",
    "Notification",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OrderStatusChange",
    "Payment",
    "PaymentEvent",
    "PaymentMethod",
    "PaymentStatus",
    "PaymentStatusChange",
    "Product",
    "ProductImage",
    "Refund",
    "RefundStatus",
    "SentEmail",
    "StockMovement",
    "WishlistItem",
]
