"""The plain-Starlette limit the GraphQL server is measured against.

Each route answers one of the benchmark's questions the way a hand-written endpoint
would: it checks the same bearer token with the same code, runs the same SQL
statements as the GraphQL server through the same driver (SQLAlchemy's asyncio
engine over aiosqlite, configured by the same ``Database`` class), and writes the
same JSON, byte for byte; ``bench/run.py`` checks that before it measures anything.
No GraphQL is involved: whatever the server needs beyond this is its overhead.

python bench/baseline.py    serve it (HOST, PORT, DATABASE_URL, SECRET_KEY)
"""

import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import uvicorn
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models import Database, Invitation, Learner, Organisation, User, utcnow
from resolvers.auth import InvalidToken, Viewer, read_token
from resolvers.invitations import new_token
from resolvers.licences import figures_by_id
from resolvers.settings import Settings

settings = Settings.from_env()
database = Database(settings.database_url)


def _global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode()


def _cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{pk}".encode()).decode()


def _pk(global_id: str, type_name: str) -> int | None:
    try:
        decoded = base64.urlsafe_b64decode(global_id.encode()).decode()
        name, _, raw = decoded.partition(":")
        return int(raw) if name == type_name else None
    except ValueError:
        return None


def _viewer(request: Request) -> Viewer | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        return read_token(token.strip(), settings)
    except InvalidToken:
        return None


def _json(body: dict[str, Any], status: int = 200) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(
        content,
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


# The server reports each operation's cost in `extensions`; for a fixed document it
# is a constant, so the baseline writes the same bytes without computing anything.
SUMMARY_COST = 2
PAGE_COST_FIXED = 2
PAGE_COST_PER_LEARNER = 5


def _cost(requested: int) -> dict[str, Any]:
    return {"cost": {"requested": requested, "limit": 1000}}


def _unauthenticated() -> Response:
    return _json({"errors": [{"message": "Send a valid bearer token."}]}, 401)


async def _organisation(
    connection: AsyncConnection, viewer: Viewer, global_id: str
) -> Any:
    pk = _pk(global_id, "Organisation")
    if pk is None or not viewer.can_read(pk):
        return None
    # The statement the server's organisation loader sends.
    result = await connection.execute(
        select(Organisation).where(col(Organisation.id).in_([pk]))
    )
    return result.first()


async def licence_summary(request: Request) -> Response:
    viewer = _viewer(request)
    if viewer is None:
        return _unauthenticated()

    async with database.read_session() as session:
        connection = await session.connection()
        row = await _organisation(connection, viewer, request.query_params["id"])
        if row is None:
            return _json({"data": {"organisation": None}})
        # The statement the server's figures loader sends: the kept figures less
        # the invitations that expired since the last sweep.
        figures = (await figures_by_id(session, [row.id]))[row.id]

    summary = {
        "total": figures.total,
        "availableToAssign": figures.available_to_assign,
        "pendingInvite": figures.pending_invite,
        "inUse": figures.in_use,
    }
    return _json(
        {
            "data": {"organisation": {"licenceSummary": summary}},
            "extensions": _cost(SUMMARY_COST),
        }
    )


async def learner_page(request: Request) -> Response:
    viewer = _viewer(request)
    if viewer is None:
        return _unauthenticated()
    first = int(request.query_params["first"])

    async with database.engine.connect() as connection:
        organisation = await _organisation(
            connection, viewer, request.query_params["id"]
        )
        if organisation is None:
            return _json({"data": {"organisation": None}})
        learners = list(
            await connection.execute(
                select(Learner)
                .where(col(Learner.organisation_id) == organisation.id)
                .order_by(col(Learner.id))
                .limit(first + 1)
            )
        )
        invitation_ids = list(dict.fromkeys(row.invitation_id for row in learners))
        invitations = {
            row.id: row
            for row in await connection.execute(
                select(Invitation).where(col(Invitation.id).in_(invitation_ids))
            )
        }
        user_ids = list(
            dict.fromkeys(row.invited_by_id for row in invitations.values())
        )
        users = {
            row.id: row
            for row in await connection.execute(
                select(User).where(col(User.id).in_(user_ids))
            )
        }

    edges = []
    for learner in learners[:first]:
        invitation = invitations.get(learner.invitation_id)
        answer = None
        if invitation is not None:
            user = users.get(invitation.invited_by_id)
            answer = {
                "status": invitation.status,
                "invitedBy": None if user is None else {"email": user.email},
            }
        edges.append(
            {
                "cursor": _cursor(learner.id),
                "node": {
                    "id": _global_id("Learner", learner.id),
                    "email": learner.email,
                    "name": learner.name,
                    "status": learner.status,
                    "invitation": answer,
                },
            }
        )
    page = {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": len(learners) > first,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
    return _json(
        {
            "data": {"organisation": {"learners": page}},
            "extensions": _cost(PAGE_COST_FIXED + PAGE_COST_PER_LEARNER * first),
        }
    )


async def bulk_insert(request: Request) -> Response:
    """Insert one pending invitation per email, nothing else: the floor for a batch."""
    viewer = _viewer(request)
    if viewer is None:
        return _unauthenticated()
    body = await request.json()
    organisation_id = _pk(body["organisationId"], "Organisation")
    if organisation_id is None or not viewer.administers(organisation_id):
        return _json({"inserted": 0}, 404)

    now = utcnow()
    expires = now + timedelta(days=14)
    rows = [
        {
            "organisation_id": organisation_id,
            "email": email.strip().lower(),
            "status": "PENDING",
            "token_hash": new_token()[1],
            "invited_by_id": viewer.user_id,
            "created_at": now,
            "expires_at": expires,
        }
        for email in body["emails"]
    ]
    writer = database.engine.execution_options(sqlite_begin="IMMEDIATE")
    async with writer.begin() as connection:
        await connection.execute(insert(Invitation), rows)
    return _json({"inserted": len(rows)})


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    yield
    await database.dispose()


app = Starlette(
    routes=[
        Route("/summary", licence_summary, methods=["GET"]),
        Route("/learners", learner_page, methods=["GET"]),
        Route("/invite", bulk_insert, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ],
    lifespan=lifespan,
)


if __name__ == "__main__":
    # The same uvicorn settings as `python server.py serve`.
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )
