"""Query cost analysis: what an operation asks for, counted before it runs.

Each object in the response counts 1; a connection multiplies what it holds by its
``first``. ``organisations(first: 100) { nodes { learners(first: 100) { nodes
{ email } } } }`` costs ``1 + 100 * (1 + 1 + 100 * 1) = 10,201`` and is refused
before a single row is read. The same walk checks the arguments whose size drives
the work: ``first`` on every connection and the emails of ``inviteLearners``.

Variables are known when this runs (it is a validation rule built for each
request), so ``first: $size`` costs what ``$size`` says.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from resolvers.limits import Limits
from schema.refusals import Refusal

INVITE_LEARNERS = "inviteLearners"


@dataclass
class CostReport:
    """Filled in by the rule, read by the extension that reports it."""

    cost: int | None = None


def cost_rule(
    limits: Limits,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    report: CostReport,
) -> type[ValidationRule]:
    """A validation rule bound to one request's variables and operation."""

    class QueryCostRule(ValidationRule):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: object
        ) -> None:
            if operation_name is not None and (
                node.name is None or node.name.value != operation_name
            ):
                return
            walk = _CostWalk(self.context, limits, _with_defaults(node, variables))
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            report.cost = walk.selections(node.selection_set, root, frozenset())
            if report.cost > limits.max_cost:
                self.report_error(
                    GraphQLError(
                        f"This operation costs {report.cost} points; "
                        f"the limit is {limits.max_cost}. Ask for fewer items.",
                        node,
                        extensions={"code": Refusal.QUERY_TOO_COSTLY.value},
                    )
                )
            if node.operation is OperationType.MUTATION:
                walk.check_invite_batches(node.selection_set, root)

    return QueryCostRule


def _with_defaults(
    node: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    known = dict(variables or {})
    for definition in node.variable_definitions or ():
        name = definition.variable.name.value
        if name not in known and definition.default_value is not None:
            known[name] = value_from_ast_untyped(definition.default_value)
    return known


class _CostWalk:
    def __init__(
        self, context: ValidationContext, limits: Limits, variables: dict[str, Any]
    ) -> None:
        self.context = context
        self.limits = limits
        self.variables = variables
        # A fragment spread twice is walked twice; its errors are reported once.
        self.reported: set[int] = set()

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        fragments_seen: frozenset[str],
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, fragments_seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = (
                    parent
                    if condition is None
                    else self.context.schema.get_type(condition.name.value)
                )
                if target is not None:
                    total += self.selections(
                        selection.selection_set, target, fragments_seen
                    )
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection, fragments_seen)
        return total

    def spread(self, node: FragmentSpreadNode, fragments_seen: frozenset[str]) -> int:
        name = node.name.value
        fragment = self.context.get_fragment(name)
        if fragment is None or name in fragments_seen:
            return 0
        target = self.context.schema.get_type(fragment.type_condition.name.value)
        if target is None:
            return 0
        return self.selections(fragment.selection_set, target, fragments_seen | {name})

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        fragments_seen: frozenset[str],
    ) -> int:
        definition = _field_definition(parent, node.name.value)
        if definition is None or node.selection_set is None:
            return 0
        returned = get_named_type(definition.type)
        if not is_composite_type(returned):
            return 0
        children = self.selections(node.selection_set, returned, fragments_seen)
        multiplier = 1
        if returned.name.endswith("Connection") and "first" in definition.args:
            multiplier = self.page_size(node, definition)
        return 1 + multiplier * children

    def page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        """The page a connection asks for; out-of-range sizes are refused here."""
        value = self.argument(node, "first")
        if value is Undefined:
            value = definition.args["first"].default_value
        if not isinstance(value, int) or isinstance(value, bool):
            # Not an integer: coercion refuses it before any resolver runs. Until
            # then, count the worst case.
            return self.limits.max_page_size
        if not 1 <= value <= self.limits.max_page_size:
            self.refuse(
                node,
                f"`first` must be between 1 and {self.limits.max_page_size}; "
                f"got {value}.",
                Refusal.PAGE_SIZE_OUT_OF_RANGE,
            )
            return self.limits.max_page_size
        return value

    def check_invite_batches(
        self, selection_set: SelectionSetNode, root: GraphQLObjectType
    ) -> None:
        for selection in selection_set.selections:
            if not (
                isinstance(selection, FieldNode)
                and selection.name.value == INVITE_LEARNERS
                and INVITE_LEARNERS in root.fields
            ):
                continue
            given = self.argument(selection, "input")
            emails = given.get("emails") if isinstance(given, dict) else None
            if isinstance(emails, list) and len(emails) > self.limits.max_emails:
                self.refuse(
                    selection,
                    f"At most {self.limits.max_emails} emails per call; "
                    f"got {len(emails)}.",
                    Refusal.TOO_MANY_EMAILS,
                )

    def argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return Undefined

    def refuse(self, node: FieldNode, message: str, code: Refusal) -> None:
        if id(node) in self.reported:
            return
        self.reported.add(id(node))
        self.context.report_error(
            GraphQLError(message, node, extensions={"code": code.value})
        )


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None
