"""Voucher writes: staff manage vouchers; customers apply one to their cart;
checkout redeems it (one `VoucherUse` per order) and cancelling an unpaid
order gives the use back."""

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.principal import Principal
from commerce import pricing
from commerce.cache import pricing_cache_invalidate
from commerce.cart.guests import CartOwner, owner_actor, owner_cart_cache_invalidate
from commerce.cart.selectors import cart_load, cart_summary
from commerce.cart.services import cart_get_or_create
from commerce.errors import AlreadyExists, VoucherInvalid
from commerce.models import Cart, Category, Order, Voucher, VoucherKind, VoucherUse
from infra.errors import InvalidInput, NotFound, PermissionDenied

from . import policy, selectors

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
FIELDS = frozenset(
    {
        "code",
        "kind",
        "value",
        "min_subtotal",
        "starts_at",
        "ends_at",
        "usage_limit",
        "usage_limit_per_customer",
        "category_ids",
    }
)
_API_NAMES = {"usage_limit": "usageLimit", "usage_limit_per_customer": "usageLimitPerCustomer"}


def _limit(value: int | None, field: str) -> int | None:
    if value is not None and value < 1:
        raise InvalidInput("A usage limit is at least 1 (leave it empty for no limit).", field=field)
    return value


def _apply(voucher: Voucher, changes: Mapping[str, Any]) -> list[int] | None:
    """Validate and set the given fields; returns the new category ids when they change."""
    unknown = set(changes) - FIELDS
    assert not unknown, unknown
    if "code" in changes:
        code = selectors.voucher_code_normalize(changes["code"])
        if not _CODE.match(code):
            raise InvalidInput("A code is 1-40 letters, digits, '-' or '_'.", field="code")
        voucher.code = code
    if "kind" in changes:
        if changes["kind"] not in VoucherKind.values:
            raise InvalidInput("The kind is PERCENTAGE or FIXED.", field="kind")
        voucher.kind = changes["kind"]
    if "value" in changes:
        voucher.value = pricing.amount_clean(changes["value"], "value")
    if "min_subtotal" in changes:
        minimum = changes["min_subtotal"]
        voucher.min_subtotal = None if minimum is None else pricing.amount_clean(minimum, "minSubtotal")
    for name in ("usage_limit", "usage_limit_per_customer"):
        if name in changes:
            setattr(voucher, name, _limit(changes[name], _API_NAMES[name]))
    for name in ("starts_at", "ends_at"):
        if name in changes:
            setattr(voucher, name, changes[name])
    if voucher.value is None or voucher.value <= 0:
        raise InvalidInput("The value must be more than 0.", field="value")
    if voucher.kind == VoucherKind.PERCENTAGE and voucher.value > 100:
        raise InvalidInput("A percentage is at most 100.", field="value")
    if voucher.starts_at and voucher.ends_at and voucher.ends_at <= voucher.starts_at:
        raise InvalidInput("The voucher must end after it starts.", field="endsAt")
    if "category_ids" not in changes or changes["category_ids"] is None:
        return None
    ids = sorted(set(changes["category_ids"]))
    if Category.objects.filter(pk__in=ids).count() != len(ids):
        raise NotFound("No category with one of these ids.", field="categoryIds")
    return ids


def _save(voucher: Voucher, category_ids: list[int] | None) -> Voucher:
    try:
        with transaction.atomic():
            voucher.save()
    except IntegrityError as exc:
        raise AlreadyExists(f"A voucher with the code {voucher.code} exists.", field="code") from exc
    if category_ids is not None:
        voucher.categories.set(category_ids)
    pricing_cache_invalidate()
    return voucher


def voucher_create(*, principal: Principal, changes: Mapping[str, Any]) -> Voucher:
    """Create a voucher from `changes` (code, kind and value required; see `FIELDS`).

    Codes are upper-cased and unique (`ALREADY_EXISTS`); bad values are
    `INVALID_INPUT`, unknown categories `NOT_FOUND`, each naming its field.
    """
    if not policy.may_manage_vouchers(principal):
        raise PermissionDenied()
    for required in ("code", "kind", "value"):
        if changes.get(required) is None:
            raise InvalidInput(f"The {required} is required.", field=required)
    with transaction.atomic():
        voucher = Voucher()
        category_ids = _apply(voucher, changes)
        return _save(voucher, category_ids)


def voucher_update(*, principal: Principal, voucher_id: int, changes: Mapping[str, Any]) -> Voucher:
    """Change the given fields of a voucher (a None limit, date or minimum clears it); uses so far stay."""
    if not policy.may_manage_vouchers(principal):
        raise PermissionDenied()
    with transaction.atomic():
        voucher = Voucher.objects.select_for_update().filter(pk=voucher_id).first()
        if voucher is None:
            raise NotFound("No voucher with this id.", field="id")
        category_ids = _apply(voucher, changes)
        return _save(voucher, category_ids)


def voucher_delete(*, principal: Principal, voucher_id: int) -> None:
    """Delete a voucher: carts drop it; placed orders keep their frozen code and discount."""
    if not policy.may_manage_vouchers(principal):
        raise PermissionDenied()
    with transaction.atomic():
        deleted, _ = Voucher.objects.filter(pk=voucher_id).delete()
        if not deleted:
            raise NotFound("No voucher with this id.", field="id")
        pricing_cache_invalidate()


def _locked_cart(owner: CartOwner) -> Cart:
    cart = cart_get_or_create(owner=owner)
    return Cart.objects.select_for_update().get(pk=cart.pk)


def _loaded_cart(owner: CartOwner) -> Cart:
    """The owner's cart with everything it shows (it exists: the caller locked it)."""
    cart = cart_load(owner=owner)
    assert cart is not None
    return cart


def cart_voucher_apply(*, owner: CartOwner, code: str) -> Cart:
    """Apply the voucher with `code` (any case) to the owner's cart (a user's or a guest's),
    replacing any other. A guest's per-customer limit is checked by email at checkout.

    Refused with `VOUCHER_INVALID` (no such code, or not valid yet),
    `VOUCHER_EXPIRED`, `VOUCHER_USED_UP` (overall or for this customer) or
    `VOUCHER_MIN_SUBTOTAL` (for the cart as it is now); the cart stays as it was.
    """
    with transaction.atomic():
        cart = _locked_cart(owner)
        voucher = selectors.voucher_by_code(code)
        if voucher is None:
            raise VoucherInvalid(field="code")
        subtotal = cart_summary(_loaded_cart(owner)).subtotal
        selectors.voucher_check(voucher, user=owner_actor(owner), subtotal=subtotal, now=timezone.now())
        cart.voucher = voucher
        cart.save(update_fields=["voucher", "updated_at"])
        owner_cart_cache_invalidate(owner)
    return _loaded_cart(owner)


def cart_voucher_remove(*, owner: CartOwner) -> Cart:
    """Take the voucher off the owner's cart (harmless when there is none)."""
    with transaction.atomic():
        cart = _locked_cart(owner)
        cart.voucher = None
        cart.save(update_fields=["voucher", "updated_at"])
        owner_cart_cache_invalidate(owner)
    return _loaded_cart(owner)


def voucher_redeem_check(
    *, voucher_id: int, user: User | None, email: str = "", subtotal: Decimal, now: datetime
) -> Voucher:
    """At checkout, inside its transaction: lock the voucher row and check every rule again.

    The lock serialises checkouts of one voucher, so the usage count read
    under it holds until this transaction records its use and commits.
    A deleted voucher is `VOUCHER_INVALID`.
    """
    voucher = Voucher.objects.select_for_update().filter(pk=voucher_id).first()
    if voucher is None:
        raise VoucherInvalid("The voucher in your cart no longer exists. Remove it and try again.", field="code")
    selectors.voucher_check(voucher, user=user, email=email, subtotal=subtotal, now=now)
    return voucher


def voucher_use_record(*, voucher: Voucher, order: Order) -> VoucherUse:
    """Count one use of `voucher` by `order` (the unique order column refuses a second)."""
    return VoucherUse.objects.create(voucher=voucher, order=order, user_id=order.user_id)


def voucher_use_release(*, order: Order) -> None:
    """Give back the voucher use of a cancelled unpaid order (nothing when it used none)."""
    VoucherUse.objects.filter(order=order).delete()
