from typing import Annotated

import strawberry
import strawberry_django
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from commerce.models import Address


@strawberry_django.type(Address, name="Address", description="One of your shipping addresses.")
class AddressType(relay.Node):
    """One of your shipping addresses."""

    full_name: auto
    line1: auto
    line2: auto
    city: auto
    region: auto
    postal_code: auto
    country: auto
    phone: auto
    is_default: auto = strawberry_django.field(description="Exactly one of your addresses is the default.")
    created_at: auto


@strawberry.type(description="The address after the change.")
class AddressPayload:
    address: Address = strawberry.field(graphql_type=AddressType)


AddressResult = Annotated[AddressPayload | OperationInfo, strawberry.union("AddressResult")]
