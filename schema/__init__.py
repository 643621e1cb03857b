"""The one fm-core schema, composed from the per-domain types."""

import strawberry
from django.conf import settings
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from .accounts.mutations import AccountMutations
from .accounts.queries import AccountQueries
from .checkout.mutations import CheckoutMutations
from .notifications.mutations import NotificationMutations
from .notifications.queries import NotificationQueries
from .orders.mutations import OrderMutations
from .orders.queries import OrderQueries
from .orders.subscriptions import OrderSubscriptions

Query = merge_types("Query", (AccountQueries, OrderQueries, NotificationQueries))
Mutation = merge_types("Mutation", (AccountMutations, CheckoutMutations, OrderMutations, NotificationMutations))
Subscription = merge_types("Subscription", (OrderSubscriptions,))

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_RESULTS),
    extensions=[DjangoOptimizerExtension],
)
