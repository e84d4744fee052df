"""The error shape every mutation payload shares."""

import strawberry

from resolvers.errors import ErrorCode, Rejected

strawberry.enum(ErrorCode, description="Why a mutation refused its input.")


@strawberry.type(description="A rule the input broke. Nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, from `input`."
    )
    message: str
    code: ErrorCode


def user_errors(rejected: Rejected) -> list[UserError]:
    return [
        UserError(field=problem.field, message=problem.message, code=problem.code)
        for problem in rejected.problems
    ]
