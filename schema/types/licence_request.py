from datetime import datetime

import strawberry

from models import LicenceRequest as LicenceRequestRow
from models import LicenceRequestStatus
from resolvers.context import Context
from schema.relay import Node, to_global_id
from schema.types.user import User

strawberry.enum(LicenceRequestStatus, description="Where a licence request stands.")


@strawberry.type(description="An admin's request for more licences.")
class LicenceRequest(Node):
    quantity: int
    note: str
    status: LicenceRequestStatus
    created_at: datetime
    decided_at: datetime | None
    requested_by_id: strawberry.Private[int]
    decided_by_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: LicenceRequestRow) -> "LicenceRequest":
        return cls(
            id=to_global_id("LicenceRequest", row.id),
            quantity=row.quantity,
            note=row.note,
            status=LicenceRequestStatus(row.status),
            created_at=row.created_at,
            decided_at=row.decided_at,
            requested_by_id=row.requested_by_id,
            decided_by_id=row.decided_by_id,
        )

    @strawberry.field
    async def requested_by(self, info: strawberry.Info[Context, None]) -> User | None:
        row = await info.context.loaders.user_by_id.load(self.requested_by_id)
        return None if row is None else User.from_row(row)

    @strawberry.field(description="The member of staff who decided, once decided.")
    async def decided_by(self, info: strawberry.Info[Context, None]) -> User | None:
        if self.decided_by_id is None:
            return None
        row = await info.context.loaders.user_by_id.load(self.decided_by_id)
        return None if row is None else User.from_row(row)
