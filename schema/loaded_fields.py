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

`LoadedFieldsExecutor` goes further: it completes such fields, and the
plain attributes of strawberry's own types (a connection's edges and page
info), without graphql-core's per-field work (a `Path`, a resolve info, the
chain of `complete_value`), and takes graphql-core's own path whenever
anything is off (a value missing, null for a non-null field, not coercible,
of another type; arguments, field middleware, `@defer`/`@stream`).

Each resolver here reads the value only when the row already holds what it
needs (the optimizer loaded it); otherwise it hands over to the field's own
resolver, which loads it the async-safe way, exactly as before.
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, cast

from django.db.models import Model, Prefetch
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import (
    GraphQLField,
    GraphQLFieldResolver,
    GraphQLIsTypeOfFn,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
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


# The resolver of a field reading a loaded row carries its reader under this name.
_LOADED_READ = "_loaded_read"


def _resolver(read: Reader, field_resolver: GraphQLFieldResolver) -> GraphQLFieldResolver:
    def resolve(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        try:
            return read(source)
        except KeyError:
            return field_resolver(source, info, **kwargs)

    setattr(resolve, _LOADED_READ, read)
    return resolve


def _plain_read(field: GraphQLField) -> Callable[[Any], Any] | None:
    """How the executor reads `field` without its resolve info, when it can."""
    resolve = field.resolve
    if resolve is None or field.args:
        return None
    if (read := getattr(resolve, _LOADED_READ, None)) is not None:
        return cast(Callable[[Any], Any], read)
    if getattr(resolve, "_is_default", False):  # strawberry's attribute read, which ignores its info
        return lambda source: resolve(source, None)
    return None


class _Unplanned(Exception):
    """A value its plan does not cover: graphql-core completes the field instead, errors and all."""


# Completes one field of a source object, or raises _Unplanned.
Step = Callable[[Any], Any]


def _planned_read(read: Callable[[Any], Any], source: Any) -> Any:
    """`read(source)`, unless it handed over to an async resolver: that coroutine is closed unawaited
    (graphql-core calls the resolver again)."""
    value = read(source)
    if isinstance(value, Coroutine):
        value.close()
        raise _Unplanned
    return value


def _leaf_step(read: Callable[[Any], Any], leaf_type: GraphQLLeafType, non_null: bool) -> Step:
    coerce = leaf_type.coerce_output_value

    def complete(source: Any) -> Any:
        try:
            value = _planned_read(read, source)
            if value is None or value is Undefined:
                if non_null:
                    raise _Unplanned
                return None
            if isinstance(value, Exception):
                raise _Unplanned
            coerced = coerce(value)
        except Exception as error:
            raise _Unplanned from error
        if coerced is None or coerced is Undefined:
            raise _Unplanned
        return coerced

    return complete


def _typename_step(type_name: str) -> Step:
    return lambda source: type_name


def _object_check(object_type: GraphQLObjectType, is_awaitable: Callable[[Any], bool]) -> Callable[[Any], bool] | None:
    """Whether a value may be completed as `object_type` by its plan (None: its type check needs resolve info)."""
    model = getattr(object_type.is_type_of, _ROW_MODEL, None)
    if model is not None:
        return lambda value: type(value) is model and TYPE_CAST_ATTRIBUTE not in value.__dict__
    if object_type.is_type_of is None:
        return lambda value: not (isinstance(value, Exception) or is_awaitable(value))
    return None


def _object_step(
    read: Callable[[Any], Any],
    check: Callable[[Any], bool],
    fields: "Plan",
    non_null: bool,
    many: bool,
    item_non_null: bool,
) -> Step:
    def complete_one(value: Any, value_non_null: bool) -> Any:
        if value is None or value is Undefined:
            if value_non_null:
                raise _Unplanned
            return None
        if not check(value):
            raise _Unplanned
        return {name: step(value) for name, step in fields}

    def complete(source: Any) -> Any:
        try:
            value = _planned_read(read, source)
        except Exception as error:
            raise _Unplanned from error
        if not many or value is None or value is Undefined:
            return complete_one(value, non_null)
        if type(value) is not list:
            raise _Unplanned
        return [complete_one(item, item_non_null) for item in value]

    return complete


# (response name, step) for each field of a selection; None where graphql-core executes the field.
Plan = list[tuple[str, Step]]
PartialPlan = list[tuple[str, Step | None]]

_PLAIN_DIRECTIVES = frozenset({"include", "skip"})


class LoadedFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing fields read from loaded rows without their resolve info.

    For each selection set and type it plans once per execution which fields
    it completes itself: a scalar, object or list of objects read from a loaded
    row or a plain attribute (strawberry's `Edge.node`, `PageInfo`), with no
    arguments, no directive but `@include`/`@skip` (already applied), no
    `@defer`, no field middleware, and objects whose type check needs no
    resolve info. Anything else, and any value a plan does not cover (not
    loaded, null for a non-null field, not coercible, of another type), is
    executed by graphql-core, which reports it as before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so the id stays its own; its plan)
        self._plans: dict[int, tuple[GroupedFieldSet, PartialPlan]] = {}

    def build_per_event_executor(self, payload: Any) -> Any:
        # Each event collects its fields anew: plans shared with the subscription's executor would pile up.
        executor = cast(LoadedFieldsExecutor, super().build_per_event_executor(payload))
        executor._plans = {}
        return executor

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._plan(parent_type, grouped_field_set)
        results: dict[str, Any] = {}
        executed: GroupedFieldSet = {}
        for response_name, step in plan:
            if step is not None:
                try:
                    results[response_name] = step(source_value)
                    continue
                except _Unplanned:
                    pass
            executed[response_name] = grouped_field_set[response_name]
        if not executed:
            return results
        if len(executed) == len(grouped_field_set):
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        rest = super().execute_fields(parent_type, source_value, path, executed, position_context)

        def merged(rest: dict[str, Any]) -> dict[str, Any]:
            results.update(rest)
            return {name: results[name] for name in grouped_field_set if name in results}

        if self.is_awaitable(rest):

            async def merge() -> dict[str, Any]:
                return merged(await cast(Awaitable[dict[str, Any]], rest))

            return merge()
        return merged(cast(dict[str, Any], rest))

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> PartialPlan:
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        middleware = self.middleware_manager
        plan: PartialPlan = [
            (name, None if middleware and middleware.middlewares else self._step(parent_type, details))
            for name, details in grouped_field_set.items()
        ]
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _full_plan(self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> Plan | None:
        """The plan of an object's selection when it completes every field itself."""
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        plan = self._plan(object_type, grouped_field_set)
        if any(step is None for _, step in plan):
            return None
        return cast(Plan, plan)

    def _step(self, parent_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> Step | None:
        for details in field_details_list:
            node = details.node
            if node.arguments or details.defer_usage is not None or details.fragment_variable_values is not None:
                return None
            if any(directive.name.value not in _PLAIN_DIRECTIVES for directive in node.directives or ()):
                return None
        field_name = field_details_list[0].node.name.value
        if field_name == "__typename":
            return _typename_step(parent_type.name)
        field_def = parent_type.fields.get(field_name)
        read = _plain_read(field_def) if field_def is not None else None
        if field_def is None or read is None:
            return None
        non_null = isinstance(field_def.type, GraphQLNonNull)
        return_type = get_nullable_type(field_def.type)
        if is_leaf_type(return_type):
            return _leaf_step(read, return_type, non_null)
        many = isinstance(return_type, GraphQLList)
        item_type = return_type.of_type if isinstance(return_type, GraphQLList) else return_type
        item_non_null = many and isinstance(item_type, GraphQLNonNull)
        object_type = get_nullable_type(item_type)
        if not isinstance(object_type, GraphQLObjectType):
            return None
        check = _object_check(object_type, self.is_awaitable)
        fields = self._full_plan(object_type, field_details_list) if check is not None else None
        if check is None or fields is None:
            return None
        return _object_step(read, check, fields, non_null, many, item_non_null)


def loaded_fields_read_directly(graphql_schema: GraphQLSchema) -> None:
    """Give every field that reads a loaded model row a resolver that reads it."""
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            read = _reader(graphql_type, field)
            if read is not None and graphql_field.resolve is not None:
                graphql_field.resolve = _resolver(read, graphql_field.resolve)


# A type check accepting a row of its model directly carries the model under this name.
_ROW_MODEL = "_row_model"


def _row_type_check(model: type[Model], is_type_of: GraphQLIsTypeOfFn) -> GraphQLIsTypeOfFn:
    def check(source: Any, info: GraphQLResolveInfo) -> Any:
        if type(source) is model and TYPE_CAST_ATTRIBUTE not in source.__dict__:
            return True
        return is_type_of(source, info)

    setattr(check, _ROW_MODEL, model)
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
