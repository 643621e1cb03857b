from .addresses import Address
from .cart import Cart, CartLine, WishlistItem
from .catalog import Category, Product, ProductImage, StockMovement
from .notifications import Notification, SentEmail
from .orders import Order, OrderLine, OrderStatus, OrderStatusChange, PaymentMethod

__all__ = [
    "Address",
    "Cart",
    "CartLine",
    "Category",
    "Notification",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OrderStatusChange",
    "PaymentMethod",
    "Product",
    "ProductImage",
    "SentEmail",
    "StockMovement",
    "WishlistItem",
]
