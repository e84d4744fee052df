"""What every operation must pass before any resolver runs.

Size (tokens), shape (depth, aliases), cost, page sizes, invite batches and, in
production, who may introspect. Each refusal carries a stable ``Refusal`` code.
"""

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    ValidationContext,
    parse,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from resolvers.context import Context
from resolvers.limits import Limits
from schema.cost import CostReport, cost_rule
from schema.refusals import Refusal

Rules = tuple[type[ASTValidationRule], ...]


def coded(rule: type[ASTValidationRule], code: Refusal) -> type[ASTValidationRule]:
    """``rule``, with ``code`` in the extensions of every error it reports."""

    def tag(error: GraphQLError) -> GraphQLError:
        error.extensions = {**(error.extensions or {}), "code": code.value}
        return error

    class CodedRule(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            # Strawberry's depth and alias rules report from their constructor,
            # straight to the context; visitor rules report through report_error.
            report = context.report_error
            context.report_error = lambda error: report(tag(error))  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                del context.report_error

        def report_error(self, error: GraphQLError) -> None:
            super().report_error(tag(error))

    CodedRule.__name__ = f"Coded{rule.__name__}"
    return CodedRule


def limit_rules(limits: Limits) -> Rules:
    """Built once per schema, so that validation results can be cached."""
    return (
        coded(depth_rule(limits.max_depth, None), Refusal.QUERY_TOO_DEEP),
        coded(alias_rule(limits.max_aliases), Refusal.TOO_MANY_ALIASES),
    )


INTROSPECTION_RULE = coded(
    NoSchemaIntrospectionCustomRule, Refusal.INTROSPECTION_DISABLED
)


@lru_cache(maxsize=256)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules, hide_suggestions: bool
) -> tuple[GraphQLError, ...]:
    errors = validate(schema, document, rules, hide_suggestions=hide_suggestions)
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {
                **(error.extensions or {}),
                "code": Refusal.GRAPHQL_VALIDATION_FAILED.value,
            }
    return tuple(errors)


class OperationGuard(SchemaExtension):
    """Parses with a token limit, validates and prices each operation.

    Parsing and validation are cached per document; pricing is not, since it
    depends on the variables.
    """

    def __init__(self, limits: Limits, rules: Rules, *, production: bool) -> None:
        super().__init__()
        self.limits = limits
        self.rules = rules
        self.production = production
        self.report = CostReport()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None
        try:
            context.graphql_document = _parse(context.query, self.limits.max_tokens)
        except GraphQLSyntaxError as error:
            # Strawberry answers an error raised here as a pre-execution error.
            error.extensions = {"code": self._syntax_code(error).value}
            raise
        yield

    def _syntax_code(self, error: GraphQLSyntaxError) -> Refusal:
        # graphql-core says so only in words; the limit in the message is ours.
        if f"more than {self.limits.max_tokens} tokens" in error.message:
            return Refusal.TOO_MANY_TOKENS
        return Refusal.GRAPHQL_PARSE_FAILED

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        schema = context.schema._schema
        rules: Rules = (
            *context.validation_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
            *self.rules,
        )
        if self.production and not _is_staff(context.context):
            rules = (*rules, INTROSPECTION_RULE)

        errors = list(_validate(schema, document, rules, self.production))
        if not errors:
            # Priced per request: the cost depends on the variables.
            price = cost_rule(
                self.limits, context.variables, context.operation_name, self.report
            )
            errors = validate(schema, document, (price,))
        # Set before Strawberry's own validation step, which then stands aside.
        context.pre_execution_errors = errors
        yield

    def get_results(self) -> dict[str, Any]:
        if self.report.cost is None:
            return {}
        return {"cost": {"requested": self.report.cost, "limit": self.limits.max_cost}}


def _is_staff(context: object) -> bool:
    return (
        isinstance(context, Context)
        and context.viewer is not None
        and context.viewer.is_staff
    )
