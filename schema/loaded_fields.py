"""Fields that read a loaded model row, resolved without strawberry's per-field chain.

strawberry-django gives every field of a Django type a resolver of its own:
for a plain column (`name: auto`) each value builds a strawberry `Info`,
parses arguments, chains the (absent) field extensions, looks up the model's
descriptor and, for a property, wraps the read in `sync_to_async` in case it
runs in an event loop. Most of a product list's fields are such reads, and
that chain was a fifth of its CPU.

Each resolver here reads the value only when the row already holds what it
needs (the optimizer loaded it); otherwise it hands over to the field's own
resolver, which loads it the async-safe way, exactly as before.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import GraphQLFieldResolver, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry_django.fields.field import StrawberryDjangoField

# Reads a field's value from a model instance, or raises KeyError when the instance lacks it.
Reader = Callable[[Model], Any]


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


def _reader(field: object) -> Reader | None:
    """How to read `field` from a loaded row, when it needs no resolver of its own."""
    if not isinstance(field, StrawberryDjangoField) or field.base_resolver or field.extensions or field.is_async:
        return None
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


def _resolver(read: Reader, field_resolver: GraphQLFieldResolver) -> GraphQLFieldResolver:
    def resolve(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        try:
            return read(source)
        except KeyError:
            return field_resolver(source, info, **kwargs)

    return resolve


def loaded_fields_read_directly(graphql_schema: GraphQLSchema) -> None:
    """Give every field that reads a loaded model row a resolver that reads it."""
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            read = _reader((graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF))
            if read is not None and graphql_field.resolve is not None:
                graphql_field.resolve = _resolver(read, graphql_field.resolve)
