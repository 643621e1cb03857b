"""Fields that read a loaded model row, resolved without strawberry's per-field chain:
model columns, relations already selected, properties declaring the columns
they read, and the global `id` of a Django Node type.

strawberry-django gives every field of a Django type a resolver of its own:
for a plain column (`name: auto`) each value builds a strawberry `Info`,
parses arguments, chains the (absent) field extensions, looks up the model's
descriptor and, for a property, wraps the read in `sync_to_async` in case it
runs in an event loop. Most of a product list's fields are such reads, and
that chain was a fifth of its instructions.

A resolver that only hands back the list its field's `Prefetch(to_attr=...)`
loaded says so with `@returns_prefetched_list`; that field reads the list too.

graphql-core also asks each object's type whether the object is of it; a
Django type's check (strawberry-django's) walks the class's parents every
time. `model_rows_type_checked_directly` answers "a row of the type's own
model, not cast to another type" by itself and leaves every other case to it.

`LoadedLeavesExecutor` goes one step further for a scalar such a field
reads: it coerces the value it read without building the field's resolve
info, and takes graphql-core's own path whenever anything is off (a value
missing, null or not coercible, arguments, field middleware).

Each resolver here reads the value only when the row already holds what it
needs (the optimizer loaded it); otherwise it hands over to the field's own
resolver, which loads it the async-safe way, exactly as before.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, Prefetch
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import (
    GraphQLField,
    GraphQLFieldResolver,
    GraphQLIsTypeOfFn,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry import relay
from strawberry.relay import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.relay.utils import resolve_model_id

# Reads a field's value from a model instance, or raises KeyError when the instance lacks it.
Reader = Callable[[Model], Any]

_RETURNS_PREFETCHED_LIST = "_returns_prefetched_list"
_Resolver = TypeVar("_Resolver", bound=Callable[..., Any])


def returns_prefetched_list(resolver: _Resolver) -> _Resolver:
    """Marks a resolver that returns the list its field's one `Prefetch(to_attr=...)` loads, when loaded."""
    setattr(resolver, _RETURNS_PREFETCHED_LIST, True)
    return resolver


def _column_reader(attname: str) -> Reader:
    def read(instance: Model) -> Any:
        if attname not in instance.__dict__:
            raise KeyError(attname)
        return getattr(instance, attname)

    return read


def _related_reader(descriptor: ForwardManyToOneDescriptor) -> Reader:
    def read(instance: Model) -> Any:
        return descriptor.field.get_cached_value(instance)  # KeyError unless selected

    return read


def _property_reader(name: str, columns: tuple[str, ...]) -> Reader:
    def read(instance: Model) -> Any:
        loaded = instance.__dict__
        for column in columns:
            if column not in loaded:
                raise KeyError(column)
        return getattr(instance, name)

    return read


def _attribute_reader(name: str) -> Reader:
    def read(instance: Model) -> Any:
        return instance.__dict__[name]

    return read


def _prefetched_list_attr(field: StrawberryDjangoField) -> str | None:
    """The `to_attr` a marked resolver returns as it is."""
    resolver = field.base_resolver
    if resolver is None or not getattr(resolver.wrapped_func, _RETURNS_PREFETCHED_LIST, False):
        return None
    store = field.store
    match store.prefetch_related:
        case [Prefetch(to_attr=str(to_attr))] if not (store.only or store.select_related or store.annotate):
            return to_attr
    return None


def _node_id_reader(type_name: str, attname: str) -> Reader:
    def read(instance: Model) -> Any:
        return GlobalID(type_name=type_name, node_id=str(instance.__dict__[attname]))

    return read


def _node_id_attname(graphql_type: GraphQLObjectType, field: object) -> str | None:
    """The model attribute of the `id` of a Django Node type with strawberry-django's way of reading it."""
    definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    django_definition = getattr(origin, "__strawberry_django_definition__", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node) and django_definition is not None):
        return None
    if not isinstance(field, StrawberryField) or field.python_name != "_id" or field.extensions:
        return None
    if (
        origin.resolve_id.__func__ is not resolve_model_id  # type: ignore[attr-defined]
        or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    id_attr = origin.resolve_id_attr()
    return django_definition.model._meta.pk.attname if id_attr == "pk" else id_attr


def _reader(graphql_type: GraphQLObjectType, field: object) -> Reader | None:
    """How to read `field` from a loaded row, when it needs no resolver of its own."""
    if (attname := _node_id_attname(graphql_type, field)) is not None:
        return _node_id_reader(graphql_type.name, attname)
    if not isinstance(field, StrawberryDjangoField) or field.extensions or field.is_async:
        return None
    if field.base_resolver is not None:
        to_attr = _prefetched_list_attr(field)
        return None if to_attr is None else _attribute_reader(to_attr)
    if field.origin_django_type is None:
        return None
    name = field.django_name or field.python_name
    descriptor = getattr(field.origin_django_type.model, name, None)
    # A file column wraps its value on access; strawberry-django turns an empty one into null.
    if isinstance(descriptor, DeferredAttribute) and not isinstance(descriptor, FileDescriptor):
        return _column_reader(descriptor.field.attname)
    if isinstance(descriptor, ForwardManyToOneDescriptor):
        return _related_reader(descriptor)
    # A property declaring the columns it reads (`only=`), and nothing else it would load.
    store = field.store
    if (
        isinstance(descriptor, property)
        and store.only
        and not (store.select_related or store.prefetch_related or store.annotate)
        and not any("__" in column for column in store.only)
    ):
        return _property_reader(name, tuple(store.only))
    return None


# The resolver of a field reading a scalar carries (its reader, the scalar type) under this name.
_LEAF_READ = "_loaded_leaf_read"


def _resolver(read: Reader, field_resolver: GraphQLFieldResolver, graphql_field: GraphQLField) -> GraphQLFieldResolver:
    def resolve(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        try:
            return read(source)
        except KeyError:
            return field_resolver(source, info, **kwargs)

    leaf_type = get_nullable_type(graphql_field.type)
    if is_leaf_type(leaf_type):
        setattr(resolve, _LEAF_READ, (read, leaf_type))
    return resolve


class LoadedLeavesExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing a scalar read from a loaded row without its resolve info."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = parent_type.fields.get(node.name.value)
        leaf_read = getattr(field_def.resolve, _LEAF_READ, None) if field_def is not None else None
        middleware = self.middleware_manager
        if leaf_read is not None and not node.arguments and not (middleware and middleware.middlewares):
            read, leaf_type = leaf_read
            try:
                value = read(source)
                coerced = None if value is None else leaf_type.coerce_output_value(value)
            except Exception:
                coerced = None
            if coerced is not None and coerced is not Undefined:
                return coerced
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def loaded_fields_read_directly(graphql_schema: GraphQLSchema) -> None:
    """Give every field that reads a loaded model row a resolver that reads it."""
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            read = _reader(graphql_type, field)
            if read is not None and graphql_field.resolve is not None:
                graphql_field.resolve = _resolver(read, graphql_field.resolve, graphql_field)


def _row_type_check(model: type[Model], is_type_of: GraphQLIsTypeOfFn) -> GraphQLIsTypeOfFn:
    def check(source: Any, info: GraphQLResolveInfo) -> Any:
        if type(source) is model and TYPE_CAST_ATTRIBUTE not in source.__dict__:
            return True
        return is_type_of(source, info)

    return check


def model_rows_type_checked_directly(graphql_schema: GraphQLSchema) -> None:
    """Django types whose check is strawberry-django's plain one accept a row of their model directly."""
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.is_type_of is None:
            continue
        definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        origin = getattr(definition, "origin", None)
        django_definition = getattr(origin, "__strawberry_django_definition__", None)
        check = getattr(graphql_type.is_type_of, "__func__", None)
        if (
            django_definition is None
            or getattr(check, "__module__", None) != "strawberry_django.type"
            or getattr(super(origin, origin), "is_type_of", None) is not None
            or TYPE_CAST_ATTRIBUTE in vars(django_definition.model)
        ):
            continue
        graphql_type.is_type_of = _row_type_check(django_definition.model, graphql_type.is_type_of)
