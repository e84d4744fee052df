import strawberry

from models import Role
from models import User as UserRow
from schema.relay import Node, to_global_id

strawberry.enum(Role, description="What a user may do.")


@strawberry.type(description="An admin of an organisation, or a member of staff.")
class User(Node):
    email: str
    role: Role

    @classmethod
    def from_row(cls, row: UserRow) -> "User":
        return cls(
            id=to_global_id("User", row.id), email=row.email, role=Role(row.role)
        )
