"""What a query costs, counted before it runs (Saleor's model, simplified).

Every field costs 1 plus what its selections cost; a paginated field (one
with a `first` argument) multiplies its selections by the page it asks for,
`first` or `last` (from a literal or a variable), or by `GRAPHQL_MAX_RESULTS`
when it names neither. So `users(first: 100) { edges { node { orders(first:
100) { ... } } } }` costs about 10,000 times its innermost selection, which
depth and alias limits cannot see. Documents over `GRAPHQL_MAX_COST` are
refused with `QUERY_TOO_COSTLY`. Variables change the cost, so it is counted
on every request, after the cached validation.
"""

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

PAGE_ARGUMENTS = ("first", "last")


class _Coster:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables, page_size):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.page_size = page_size

    def page(self, node: FieldNode, field_args: dict[str, Any]) -> int:
        if not any(name in field_args for name in PAGE_ARGUMENTS):
            return 1
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value: object = argument.value
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                value = int(value.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return min(max(value, 0), self.page_size)
        return self.page_size

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(fragment.selection_set, inner)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename and introspection's meta fields
            return 1 + self.selections(node.selection_set, None)
        inner = get_named_type(definition.type)
        return 1 + self.page(node, definition.args) * self.selections(node.selection_set, inner)


def operation_cost(
    schema: GraphQLSchema,
    document,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    *,
    page_size: int,
) -> int:
    """The cost of the operation a request runs (0 when it names none of the document's)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    if len(operations) != 1:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    coster = _Coster(schema, fragments, variables or {}, page_size)
    root = schema.get_root_type(operations[0].operation)
    return coster.selections(operations[0].selection_set, root)


def cost_errors(schema, document, operation_name, variables, *, max_cost: int, page_size: int) -> list[GraphQLError]:
    """The refusal of an operation over `max_cost`, or nothing."""
    cost = operation_cost(schema, document, operation_name, variables, page_size=page_size)
    if cost <= max_cost:
        return []
    message = (
        f"The query would cost {cost}, over the limit of {max_cost}: "
        "ask for smaller pages (`first`) or fewer nested lists."
    )
    return [GraphQLError(message, extensions={"code": "QUERY_TOO_COSTLY"})]
