"""The GraphQL surface: types, inputs, payloads, error codes and the schema itself."""

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from schema import thin_resolvers
from schema.leaf_fields import LeafFieldsExecutor
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


def build_schema() -> strawberry.Schema:
    # The limiters' rule classes are made once, here. Each limiter defines a new
    # rule class when it is constructed, and the validation cache is keyed by the
    # rule classes: built per request, they made every request miss the cache and
    # validate again (a third of a licenceSummary request's time in the profile).
    limit_rules = [
        *QueryDepthLimiter(max_depth=10).validation_rules,
        *MaxAliasesLimiter(max_alias_count=15).validation_rules,
    ]
    # Factories: Strawberry builds each extension afresh for every request; the
    # parser and validation caches behind them are shared module-wide.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=2000),
    ]
    schema = LicenceSchema(
        query=Query,
        mutation=Mutation,
        # Node implementations are reached only through `node`; list them so that
        # they are in the schema for fragments like `... on Learner`.
        types=[Organisation, Learner, Invitation, LicenceRequest, User],
        extensions=extensions,
        execution_context_class=LeafFieldsExecutor,
    )
    thin_resolvers.install(schema)
    return schema


schema = build_schema()
