"""Read-only shipping queries: which methods serve a country and what one costs.

A method with no countries ships everywhere. With no address known there is
no country, and only those methods serve it.
"""

from decimal import Decimal

from django.db.models import QuerySet

from commerce import pricing
from commerce.models import Address, ShippingMethod


def shipping_method_list() -> QuerySet[ShippingMethod]:
    """Every shipping method, cheapest first."""
    return ShippingMethod.objects.order_by("price", "name")


def shipping_methods_for(country: str | None) -> list[ShippingMethod]:
    """The methods that ship to `country` (one query; methods are few, the country filter runs here)."""
    return [method for method in shipping_method_list() if method.serves(country)]


def shipping_country(*, user_id: int, address_id: int | None = None) -> str | None:
    """The country of one of the user's addresses, by default their default address's; None without one."""
    addresses = Address.objects.filter(user_id=user_id)
    addresses = addresses.filter(pk=address_id) if address_id is not None else addresses.filter(is_default=True)
    return addresses.values_list("country", flat=True).first()


def shipping_terms(method: ShippingMethod | None) -> pricing.ShippingTerms | None:
    return None if method is None else pricing.ShippingTerms(price=method.price, free_above=method.free_above)


def shipping_price(method: ShippingMethod, *, discounted_subtotal: Decimal) -> Decimal:
    """What `method` costs for goods worth `discounted_subtotal`."""
    terms = shipping_terms(method)
    assert terms is not None
    return pricing.shipping_amount(terms, discounted_subtotal=discounted_subtotal)
