"""The one fm-core schema, composed from the per-domain types."""

import strawberry
from django.conf import settings
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from .accounts.mutations import AccountMutations
from .accounts.queries import AccountQueries
from .addresses.mutations import AddressMutations
from .addresses.queries import AddressQueries
from .cart.mutations import CartMutations
from .cart.queries import CartQueries
from .catalog.mutations import CatalogMutations
from .catalog.queries import CatalogQueries
from .checkout.mutations import CheckoutMutations
from .notifications.mutations import NotificationMutations
from .notifications.queries import NotificationQueries
from .orders.mutations import OrderMutations
from .orders.queries import OrderQueries
from .orders.subscriptions import OrderSubscriptions
from .partners.mutations import PartnerMutations
from .partners.queries import PartnerQueries
from .payments.mutations import PaymentMutations
from .security import security_extensions

Query = merge_types(
    "Query",
    (AccountQueries, CatalogQueries, CartQueries, AddressQueries, OrderQueries, NotificationQueries, PartnerQueries),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        CatalogMutations,
        CartMutations,
        AddressMutations,
        CheckoutMutations,
        OrderMutations,
        PaymentMutations,
        NotificationMutations,
        PartnerMutations,
    ),
)
Subscription = merge_types("Subscription", (OrderSubscriptions,))

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(
        relay_max_results=settings.GRAPHQL_MAX_RESULTS,
        disable_field_suggestions=not settings.GRAPHQL_INTROSPECTION,
    ),
    extensions=[*security_extensions(), DjangoOptimizerExtension],
)
