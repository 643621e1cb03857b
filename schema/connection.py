"""The Relay connection every list uses: strawberry-django's, with `totalCount`,
and bad pagination arguments answered as a client error rather than a crash."""

from typing import Any

import strawberry
from strawberry import relay
from strawberry_django.relay import DjangoListConnection

from fmcore.errors import InvalidInput


@strawberry.type(name="Connection", description="A page of items, with `totalCount` and cursors.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        try:
            return super().resolve_connection(nodes, info=info, **kwargs)
        except ValueError as error:  # a cursor that is not ours, a negative `first`
            message = f"The pagination arguments are not valid: {error}"
            raise InvalidInput(message, code="INVALID_PAGINATION") from error
