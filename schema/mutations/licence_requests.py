"""Asking for licences (admins) and deciding on the request (staff)."""

from typing import Self

import strawberry

from resolvers import licence_requests
from resolvers.licence_requests import RequestChange
from schema.errors import UserError
from schema.idempotency import IdempotentInput
from schema.mutations.common import Info, answer
from schema.relay import pk_of
from schema.types.licence_request import LicenceRequest
from schema.types.organisation import LicenceSummary


@strawberry.type
class LicenceRequestPayload:
    licence_request: LicenceRequest | None = None
    licence_summary: LicenceSummary | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_change(cls, change: RequestChange) -> Self:
        return cls(
            licence_request=LicenceRequest.from_row(change.licence_request),
            licence_summary=LicenceSummary.from_figures(change.figures),
        )


@strawberry.type
class RequestLicencesPayload(LicenceRequestPayload):
    pass


@strawberry.type
class ApproveLicenceRequestPayload(LicenceRequestPayload):
    pass


@strawberry.type
class DeclineLicenceRequestPayload(LicenceRequestPayload):
    pass


@strawberry.input
class RequestLicencesInput(IdempotentInput):
    organisation_id: strawberry.ID
    quantity: int
    note: str | None = strawberry.field(
        default=None, description="Up to 1,000 characters."
    )


async def request_licences(
    info: Info, input: RequestLicencesInput
) -> RequestLicencesPayload:
    """Ask staff for more licences. Recorded as pending; no figure moves yet."""
    viewer = info.context.require_viewer()
    work = licence_requests.request_licences(
        info.context.services,
        viewer,
        pk_of(input.organisation_id, "Organisation"),
        input.quantity,
        input.note,
    )
    return await answer(
        work, RequestLicencesPayload.from_change, RequestLicencesPayload
    )


@strawberry.input
class ApproveLicenceRequestInput(IdempotentInput):
    licence_request_id: strawberry.ID


async def approve_licence_request(
    info: Info, input: ApproveLicenceRequestInput
) -> ApproveLicenceRequestPayload:
    """Staff only: add the requested licences to the organisation's total."""
    viewer = info.context.require_staff()
    work = licence_requests.decide_licence_request(
        info.context.services,
        viewer,
        pk_of(input.licence_request_id, "LicenceRequest"),
        approve=True,
    )
    return await answer(
        work, ApproveLicenceRequestPayload.from_change, ApproveLicenceRequestPayload
    )


@strawberry.input
class DeclineLicenceRequestInput(IdempotentInput):
    licence_request_id: strawberry.ID


async def decline_licence_request(
    info: Info, input: DeclineLicenceRequestInput
) -> DeclineLicenceRequestPayload:
    """Staff only: refuse the request; no figure moves."""
    viewer = info.context.require_staff()
    work = licence_requests.decide_licence_request(
        info.context.services,
        viewer,
        pk_of(input.licence_request_id, "LicenceRequest"),
        approve=False,
    )
    return await answer(
        work, DeclineLicenceRequestPayload.from_change, DeclineLicenceRequestPayload
    )
