"""The Relay connection every list uses: strawberry-django's, with `totalCount`,
and bad pagination arguments answered as a client error rather than a crash.

`totalCount` is not the library's `COUNT(1) OVER ()` window, which makes the
database read every matching row to serve a page of 20. A page that reaches
the end of the list already shows the total; otherwise it is one `COUNT`,
run only when `totalCount` is selected (cached per catalog version for
catalog lists, see `commerce.catalog.selectors.catalog_list_count`).
"""

import inspect
from typing import Any, cast

import strawberry
from django.db.models import QuerySet
from strawberry import relay
from strawberry.relay.utils import should_resolve_list_connection_edges
from strawberry.utils.await_maybe import AwaitableOrValue
from strawberry_django.relay import DjangoListConnection
from strawberry_django.resolvers import django_resolver

from commerce.catalog.selectors import catalog_list_count
from commerce.models import Category, Product
from infra.errors import InvalidInput

BAD_CURSOR = "The cursor in 'after' or 'before' is not one this list gave out: use a cursor from its edges or pageInfo."

CATALOG_MODELS = (Product, Category)


def _list_count(queryset: QuerySet) -> int:
    return catalog_list_count(queryset) if queryset.model in CATALOG_MODELS else queryset.count()


@strawberry.type(name="Connection", description="A page of items, with `totalCount` and cursors.")
class Connection(DjangoListConnection[relay.NodeType]):
    # The total when this page reached the end of the list (no query needed).
    total_seen: strawberry.Private[int | None] = None

    @strawberry.field(description="Total quantity of existing nodes.")
    def total_count(self) -> int | None:
        if self.total_seen is not None:
            return self.total_seen
        if isinstance(self.nodes, QuerySet):
            # django_resolver runs the query in a thread when executing asynchronously (Strawberry
            # awaits what it returns then), as the library's own total_count does.
            return cast(int, django_resolver(_list_count)(self.nodes))
        return super().total_count()

    @classmethod
    def resolve_connection(
        cls,
        nodes: Any,
        *,
        info: Any,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        **kwargs: Any,
    ) -> AwaitableOrValue[Any]:
        try:
            if not isinstance(nodes, QuerySet) or (last and before is None):
                # Not a database list, or `last` alone, which the library answers with a COUNT.
                return super().resolve_connection(
                    nodes, info=info, before=before, after=after, first=first, last=last, **kwargs
                )
            # relay.ListConnection's slicing, skipping DjangoListConnection's window annotation.
            conn = super(DjangoListConnection, cls).resolve_connection(
                nodes, info=info, before=before, after=after, first=first, last=last, **kwargs
            )
        except (ValueError, TypeError) as error:  # a cursor that is not ours, a negative `first`
            raise _invalid_pagination(error) from error
        start = int(relay.from_base64(after)[1]) + 1 if after else 0
        reaches_end = before is None and should_resolve_list_connection_edges(info)

        def finish(resolved: "Connection") -> "Connection":
            resolved.nodes = nodes
            if reaches_end and not resolved.page_info.has_next_page and (resolved.edges or start == 0):
                resolved.total_seen = start + len(resolved.edges)
            return resolved

        if inspect.isawaitable(conn):

            async def resolve() -> "Connection":
                return finish(await conn)

            return resolve()
        return finish(conn)


def _invalid_pagination(error: ValueError | TypeError) -> InvalidInput:
    # Strawberry words its checks of `first` and `last` for people; a
    # cursor it cannot decode surfaces base64 or int() internals instead.
    text = str(error)
    if text.startswith(("Argument 'first'", "Argument 'last'")):
        return InvalidInput(text, code="INVALID_PAGINATION")
    if isinstance(error, ValueError) or text.startswith(("Argument 'after'", "Argument 'before'")):
        return InvalidInput(BAD_CURSOR, code="INVALID_PAGINATION")
    raise error
