"""A token that was sent but does not authenticate is refused, never served anonymously.

The view records why the request's access token failed (`Context.token_error`);
this extension then answers a top-level `TOKEN_EXPIRED` or `INVALID_TOKEN`
instead of executing, so a client can tell "refresh now" from "log in again".
Operations that obtain or drop credentials still run, anonymously: a client
whose access token expired must be able to call `refreshToken`.
"""

from collections.abc import Iterator

from graphql import GraphQLError
from graphql.language import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

TOKEN_CODES = frozenset({"TOKEN_EXPIRED", "INVALID_TOKEN"})
CREDENTIAL_FIELDS = frozenset(
    {"tokenAuth", "refreshToken", "socialAuth", "verifyToken", "revokeToken", "logout", "__typename"}
)


def _only_credential_fields(document, operation_name: str | None) -> bool:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    return all(
        isinstance(selection, FieldNode) and selection.name.value in CREDENTIAL_FIELDS
        for operation in operations
        for selection in operation.selection_set.selections
    )


class RejectedTokens(SchemaExtension):
    """Answer `TOKEN_EXPIRED` / `INVALID_TOKEN` for a request whose access token failed."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        error = getattr(context.context, "token_error", None)
        if error is not None and not _only_credential_fields(context.graphql_document, context.operation_name):
            context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, extensions={"code": error.code})]
            )
        yield
