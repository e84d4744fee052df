from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from resolvers.context import Context
from resolvers.errors import Rejected
from schema.errors import UserError, user_errors

Info = strawberry.Info[Context, None]
Result = TypeVar("Result")
Payload = TypeVar("Payload")


async def answer(
    work: Awaitable[Result],
    success: Callable[[Result], Payload],
    refused: Callable[..., Payload],
) -> Payload:
    """Run a mutation's work; a broken rule becomes the payload's ``userErrors``."""
    try:
        result = await work
    except Rejected as rejected:
        errors: list[UserError] = user_errors(rejected)
        return refused(user_errors=errors)
    return success(result)
