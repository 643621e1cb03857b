from typing import Annotated

import strawberry
from strawberry_django.fields.types import OperationInfo

from commerce.models import Order
from schema.orders.types import OrderType


@strawberry.type(description="The order your cart became.")
class CheckoutPayload:
    order: Order = strawberry.field(graphql_type=OrderType)


CheckoutResult = Annotated[CheckoutPayload | OperationInfo, strawberry.union("CheckoutResult")]
