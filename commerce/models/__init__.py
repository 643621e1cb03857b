from .addresses import Address
from .cart import Cart, CartLine, WishlistItem
from .catalog import Category, Product, ProductImage, ProductVariant, StockMovement
from .fulfilment import Fulfilment, FulfilmentLine
from .notifications import Notification, SentEmail
from .orders import Order, OrderLine, OrderStatus, OrderStatusChange, PaymentMethod
from .payments import Payment, PaymentEvent, PaymentStatus, PaymentStatusChange, Refund, RefundStatus
from .shipping import ShippingMethod
from .vouchers import Voucher, VoucherKind, VoucherUse

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
    "ProductVariant",
    "Refund",
    "RefundStatus",
    "SentEmail",
    "ShippingMethod",
    "StockMovement",
    "Voucher",
    "VoucherKind",
    "VoucherUse",
    "WishlistItem",
]
