"""The one fm-core schema, composed from the per-domain types."""

import strawberry
from django.conf import settings
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.relay.exceptions import NodeIDAnnotationError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry_django.optimizer import DjangoOptimizerExtension

from observability.graphql import OperationMetrics, tracing_extensions

from .accounts.mutations import AccountMutations
from .accounts.queries import AccountQueries
from .addresses.mutations import AddressMutations
from .addresses.queries import AddressQueries
from .authentication import RejectedTokens
from .cart.mutations import CartMutations
from .cart.queries import CartQueries
from .catalog.mutations import CatalogMutations
from .catalog.queries import CatalogQueries
from .catalog.subscriptions import CatalogSubscriptions
from .checkout.mutations import CheckoutMutations
from .customer_cache import CustomerAnswerCache
from .fulfilment.mutations import FulfilmentMutations
from .fulfilment.subscriptions import FulfilmentSubscriptions
from .loaded_fields import LoadedFieldsExecutor, loaded_fields_read_directly, model_rows_type_checked_directly
from .notifications.mutations import NotificationMutations
from .notifications.queries import NotificationQueries
from .orders.mutations import OrderMutations
from .orders.queries import OrderQueries
from .orders.subscriptions import OrderSubscriptions
from .partners.mutations import PartnerMutations
from .partners.queries import PartnerQueries
from .payments.mutations import PaymentMutations
from .payments.subscriptions import PaymentSubscriptions
from .response_cache import AnonymousCatalogCache
from .scalars import SCALAR_OVERRIDES
from .security import errors_log, security_extensions
from .shared_results import SharedResultExecutor
from .shipping.mutations import ShippingMutations
from .shipping.queries import ShippingQueries
from .vouchers.mutations import VoucherMutations
from .vouchers.queries import VoucherQueries


class OptimizerExtension(DjangoOptimizerExtension):
    """The strawberry-django optimizer without its per-field `resolve` hook.

    strawberry-django fields and connections optimise their own querysets
    (through the context variable `on_execute` sets); the hook only serves
    plain resolvers that return a QuerySet, which this schema does not have,
    and wrapping every field in it cost several percent of a list query.
    """

    # The very function (strawberry skips the hook when `resolve is SchemaExtension.resolve`);
    # its first parameter is named `_next` there and `next_` in the optimizer.
    resolve = SchemaExtension.resolve  # type: ignore[assignment]


Query = merge_types(
    "Query",
    (
        AccountQueries,
        CatalogQueries,
        CartQueries,
        AddressQueries,
        OrderQueries,
        NotificationQueries,
        PartnerQueries,
        VoucherQueries,
        ShippingQueries,
    ),
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
        FulfilmentMutations,
        PaymentMutations,
        NotificationMutations,
        PartnerMutations,
        VoucherMutations,
        ShippingMutations,
    ),
)
Subscription = merge_types(
    "Subscription", (OrderSubscriptions, PaymentSubscriptions, FulfilmentSubscriptions, CatalogSubscriptions)
)


class Schema(strawberry.Schema):
    """strawberry's schema, logging client errors as one line each (strawberry logs
    every error with its traceback, so anyone could grow the log cheaply)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        errors_log(errors)


class Executor(SharedResultExecutor, LoadedFieldsExecutor):
    """Shares subscription events' results; completes fields read from loaded rows directly."""


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(
        relay_max_results=settings.GRAPHQL_MAX_RESULTS,
        disable_field_suggestions=not settings.GRAPHQL_INTROSPECTION,
    ),
    extensions=[
        *tracing_extensions(),
        OperationMetrics,
        *security_extensions(),
        RejectedTokens,
        AnonymousCatalogCache,
        CustomerAnswerCache,
        OptimizerExtension,
    ],
    scalar_overrides=SCALAR_OVERRIDES,
    execution_context_class=Executor,
)


def _memoize_node_id_attrs() -> None:
    """Resolve once which attribute of each Node type holds its id.

    Strawberry's `Node.resolve_id_attr` scans the type's annotations (and, for
    Django types without a `NodeID`, raises and falls back to `pk`) on every
    `id` it resolves unless `_id_attr` is set: about half a millisecond per id
    here, most of a product list's time. The answer never changes.
    """
    for concrete in schema.schema_converter.type_map.values():
        origin = getattr(concrete.definition, "origin", None)
        if isinstance(origin, type) and issubclass(origin, relay.Node) and origin._id_attr is None:
            try:
                origin._id_attr = origin.resolve_id_attr()
            except NodeIDAnnotationError:  # the Node interface itself
                continue


_memoize_node_id_attrs()
loaded_fields_read_directly(schema._schema)
model_rows_type_checked_directly(schema._schema)
