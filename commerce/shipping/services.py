"""Shipping writes: staff manage the methods; customers choose one for their cart;
checkout settles which method an order ships with."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from accounts.principal import Principal
from commerce import pricing
from commerce.addresses.countries import COUNTRY_CODES
from commerce.cache import pricing_cache_invalidate
from commerce.cart.guests import CartOwner, owner_cart_cache_invalidate
from commerce.cart.selectors import cart_load
from commerce.cart.services import cart_get_or_create
from commerce.catalog.services import clean_name
from commerce.errors import AlreadyExists, InvalidCountry, ShippingMethodRequired, ShippingMethodUnavailable
from commerce.models import Cart, ShippingMethod
from infra.errors import InvalidInput, NotFound, PermissionDenied

from . import policy, selectors

FIELDS = frozenset({"name", "price", "free_above", "countries"})


def _apply(method: ShippingMethod, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - FIELDS
    assert not unknown, unknown
    if "name" in changes:
        method.name = clean_name(changes["name"], max_length=100)
    if "price" in changes:
        if changes["price"] is None:
            raise InvalidInput("The price is required.", field="price")
        method.price = pricing.amount_clean(changes["price"], "price")
    if "free_above" in changes:
        free_above = changes["free_above"]
        method.free_above = None if free_above is None else pricing.amount_clean(free_above, "freeAbove")
    if "countries" in changes:
        countries = sorted({code.strip().upper() for code in changes["countries"] or ()})
        if any(code not in COUNTRY_CODES for code in countries):
            raise InvalidCountry("Use two-letter ISO 3166-1 country codes, e.g. DE.", field="countries")
        method.countries = countries


def _save(method: ShippingMethod) -> ShippingMethod:
    try:
        with transaction.atomic():
            method.save()
    except IntegrityError as exc:
        raise AlreadyExists(f"A shipping method named {method.name} exists.", field="name") from exc
    pricing_cache_invalidate()
    return method


def shipping_method_create(*, principal: Principal, changes: Mapping[str, Any]) -> ShippingMethod:
    """Create a shipping method: a unique name, a price, optionally `free_above` and `countries` (empty: all)."""
    if not policy.may_manage_shipping(principal):
        raise PermissionDenied()
    for required in ("name", "price"):
        if changes.get(required) is None:
            raise InvalidInput(f"The {required} is required.", field=required)
    method = ShippingMethod()
    _apply(method, changes)
    return _save(method)


def shipping_method_update(
    *, principal: Principal, shipping_method_id: int, changes: Mapping[str, Any]
) -> ShippingMethod:
    """Change the given fields of a shipping method; orders placed with it keep their frozen price."""
    if not policy.may_manage_shipping(principal):
        raise PermissionDenied()
    with transaction.atomic():
        method = ShippingMethod.objects.select_for_update().filter(pk=shipping_method_id).first()
        if method is None:
            raise NotFound("No shipping method with this id.", field="id")
        _apply(method, changes)
        return _save(method)


def shipping_method_delete(*, principal: Principal, shipping_method_id: int) -> None:
    """Delete a shipping method: carts that chose it choose again; orders keep its name and price."""
    if not policy.may_manage_shipping(principal):
        raise PermissionDenied()
    with transaction.atomic():
        deleted, _ = ShippingMethod.objects.filter(pk=shipping_method_id).delete()
        if not deleted:
            raise NotFound("No shipping method with this id.", field="id")
        pricing_cache_invalidate()


def cart_shipping_method_set(*, owner: CartOwner, shipping_method_id: int) -> Cart:
    """Choose how the owner's cart (a user's or a guest's) ships (`NOT_FOUND` for an unknown method).

    Whether it ships to the address is checked at checkout, where the
    address is final (`SHIPPING_METHOD_UNAVAILABLE`).
    """
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart_get_or_create(owner=owner).pk)
        if not ShippingMethod.objects.filter(pk=shipping_method_id).exists():
            raise NotFound("No shipping method with this id.", field="shippingMethodId")
        cart.shipping_method_id = shipping_method_id
        cart.save(update_fields=["shipping_method", "updated_at"])
        owner_cart_cache_invalidate(owner)
    loaded = cart_load(owner=owner)
    assert loaded is not None
    return loaded


def shipping_method_settle(*, chosen_id: int | None, country: str | None) -> ShippingMethod | None:
    """At checkout: the method the order ships with, for the address's `country`.

    `chosen_id` is the method given to checkout, else the cart's. When any
    method serves the country one must be chosen (`SHIPPING_METHOD_REQUIRED`)
    and it must serve it (`SHIPPING_METHOD_UNAVAILABLE`; a deleted method too).
    With no method serving the country, an order ships without one.
    """
    every = list(selectors.shipping_method_list())
    serving = [method for method in every if method.serves(country)]
    chosen = next((method for method in every if method.pk == chosen_id), None)
    if chosen is None and chosen_id is not None and serving:
        raise ShippingMethodUnavailable("The chosen shipping method no longer exists.", field="shippingMethodId")
    if chosen is None:
        if serving:
            names = ", ".join(method.name for method in serving)
            raise ShippingMethodRequired(f"Choose a shipping method: {names}.", field="shippingMethodId")
        return None
    if not chosen.serves(country):
        where = f"to {country}" if country else "without an address"
        raise ShippingMethodUnavailable(f"{chosen.name} does not ship {where}.", field="shippingMethodId")
    return chosen
