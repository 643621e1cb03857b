"""Walking the schema's operations and their arguments, for tests that must
cover every operation the moment it is added (deny by default, text inputs)."""

import json
from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql.pyutils import Undefined
from strawberry import relay

from schema import schema as fm_schema

# A valid value of each scalar, as a variable would carry it.
SCALAR_VALUES = {
    "ID": relay.to_base64("Thing", 1),
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "Decimal": "1.00",
    "DateTime": "2026-01-01T00:00:00Z",
    "Date": "2026-01-01",
    "JSON": "{}",
    "UUID": "00000000-0000-0000-0000-000000000000",
}


class EnumValue(str):
    """An enum value: written bare in a literal, as a string in variables."""


def fields(type_name: str) -> dict[str, object]:
    """The strawberry fields of a root type, by GraphQL name."""
    definition = fm_schema.get_type_by_name(type_name)
    return {fm_schema.config.name_converter.get_graphql_name(f): f for f in definition.fields} if definition else {}


def root_fields(operation: str) -> dict[str, GraphQLField]:
    """The graphql-core fields of `query`, `mutation` or `subscription`."""
    root = getattr(fm_schema._schema, f"{operation}_type")
    return dict(root.fields) if root else {}


def is_required(argument_or_field) -> bool:
    return isinstance(argument_or_field.type, GraphQLNonNull) and argument_or_field.default_value is Undefined


def value(graphql_type) -> Any:
    """A valid value of `graphql_type`, with only the required input fields."""
    if isinstance(graphql_type, GraphQLNonNull):
        return value(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return [value(graphql_type.of_type)]
    if isinstance(graphql_type, GraphQLEnumType):
        return EnumValue(next(iter(graphql_type.values)))
    if isinstance(graphql_type, GraphQLScalarType):
        return SCALAR_VALUES[graphql_type.name]
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {name: value(field.type) for name, field in graphql_type.fields.items() if is_required(field)}
    raise AssertionError(f"no value for {graphql_type}")


def render(python_value: Any) -> str:
    """`python_value` as a GraphQL literal."""
    if isinstance(python_value, EnumValue):
        return str(python_value)
    if isinstance(python_value, dict):
        return "{" + ", ".join(f"{name}: {render(item)}" for name, item in python_value.items()) + "}"
    if isinstance(python_value, list):
        return "[" + ", ".join(render(item) for item in python_value) + "]"
    return json.dumps(python_value)


def literal(graphql_type) -> str:
    """A syntactically valid literal of `graphql_type` (what permission checks run before)."""
    return render(value(graphql_type))


def text_variants(graphql_type, text: str, seen: frozenset[str] = frozenset()) -> Iterator[Any]:
    """Valid values of `graphql_type` but for `text` in one place that takes a
    string, one value for each such place (each input type once per path)."""
    if isinstance(graphql_type, GraphQLNonNull):
        yield from text_variants(graphql_type.of_type, text, seen)
    elif isinstance(graphql_type, GraphQLList):
        yield from ([variant] for variant in text_variants(graphql_type.of_type, text, seen))
    elif isinstance(graphql_type, GraphQLScalarType):
        if isinstance(SCALAR_VALUES[graphql_type.name], str):
            yield text
    elif isinstance(graphql_type, GraphQLInputObjectType) and graphql_type.name not in seen:
        required = value(graphql_type)
        for name, field in graphql_type.fields.items():
            for variant in text_variants(field.type, text, seen | {graphql_type.name}):
                yield {**required, name: variant}


def call(name: str, arguments: dict[str, GraphQLArgument], given: dict[str, str] | None = None) -> str:
    """`name(...)` with the `given` argument literals and a valid literal for every other required one."""
    given = given or {}
    literals = {arg_name: literal(arg.type) for arg_name, arg in arguments.items() if is_required(arg)} | given
    parts = ", ".join(f"{arg_name}: {argument}" for arg_name, argument in literals.items())
    return f"{name}({parts})" if parts else name
