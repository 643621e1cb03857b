from decimal import Decimal
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Count
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from commerce.models import Voucher
from schema.catalog.types import CategoryType
from schema.enums import VoucherKind


@strawberry_django.type(Voucher, name="Voucher", description="A discount code customers apply to their cart (staff).")
class VoucherType(relay.Node):
    """A discount code customers apply to their cart (staff)."""

    code: auto = strawberry_django.field(description="Upper case; customers may type it in any case.")
    kind: VoucherKind
    value: Decimal = strawberry_django.field(description="Percent off, or an amount off, the eligible lines.")
    min_subtotal: Decimal | None = strawberry_django.field(description="The cart subtotal it needs; null: none.")
    starts_at: auto = strawberry_django.field(description="Valid from; null: already valid.")
    ends_at: auto = strawberry_django.field(description="Valid until (exclusive); null: no end.")
    usage_limit: int | None = strawberry_django.field(description="Orders overall; null: no limit.")
    usage_limit_per_customer: int | None = strawberry_django.field(description="Orders per customer; null: no limit.")
    categories: list[CategoryType] = strawberry_django.field(
        description="Only lines of these categories are discounted; empty: every line."
    )
    created_at: auto

    @strawberry_django.field(
        description="Orders that used it and were not cancelled unpaid.", annotate={"used_count": Count("uses")}
    )
    def times_used(self, root: Voucher) -> int:
        # Lists annotate the count; a mutation's single voucher counts it.
        used = getattr(root, "used_count", None)
        return root.uses.count() if used is None else used


@strawberry.type(description="The voucher after the change.")
class VoucherPayload:
    voucher: Voucher = strawberry.field(graphql_type=VoucherType)


VoucherResult = Annotated[VoucherPayload | OperationInfo, strawberry.union("VoucherResult")]
