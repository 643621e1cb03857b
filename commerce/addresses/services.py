"""A user's shipping addresses. Exactly one of them is the default whenever
there is any: the first becomes it, and deleting the default promotes the
oldest remaining one. The partial unique constraint backs the rule."""

from dataclasses import dataclass, fields

from django.db import transaction

from commerce.cache import cart_cache_invalidate
from commerce.errors import CommerceError, InvalidCountry
from commerce.models import Address
from infra.errors import NotFound

from .countries import COUNTRY_CODES

MAX_ADDRESSES = 50


@dataclass(frozen=True)
class AddressData:
    """Address fields; None means "leave unchanged" on update."""

    full_name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None


def _clean_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise InvalidCountry(field="country")
    return code


def _apply(address: Address, data: AddressData) -> None:
    for field in fields(AddressData):
        value = getattr(data, field.name)
        if value is None:
            continue
        value = _clean_country(value) if field.name == "country" else value.strip()
        setattr(address, field.name, value)
    # Required fields, lengths (Django ValidationError -> OperationInfo per field).
    address.full_clean(exclude=["user", "is_default"])


def address_snapshot_validate(*, data: AddressData) -> dict:
    """The order's copy of an address given inline (guest checkout), validated
    as a saved address is (INVALID_COUNTRY, required fields and lengths)."""
    address = Address()
    _apply(address, data)
    return address.as_snapshot()


def _user_addresses_locked(user) -> list[Address]:
    # Every address write starts here: the cart shows shipping methods for the default address.
    cart_cache_invalidate(user.pk)
    return list(Address.objects.select_for_update().filter(user_id=user.pk).order_by("id"))


def _own(addresses: list[Address], address_id: int) -> Address:
    for address in addresses:
        if address.pk == address_id:
            return address
    raise NotFound("No such address.", field="id")


def _make_default(user, address: Address) -> None:
    # Clear the old default first: the partial unique index allows one at a time.
    Address.objects.filter(user_id=user.pk, is_default=True).exclude(pk=address.pk).update(is_default=False)
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default"])


def address_create(*, user, data: AddressData, is_default: bool = False) -> Address:
    """Add an address; the user's first one (or one asked for) becomes the default."""
    with transaction.atomic():
        existing = _user_addresses_locked(user)
        if len(existing) >= MAX_ADDRESSES:
            raise CommerceError(f"At most {MAX_ADDRESSES} addresses.", code="TOO_MANY_ADDRESSES")
        address = Address(user=user)
        _apply(address, data)
        address.save()
        if is_default or not existing:
            _make_default(user, address)
    return address


def address_update(*, user, address_id: int, data: AddressData) -> Address:
    """Change the given fields of one of the user's addresses."""
    with transaction.atomic():
        address = _own(_user_addresses_locked(user), address_id)
        _apply(address, data)
        address.save()
    return address


def address_delete(*, user, address_id: int) -> None:
    """Delete one of the user's addresses; if it was the default, the oldest remaining one takes over."""
    with transaction.atomic():
        addresses = _user_addresses_locked(user)
        address = _own(addresses, address_id)
        remaining = [a for a in addresses if a.pk != address_id]
        address.delete()
        if address.is_default and remaining:
            _make_default(user, remaining[0])


def address_set_default(*, user, address_id: int) -> Address:
    """Make one of the user's addresses the default (and no other)."""
    with transaction.atomic():
        address = _own(_user_addresses_locked(user), address_id)
        _make_default(user, address)
    return address
