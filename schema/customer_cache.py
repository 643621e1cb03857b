"""Whole answers of a customer's cart and orders reads, cached as plain data.

A customer's `cart`, `orders`, `order` and `latestOrder` answers depend on
that customer's cart or orders, on the catalog (current product prices and
stock) and on their own account fields; a cart also on the vouchers and
shipping methods (the `pricing` version) and the customer's addresses
(address writes bump the cart version). A voucher that expires while an
answer is cached shows its discount until `CACHE_TTL` at most; checkout
checks it again. The answer (the `data` dict, never
model instances) is cached for the user's `cart`/`orders` version tokens and
the catalog's (commerce/cache.py), read with them in one round trip, under a
digest of the document, its variables and whom it is for (`customer_account`), so
every cart edit, checkout, status change and catalog write is seen by the
next read. Answers that show payments are not cached: payment rows change
in provider callbacks that do not touch the order's version.

Staff and partner apps (who read every order), mutations, websockets and
answers with errors are never cached.

A cached answer also marks the request (`customer_answer_mark`): over ASGI
with Redis and PostgreSQL, front_cache.py then serves the whole response
again before Django runs, for the same versions and the same caller.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from graphql import ExecutionResult, OperationType
from graphql.language import FieldNode, SelectionSetNode
from strawberry.extensions import SchemaExtension

from commerce.cache import cart_scope, catalog_scope, orders_scope, pricing_scope, versioned_get, versioned_set

from .front_cache import MAX_CACHED_BYTES, customer_account, customer_answer_mark
from .response_cache import _operation, answer_digest

CART_ROOT_FIELDS = frozenset({"cart"})
ORDER_ROOT_FIELDS = frozenset({"orders", "order", "latestOrder"})
UNCACHED_FIELDS = frozenset({"payments"})


def _selects(selection_set: SelectionSetNode | None, names: frozenset[str]) -> bool:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode) and selection.name.value in names:
            return True
        if _selects(getattr(selection, "selection_set", None), names):
            return True
    return False


@dataclass(frozen=True)
class _Entry:
    key: str
    scopes: tuple[str, ...]  # whose versions the answer is valid for
    caller: bytes  # whom it is for (`customer_account`)


class CustomerAnswerCache(SchemaExtension):
    """Serve a customer's repeated cart and orders reads from the cache, skipping execution."""

    def on_execute(self) -> Iterator[None]:
        entry = self._entry()
        if entry is None:
            yield
            return
        # Versions are read before executing: an answer computed while a write
        # commits is stored for the old versions and never served after the bump.
        data, versions = versioned_get(entry.key, entry.scopes)
        if data is not None:
            self.execution_context.result = ExecutionResult(data=orjson.loads(data))
        yield
        if data is None:
            data = self._answer_data()
            if data is None:
                return
            versioned_set(entry.key, versions, data)
        context = self.execution_context
        customer_answer_mark(
            context.context.request, operation_name=context.operation_name, scopes=entry.scopes, caller=entry.caller
        )

    def _entry(self) -> _Entry | None:
        """Where the answer is cached; None when it is not."""
        context = self.execution_context
        request_context = context.context
        user = getattr(request_context, "user", None)
        if user is None or not user.is_authenticated or not user.is_active or user.is_staff:
            return None
        if getattr(request_context, "app", None) is not None or getattr(request_context, "is_websocket", False):
            return None
        if context.result is not None or context.graphql_document is None:
            return None
        operation = _operation(context.graphql_document, context.operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        roots = {s.name.value if isinstance(s, FieldNode) else "" for s in operation.selection_set.selections}
        if not roots or not roots <= CART_ROOT_FIELDS | ORDER_ROOT_FIELDS:
            return None
        if _selects(operation.selection_set, UNCACHED_FIELDS) or len(context.graphql_document.definitions) > 1:
            return None  # payments, or fragments this check does not follow
        caller = customer_account(vars(user))
        digest = answer_digest(context, caller)
        if digest is None:
            return None
        scopes = [catalog_scope()]
        if roots & CART_ROOT_FIELDS:
            scopes += [cart_scope(user.pk), pricing_scope()]
        if roots & ORDER_ROOT_FIELDS:
            scopes.append(orders_scope(user.pk))
        return _Entry(f"gql:customer:{user.pk}:{digest}", tuple(scopes), caller)

    def _answer_data(self) -> bytes | None:
        """The answer to cache (orjson bytes of its `data`), None when it has errors or is too large."""
        result = self.execution_context.result
        if not isinstance(result, ExecutionResult) or result.errors or result.data is None:
            return None
        data = orjson.dumps(result.data)
        return data if len(data) <= MAX_CACHED_BYTES else None
