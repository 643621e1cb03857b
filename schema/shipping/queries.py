import strawberry
import strawberry_django

from commerce.shipping import selectors

from .types import ShippingMethodType


@strawberry.type
class ShippingQueries:
    @strawberry_django.field(
        description="Every shipping method, cheapest first (public: a cart shows those for its address)."
    )
    def shipping_methods(self) -> list[ShippingMethodType]:
        return selectors.shipping_method_list()  # type: ignore[return-value]
