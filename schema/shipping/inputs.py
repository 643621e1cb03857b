from decimal import Decimal
from typing import Any

import strawberry


@strawberry.input(description="A shipping method to create.")
class ShippingMethodInput:
    name: str = strawberry.field(description="Unique, at most 100 characters.")
    price: Decimal = strawberry.field(description="The flat price; not negative, at most two decimal places.")
    free_above: Decimal | None = strawberry.field(
        default=None, description="Free once the discounted subtotal reaches this; empty: never free."
    )
    countries: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 codes it ships to; empty: every country."
    )

    def as_changes(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not strawberry.UNSET}


@strawberry.input(description="The shipping method fields to change; omitted ones stay, null clears freeAbove.")
class ShippingMethodUpdateInput:
    name: str | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    free_above: Decimal | None = strawberry.UNSET
    countries: list[str] | None = strawberry.UNSET

    def as_changes(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not strawberry.UNSET}
