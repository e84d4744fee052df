"""The GraphQL surface: types, inputs, payloads, error codes and the schema itself."""

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from resolvers.settings import Settings
from schema.guards import OperationGuard, limit_rules
from schema.mutation import Mutation
from schema.query import Query
from schema.types.learning import Invitation, Learner
from schema.types.licence_request import LicenceRequest
from schema.types.organisation import Organisation
from schema.types.user import User


class LicenceSchema(strawberry.Schema):
    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        # The HTTP layer logs unexpected errors once, with the request id; expected
        # ones (bad documents, refused tokens) are answers, not incidents.
        return


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema, with the request limits and production rules of ``settings``."""
    settings = settings or Settings()
    limits = settings.limits
    # Built once: validation results are cached per document and set of rules.
    rules = limit_rules(limits)
    # A factory: Strawberry builds each extension afresh for every request; the
    # parser and validation caches behind it are shared module-wide.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: OperationGuard(limits, rules, production=settings.production),
    ]
    return LicenceSchema(
        query=Query,
        mutation=Mutation,
        # Node implementations are reached only through `node`; list them so that
        # they are in the schema for fragments like `... on Learner`.
        types=[Organisation, Learner, Invitation, LicenceRequest, User],
        extensions=extensions,
        # Production hides "Did you mean ...?" hints that map the schema for a
        # caller who may not introspect it.
        config=StrawberryConfig(disable_field_suggestions=settings.production),
    )


def sdl() -> str:
    """The schema in the GraphQL schema language, as kept in ``schema.graphql``."""
    return build_schema().as_str() + "\n"


schema = build_schema()
