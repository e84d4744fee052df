"""The leaf-field executor answers exactly as Strawberry's own, errors included;
thin resolvers are only installed where nothing of Strawberry's wrapper is needed."""

from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from schema import thin_resolvers
from schema.leaf_fields import LeafFieldsExecutor
from schema.thin_resolvers import thin


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    nickname: str | None
    colour: Colour
    count: int


THINGS: list[Thing | None] = [
    Thing(name="lamp", nickname=None, colour=Colour.RED, count=2),
    # Values that break their field's type: each must become the usual error.
    Thing(name=None, nickname="x", colour=Colour.BLUE, count=1),  # type: ignore[arg-type]
    Thing(name="mug", nickname="m", colour="green", count="many"),  # type: ignore[arg-type]
]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return THINGS


THINGS_QUERY = """
{
  things { name label: nickname colour count ... on Thing { again: name } }
}
"""


def _schemas(**options: Any) -> tuple[strawberry.Schema, strawberry.Schema]:
    stock = strawberry.Schema(query=Query, **options)
    fast = strawberry.Schema(
        query=Query, execution_context_class=LeafFieldsExecutor, **options
    )
    return stock, fast


def _formatted(result: Any) -> tuple[Any, list[Any]]:
    return result.data, [error.formatted for error in result.errors or []]


def test_answers_and_errors_match_strawberrys_executor() -> None:
    stock, fast = _schemas()

    expected = _formatted(stock.execute_sync(THINGS_QUERY))
    answered = _formatted(fast.execute_sync(THINGS_QUERY))

    assert answered == expected
    data, errors = answered
    assert data["things"][0] == {
        "name": "lamp",
        "label": None,
        "colour": "RED",
        "count": 2,
        "again": "lamp",
    }
    assert data["things"][1:] == [None, None]
    assert [error["path"] for error in errors] == [
        ["things", 1, "name"],
        ["things", 2, "colour"],
    ]


RESOLVED: list[str] = []


class CountResolves(SchemaExtension):
    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: str,
        **kwargs: Any,
    ) -> Any:
        RESOLVED.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def test_field_middleware_still_sees_every_field() -> None:
    _, fast = _schemas(extensions=[CountResolves])
    RESOLVED.clear()

    result = fast.execute_sync("{ things { name } }")

    assert result.errors is not None
    assert RESOLVED == ["things", "name", "name", "name"]


@strawberry.type
class Lookup:
    @strawberry.field
    @thin
    def echo(self, info: strawberry.Info, word: str) -> str:
        return word


@strawberry.type
class LookupQuery:
    lookup: Lookup = strawberry.field(default_factory=Lookup)


def test_a_thin_resolver_with_arguments_is_refused() -> None:
    schema = strawberry.Schema(query=LookupQuery)

    with pytest.raises(TypeError, match=r"Lookup.echo: @thin needs no arguments"):
        thin_resolvers.install(schema)


CLEAN_THINGS: list[Thing | None] = [
    Thing(name=f"thing {n}", nickname=f"t{n}", colour=Colour.BLUE, count=n)
    for n in range(3)
]


@strawberry.type
class CleanQuery:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return CLEAN_THINGS

    @strawberry.field
    def with_a_gap(self) -> list[Thing | None]:
        return [*CLEAN_THINGS, None]


LEAVES_ONLY_QUERY = """
{
  things { name label: nickname colour count }
  typed: things { __typename name }
  withAGap { name }
}
"""


def test_a_list_of_leaves_only_answers_as_strawberrys_executor() -> None:
    stock = strawberry.Schema(query=CleanQuery)
    fast = strawberry.Schema(
        query=CleanQuery, execution_context_class=LeafFieldsExecutor
    )

    expected = _formatted(stock.execute_sync(LEAVES_ONLY_QUERY))
    answered = _formatted(fast.execute_sync(LEAVES_ONLY_QUERY))

    assert answered == expected
    data, errors = answered
    assert errors == []
    assert data["things"][2] == {
        "name": "thing 2",
        "label": "t2",
        "colour": "BLUE",
        "count": 2,
    }
    assert data["typed"][0] == {"__typename": "Thing", "name": "thing 0"}
    assert data["withAGap"] == [
        {"name": "thing 0"},
        {"name": "thing 1"},
        {"name": "thing 2"},
        None,
    ]
