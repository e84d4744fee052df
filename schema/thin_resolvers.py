"""Resolvers that graphql-core calls with one thin wrapper instead of Strawberry's.

Strawberry wraps every resolver in several layers (argument conversion, field
extensions, permission checks, its Info object), about six calls before the
function itself runs. On a page of 100 learners, each learner's `invitation` and
each invitation's `invitedBy` went through them: a fifth of the request. Resolvers
marked `@thin` take no arguments and have no extensions or permissions, so they
are called directly with a Strawberry `Info` made on the spot; `install` checks
those conditions when the schema is built and refuses a marked field that breaks
them.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.types.field import StrawberryField

Resolver = TypeVar("Resolver", bound=Callable[..., Any])
_MARK = "_licence_service_thin"


def thin(resolver: Resolver) -> Resolver:
    """Mark a resolver of the form ``(self, info)`` to be called without wrappers."""
    setattr(resolver, _MARK, True)
    return resolver


def _direct(
    function: Callable[..., Any], field: StrawberryField
) -> Callable[[Any, GraphQLResolveInfo[Any]], Any]:
    def resolve(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return function(source, strawberry.Info(_raw_info=info, _field=field))

    return resolve


def install(schema: strawberry.Schema) -> None:
    """Point each field whose resolver is marked `@thin` straight at it."""
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, field in graphql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            if not isinstance(definition, StrawberryField):
                continue
            resolver = definition.base_resolver
            function = None if resolver is None else resolver.wrapped_func
            if not getattr(function, _MARK, False):
                continue
            if field.args or definition.extensions:
                message = f"{graphql_type.name}.{name}: @thin needs no arguments"
                raise TypeError(f"{message}, extensions or permissions")
            field.resolve = _direct(function, definition)  # type: ignore[arg-type]
