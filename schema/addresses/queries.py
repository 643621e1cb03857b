from collections.abc import Iterable

import strawberry
import strawberry_django

from commerce.addresses import selectors
from commerce.models import Address
from schema.context import Info
from schema.permissions import IsAuthenticated

from .types import AddressType


@strawberry.type
class AddressQueries:
    @strawberry_django.field(
        graphql_type=list[AddressType],
        description="Your addresses, the default first; empty when not logged in.",
        extensions=[IsAuthenticated()],
    )
    def addresses(self, info: Info) -> Iterable[Address]:
        return selectors.address_list(user=info.context.user)
