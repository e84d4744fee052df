"""Relay global IDs, the Node interface and cursor connections."""

import base64
import binascii
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from resolvers.pages import MAX_PAGE_SIZE, Page

NodeType = TypeVar("NodeType")


def to_global_id(type_name: str, pk: int | None) -> strawberry.ID:
    return strawberry.ID(
        base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()
    )


def from_global_id(
    global_id: str, expected: str | None = None
) -> tuple[str, int] | None:
    """``(type name, primary key)``, or ``None`` for anything that is not our ID."""
    try:
        decoded = base64.urlsafe_b64decode(global_id.encode()).decode()
        type_name, _, raw_pk = decoded.partition(":")
        pk = int(raw_pk)
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if expected is not None and type_name != expected:
        return None
    return type_name, pk


def pk_of(global_id: str, expected: str) -> int | None:
    decoded = from_global_id(global_id, expected)
    return None if decoded is None else decoded[1]


@strawberry.interface(description="An object with a global ID, fetchable by `node`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]


def _cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{pk}".encode()).decode()


def page_arguments(first: int, after: str | None) -> tuple[int, int | None]:
    """Check ``first`` and decode ``after``, or refuse with a GraphQL error."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"`first` must be between 1 and {MAX_PAGE_SIZE}; got {first}.",
            extensions={"code": "BAD_USER_INPUT"},
        )
    if after is None:
        return first, None
    try:
        prefix, _, raw = (
            base64.urlsafe_b64decode(after.encode()).decode().partition(":")
        )
        if prefix != "cursor":
            raise ValueError(prefix)
        return first, int(raw)
    except (binascii.Error, UnicodeError, ValueError):
        raise GraphQLError(
            "`after` is not a cursor from this API.",
            extensions={"code": "BAD_USER_INPUT"},
        ) from None


def connection(
    page: Page[Any], convert: Callable[[Any], NodeType]
) -> Connection[NodeType]:
    edges = [Edge(cursor=_cursor(row.id), node=convert(row)) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
