"""A shorter path through graphql-core for fields that only read an attribute.

Most fields of a page are leaves that read an attribute and serialise it: a
learner's email, an invitation's status, a cursor. graphql-core runs each of them
through the general path: a resolve-info object, argument parsing, Strawberry's
resolver wrapper and the value-completion dispatch, several microseconds apiece,
which on a page of 100 learners is most of the request. This executor answers such
fields directly: read the attribute, serialise it with the field's own type. Any
case off that path (a null, an error, an unexpected value) goes back to the
general path, which produces exactly what it always did, errors included.
"""

from dataclasses import dataclass
from enum import Enum, EnumMeta
from typing import Any, cast

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class _Leaf:
    python_name: str
    read: Any
    coerce: Any


# Each field's plan is made the first time a query reaches it and kept in the
# field's own `extensions`, which live exactly as long as the schema does. None
# marks a field that takes the general path.
_PLAN = "licence-service.leaf-plan"


def _plan(field: GraphQLField) -> _Leaf | None:
    if field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = field.extensions.get("strawberry-definition")
    if not isinstance(definition, StrawberryField) or definition.extensions:
        return None
    leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
        return None
    coerce = leaf.coerce_output_value
    wrapped = getattr(leaf, "wrapped_cls", None)
    if isinstance(leaf, GraphQLEnumType) and isinstance(wrapped, EnumMeta):
        # Strawberry's enum output scans every value for each member it answers;
        # a dict from member to name gives the same answer at once. Anything not a
        # member gives None here and takes the general path.
        members: list[Enum] = list(wrapped)
        names = {
            member: name
            for member in members
            for name, value in leaf.values.items()
            if member.value == value.value
        }
        coerce = names.get
    return _Leaf(definition.python_name, definition.default_resolver, coerce)


def _plan_of(field: GraphQLField) -> _Leaf | None:
    plan = field.extensions.get(_PLAN, Undefined)
    if plan is Undefined:
        plan = field.extensions[_PLAN] = _plan(field)
    return cast(_Leaf | None, plan)


class LeafFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with attribute-reading leaf fields answered inline."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field = parent_type.fields.get(node.name.value)
        # Strawberry passes a manager on every request, empty unless an extension
        # wraps resolvers; a field middleware must see every field.
        middleware = self.middleware_manager
        if (
            field is not None
            and (middleware is None or not middleware.middlewares)
            and not node.arguments
        ):
            plan = _plan_of(field)
            if plan is not None:
                try:
                    value = plan.read(source, plan.python_name)
                    if value is not None and not isinstance(value, Exception):
                        coerced = plan.coerce(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                except Exception:  # noqa: BLE001, S110
                    # The general path below raises it again, with its location.
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Any,
        position_context: Any,
    ) -> Any:
        answers = self._leaf_objects(item_type, field_details_list, path, items)
        if answers is not None:
            return answers
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _leaf_objects(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        path: Path,
        items: Any,
    ) -> list[dict[str, Any]] | None:
        """A list of objects that selects only plain leaves, answered in one loop.

        An invitation batch answers 1,000 ``{ email status }``; graphql-core
        completes each item on its own (a path, the memoised subfields, the field
        loop), which was a fifth of the batch. None, to take the general path,
        for anything else: another item type, a type check, ``@stream`` or
        ``@defer``, a field middleware, a field that is not a plain leaf, or any
        item or value off the plain path (a null, an error); the general path then
        answers the whole list again, exactly as it always did.
        """
        object_type = (
            item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        )
        middleware = self.middleware_manager
        if (
            not isinstance(object_type, GraphQLObjectType)
            or object_type.is_type_of is not None
            or not isinstance(items, list | tuple)
            or (middleware is not None and middleware.middlewares)
            or self.get_stream_usage(field_details_list, path) is not None
        ):
            return None
        grouped, deferred, _ = self.collect_subfields(object_type, field_details_list)
        if deferred:
            return None
        plans: list[tuple[str, _Leaf]] = []
        for response_name, details in grouped.items():
            node = details[0].node
            field = object_type.fields.get(node.name.value)
            plan = None if field is None or node.arguments else _plan_of(field)
            if plan is None:
                return None
            plans.append((response_name, plan))

        answers: list[dict[str, Any]] = []
        try:
            for item in items:
                if item is None or isinstance(item, Exception):
                    return None
                answer: dict[str, Any] = {}
                for response_name, plan in plans:
                    value = plan.read(item, plan.python_name)
                    if value is None or isinstance(value, Exception):
                        return None
                    coerced = plan.coerce(value)
                    if coerced is None or coerced is Undefined:
                        return None
                    answer[response_name] = coerced
                answers.append(answer)
        except Exception:  # noqa: BLE001
            # The general path raises it again, with its location.
            return None
        return answers
