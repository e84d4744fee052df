"""Admins ask for more licences; staff approve or decline."""

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import (
    LicenceEventKind,
    LicenceRequest,
    LicenceRequestStatus,
    rows_changed,
    utcnow,
)
from resolvers import licences
from resolvers.auth import Viewer
from resolvers.context import Services
from resolvers.errors import ErrorCode, Rejected
from resolvers.organisations import administered, not_found

logger = logging.getLogger(__name__)

MAX_REQUESTED_LICENCES = 100_000
MAX_NOTE_LENGTH = 1000


@dataclass(frozen=True)
class RequestChange:
    licence_request: LicenceRequest
    figures: licences.Figures


async def request_licences(
    services: Services,
    viewer: Viewer,
    organisation_id: int | None,
    quantity: int,
    note: str | None,
) -> RequestChange:
    if not 1 <= quantity <= MAX_REQUESTED_LICENCES:
        raise Rejected.one(
            ErrorCode.INVALID_QUANTITY,
            f"Ask for between 1 and {MAX_REQUESTED_LICENCES} licences.",
            "quantity",
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise Rejected.one(
            ErrorCode.NOTE_TOO_LONG,
            f"A note has at most {MAX_NOTE_LENGTH} characters.",
            "note",
        )

    async def work(session: AsyncSession) -> RequestChange:
        organisation = await administered(
            session, viewer, organisation_id, "organisationId"
        )
        assert organisation.id is not None
        request = LicenceRequest(
            organisation_id=organisation.id,
            quantity=quantity,
            note=note,
            status=LicenceRequestStatus.PENDING.value,
            requested_by_id=viewer.user_id,
            created_at=utcnow(),
        )
        session.add(request)
        await session.flush()
        figures = await licences.apply(
            session,
            organisation.id,
            LicenceEventKind.LICENCES_REQUESTED,
            quantity,
            actor_id=viewer.user_id,
            licence_request_id=request.id,
        )
        assert figures is not None, "a request moves no figure"
        return RequestChange(request, figures)

    change = await services.db.run_write(work, retry_on_integrity=False)
    logger.info(
        "licences_requested organisation_id=%s quantity=%s by=%s",
        organisation_id,
        quantity,
        viewer.user_id,
    )
    return change


async def decide_licence_request(
    services: Services, viewer: Viewer, licence_request_id: int | None, *, approve: bool
) -> RequestChange:
    """Approve (the total grows by the quantity) or decline (nothing moves).

    The status change is conditional on the request still being pending, so of two
    concurrent decisions exactly one takes effect.
    """
    status = LicenceRequestStatus.APPROVED if approve else LicenceRequestStatus.DECLINED
    kind = (
        LicenceEventKind.LICENCE_REQUEST_APPROVED
        if approve
        else LicenceEventKind.LICENCE_REQUEST_DECLINED
    )

    async def work(session: AsyncSession) -> RequestChange:
        request = (
            None
            if licence_request_id is None
            else await session.get(LicenceRequest, licence_request_id)
        )
        if request is None:
            raise not_found("licence request", "licenceRequestId")
        decided = await session.execute(
            update(LicenceRequest)
            .where(
                col(LicenceRequest.id) == request.id,
                col(LicenceRequest.status) == LicenceRequestStatus.PENDING.value,
            )
            .values(
                status=status.value, decided_at=utcnow(), decided_by_id=viewer.user_id
            )
        )
        if rows_changed(decided) != 1:
            raise Rejected.one(
                ErrorCode.LICENCE_REQUEST_ALREADY_DECIDED,
                "This licence request was already decided.",
                "licenceRequestId",
            )
        await session.refresh(request)
        figures = await licences.apply(
            session,
            request.organisation_id,
            kind,
            request.quantity,
            actor_id=viewer.user_id,
            licence_request_id=request.id,
        )
        assert figures is not None, "approving adds licences, declining moves none"
        return RequestChange(request, figures)

    change = await services.db.run_write(work, retry_on_integrity=False)
    logger.info(
        "licence_request_decided id=%s status=%s by=%s",
        licence_request_id,
        status.value,
        viewer.user_id,
    )
    return change
