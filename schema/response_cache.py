"""Whole results of anonymous catalog queries, cached in Redis.

Anonymous visitors all see the same catalog, so a query that reads nothing but
the catalog (`products`, `product`, `categories`, `category`) has one answer
per document and variables until the catalog changes. The answer (orjson
bytes of `data`) is stored with the catalog's version token it was computed
under and read with the current token in one round trip (`versioned_get`, the
scheme of the customer answers and of front_cache.py's entries): any catalog
write bumps it on commit, so a stale answer is never served, and entries
expire after `CACHE_TTL` seconds. Logged-in callers (staff see inactive products), partner
apps, guests sending `X-Cart-Token`, mutations, and answers with errors are never cached.

The same answers are shareable by HTTP caches: over GET (a persisted query's
hash makes the URL short) they carry `Cache-Control: public, max-age=
GRAPHQL_GET_MAX_AGE`, varying on the credentials headers. Over ASGI with Redis,
front_cache.py then serves the whole response as bytes before Django runs.
"""

import hashlib
from collections.abc import Iterator

import orjson
from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers
from graphql import ExecutionResult, OperationType
from graphql.language import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from commerce.cache import catalog_scope, versioned_get, versioned_set
from observability import metrics

from .front_cache import MAX_CACHED_BYTES, shareable_answer_mark

CATALOG_ROOT_FIELDS = frozenset({"products", "product", "categories", "category"})


def _operation(document, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    return operations[0] if len(operations) == 1 else None


def answer_digest(context: ExecutionContext, *extra: bytes) -> str | None:
    """A digest of the document, operation name and variables (and `extra`): one
    answer's key; None for variables nested too deep to serialise."""
    try:
        variables = orjson.dumps(context.variables or {}, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None
    parts = [(context.query or "").encode(), (context.operation_name or "").encode(), variables]
    return hashlib.sha256(b"\0".join(parts) + b"".join(extra)).hexdigest()


def _reads_only_the_catalog(operation: OperationDefinitionNode) -> bool:
    if operation.operation != OperationType.QUERY:
        return False
    selections = operation.selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in CATALOG_ROOT_FIELDS for s in selections)


class AnonymousCatalogCache(SchemaExtension):
    """Serve repeated anonymous catalog queries from the cache, skipping execution."""

    def on_execute(self) -> Iterator[None]:
        shared_key = key = self._key()
        versions = None
        if key is not None:
            # The version is read before executing: an answer computed while a write
            # commits is stored for the old version and never served after the bump.
            data, versions = versioned_get(key, (catalog_scope(),))
            metrics.answer_cache.labels("miss" if data is None else "hit").inc()
            if data is not None:
                self.execution_context.result = ExecutionResult(data=orjson.loads(data))
                key = None  # served: nothing to store
        yield
        if key is not None and versions is not None:
            self._store(key, versions)
        if shared_key is not None:
            self._mark_shareable()

    def _mark_shareable(self) -> None:
        request = self.execution_context.context.request
        response = self.execution_context.context.response
        result = self.execution_context.result
        if result is None or result.errors:
            return
        shareable_answer_mark(request, operation_name=self.execution_context.operation_name)
        if request.method != "GET" or settings.GRAPHQL_GET_MAX_AGE <= 0:
            return
        patch_cache_control(response, public=True, max_age=settings.GRAPHQL_GET_MAX_AGE)
        patch_vary_headers(response, ["Authorization", "Cookie", "X-Cart-Token", "Accept"])

    def _key(self) -> str | None:
        context = self.execution_context
        request_context = context.context
        user = getattr(request_context, "user", None)
        if user is None or user.is_authenticated or getattr(request_context, "app", None) is not None:
            return None
        if getattr(request_context, "cart_token", None):  # a guest: not every anonymous visitor
            return None
        if context.result is not None:  # already answered (a refused token)
            return None
        if getattr(request_context, "is_websocket", False) or context.graphql_document is None:
            return None
        operation = _operation(context.graphql_document, context.operation_name)
        if operation is None or not _reads_only_the_catalog(operation):
            return None
        digest = answer_digest(context)  # None: nested too deep to serialise, answered uncached
        return None if digest is None else f"gql:catalog:{digest}"

    def _store(self, key: str, versions: str) -> None:
        result = self.execution_context.result
        if not isinstance(result, ExecutionResult) or result.errors or result.data is None:
            return
        data = orjson.dumps(result.data)
        if len(data) <= MAX_CACHED_BYTES:
            versioned_set(key, versions, data)
