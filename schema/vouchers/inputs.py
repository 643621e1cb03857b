from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from schema.enums import VoucherKind
from schema.ids import node_pk


def _changes(input: object) -> dict[str, Any]:
    """The fields the client sent (omitted ones are UNSET), as the voucher services take them."""
    changes: dict[str, Any] = {}
    for name, value in vars(input).items():
        if value is strawberry.UNSET:
            continue
        if name == "category_ids" and value is not None:
            value = [node_pk(category_id, "Category") for category_id in value]
        changes[name] = value.value if isinstance(value, VoucherKind) else value
    return changes


@strawberry.input(description="A voucher to create.")
class VoucherInput:
    code: str = strawberry.field(description="1-40 letters, digits, '-' or '_'; stored upper case, unique.")
    kind: VoucherKind
    value: Decimal = strawberry.field(description="Percent off (more than 0, at most 100) or an amount off.")
    min_subtotal: Decimal | None = strawberry.field(default=None, description="The cart subtotal it needs.")
    starts_at: datetime | None = strawberry.field(default=None, description="Valid from; empty: already valid.")
    ends_at: datetime | None = strawberry.field(default=None, description="Valid until (exclusive); empty: no end.")
    usage_limit: int | None = strawberry.field(default=None, description="Orders overall; empty: no limit.")
    usage_limit_per_customer: int | None = strawberry.field(default=None, description="Orders per customer.")
    category_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Only lines of these categories are discounted; empty: every line."
    )

    def as_changes(self) -> dict[str, Any]:
        return _changes(self)


@strawberry.input(description="The voucher fields to change; omitted ones stay, null clears an optional one.")
class VoucherUpdateInput:
    code: str | None = strawberry.UNSET
    kind: VoucherKind | None = strawberry.UNSET
    value: Decimal | None = strawberry.UNSET
    min_subtotal: Decimal | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    usage_limit: int | None = strawberry.UNSET
    usage_limit_per_customer: int | None = strawberry.UNSET
    category_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the categories; an empty list: every line."
    )

    def as_changes(self) -> dict[str, Any]:
        return _changes(self)
