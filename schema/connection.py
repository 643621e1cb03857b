"""The Relay connection every list uses: strawberry-django's, with `totalCount`,
and bad pagination arguments answered as a client error rather than a crash."""

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry_django.relay import DjangoListConnection

from fmcore.errors import InvalidInput


@strawberry.type(name="Connection", description="A page of items, with `totalCount` and cursors.")
class Connection(DjangoListConnection[relay.NodeType]):
    @classmethod
    def resolve_connection(cls, nodes: Any, *, info: Any, **kwargs: Any) -> Any:
        try:
            return super().resolve_connection(nodes, info=info, **kwargs)
        except (ValueError, TypeError) as error:  # a cursor that is not ours, a negative `first`
            # The library's text speaks of base64 and codecs: say what the client can change.
            message = (
                "The pagination arguments are not valid: `after` and `before` take cursors "
                f"from this list, `first` and `last` a number from 0 to {settings.GRAPHQL_MAX_RESULTS}."
            )
            raise InvalidInput(message, code="INVALID_PAGINATION") from error
