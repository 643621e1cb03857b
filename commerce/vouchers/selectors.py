"""Read-only voucher queries and the rules of when a voucher applies.

A voucher applies to a cart when its code exists, `now` is inside its
validity window, the cart's subtotal reaches `min_subtotal`, and neither
its overall `usage_limit` nor its `usage_limit_per_customer` is reached.
The first three are checked on every priced read of a cart (a voucher that
stops applying shows no discount); the usage limits, which need the
database, when the voucher is applied and, under the voucher's row lock,
at checkout.
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from commerce import pricing
from commerce.errors import CommerceError, VoucherExpired, VoucherInvalid, VoucherMinSubtotal, VoucherUsedUp
from commerce.models import Voucher, VoucherKind, VoucherUse


def voucher_list() -> QuerySet[Voucher]:
    """Every voucher, newest first (staff)."""
    return Voucher.objects.order_by("-created_at", "-id")


def voucher_code_normalize(code: str) -> str:
    return (code or "").strip().upper()


def voucher_by_code(code: str) -> Voucher | None:
    return Voucher.objects.filter(code=voucher_code_normalize(code)).first()


def voucher_refusal(voucher: Voucher, *, subtotal: Decimal, now: datetime) -> CommerceError | None:
    """Why `voucher` does not apply to a cart of `subtotal` at `now` (window, minimum), or None."""
    if voucher.starts_at is not None and now < voucher.starts_at:
        return VoucherInvalid(f"The voucher {voucher.code} is not valid yet.", field="code")
    if voucher.ends_at is not None and now >= voucher.ends_at:
        return VoucherExpired(f"The voucher {voucher.code} has expired.", field="code")
    if voucher.min_subtotal is not None and subtotal < voucher.min_subtotal:
        return VoucherMinSubtotal(
            f"The voucher {voucher.code} needs a subtotal of at least {voucher.min_subtotal}.", field="code"
        )
    return None


def _customer_uses(*, user: User | None, email: str) -> Q:
    """The uses of one customer: a user's, with their guest orders taken over; a guest's by
    email (any case), with the account of that email's. A guest not yet known by email has none."""
    if user is not None:
        return Q(user_id=user.pk) | Q(order__user_id=user.pk)
    if email:
        return Q(order__email__iexact=email) | Q(user__email__iexact=email)
    return Q(pk__in=[])


def voucher_usage_refusal(voucher: Voucher, *, user: User | None, email: str = "") -> VoucherUsedUp | None:
    """Whether the voucher's overall or per-customer limit is reached (one query, none without limits)."""
    if voucher.usage_limit is None and voucher.usage_limit_per_customer is None:
        return None
    mine = _customer_uses(user=user, email=email)
    used = VoucherUse.objects.filter(voucher=voucher).aggregate(total=Count("pk"), mine=Count("pk", filter=mine))
    if voucher.usage_limit is not None and used["total"] >= voucher.usage_limit:
        return VoucherUsedUp(f"The voucher {voucher.code} has been used up.", field="code")
    if voucher.usage_limit_per_customer is not None and used["mine"] >= voucher.usage_limit_per_customer:
        return VoucherUsedUp(f"You have used the voucher {voucher.code} as often as it allows.", field="code")
    return None


def voucher_check(voucher: Voucher, *, user: User | None, email: str = "", subtotal: Decimal, now: datetime) -> None:
    """Raise the first reason `voucher` does not apply to the cart of `user` (or of the guest
    checking out as `email`) of `subtotal` at `now`."""
    refusal = voucher_refusal(voucher, subtotal=subtotal, now=now) or voucher_usage_refusal(
        voucher, user=user, email=email
    )
    if refusal is not None:
        raise refusal


def voucher_terms(voucher: Voucher) -> pricing.DiscountTerms:
    """What the voucher takes off, for `pricing.quote` (reads its categories, prefetched or not)."""
    category_ids = frozenset(category.pk for category in voucher.categories.all()) or None
    if voucher.kind == VoucherKind.PERCENTAGE:
        return pricing.DiscountTerms(percentage=voucher.value, category_ids=category_ids)
    return pricing.DiscountTerms(amount=voucher.value, category_ids=category_ids)


def voucher_applicable_terms(
    voucher: Voucher | None, *, subtotal: Decimal, now: datetime
) -> pricing.DiscountTerms | None:
    """The terms of a cart's voucher if it applies now (window and minimum), else None."""
    if voucher is None or voucher_refusal(voucher, subtotal=subtotal, now=now) is not None:
        return None
    return voucher_terms(voucher)
