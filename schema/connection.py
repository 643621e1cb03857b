"""The Relay connection every list uses: strawberry-django's, with `totalCount`,
and bad pagination arguments answered as a client error rather than a crash."""

from typing import Any

import strawberry
from strawberry import relay
from strawberry_django.relay import DjangoListConnection

from fmcore.errors import InvalidInput

BAD_CURSOR = "The cursor in 'after' or 'before' is not one this list gave out: use a cursor from its edges or pageInfo."


@strawberry.type(name="Connection", description="A page of items, with `totalCount` and cursors.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        try:
            return super().resolve_connection(nodes, info=info, **kwargs)
        except (ValueError, TypeError) as error:
            # Strawberry words its checks of `first` and `last` for people; a
            # cursor it cannot decode surfaces base64 or int() internals instead.
            text = str(error)
            if text.startswith(("Argument 'first'", "Argument 'last'")):
                message = text
            elif isinstance(error, ValueError) or text.startswith(("Argument 'after'", "Argument 'before'")):
                message = BAD_CURSOR
            else:
                raise
            raise InvalidInput(message, code="INVALID_PAGINATION") from error
