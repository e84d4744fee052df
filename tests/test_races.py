"""Races through four real server processes that share one database.

Each test fires its requests at once (bounded to 50 in flight) at
``python server.py serve`` with WORKERS=4, then checks who won and that the kept
figures equal a full recount.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from models import Database, Invitation
from resolvers.licences import Figures
from schema.relay import to_global_id
from tests.conftest import TEST_SECRET
from tests.factories import Factory, Scene
from tests.recount import kept, ledger_sum, recount
from tests.servers import RunningServer, serving, worker_pids
from tests.test_idempotency import requested

INVITE_LEARNERS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { email status }
    userErrors { code }
  }
}
"""

ACCEPT_INVITATION = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { learner { id } userErrors { code } }
}
"""

REVOKE_INVITATION = """
mutation Revoke($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { invitation { status } userErrors { code } }
}
"""

APPROVE_LICENCE_REQUEST = """
mutation Approve($input: ApproveLicenceRequestInput!) {
  approveLicenceRequest(input: $input) { licenceRequest { status } userErrors { code } }
}
"""

IN_FLIGHT = 50

logger = logging.getLogger(__name__)

# A document, its variables, and the bearer token to send it with (or none).
Request = tuple[str, dict[str, Any], str | None]


@pytest.fixture
def cluster(db: Database, database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    with serving(database_url, TEST_SECRET, tmp_path, workers=4) as server:
        # uvicorn's supervisor plus four processes that each serve requests.
        assert len(worker_pids(server)) == 4
        yield server


class Caller:
    """Sends GraphQL requests to the cluster, at most IN_FLIGHT at a time."""

    def __init__(self, server: RunningServer) -> None:
        self.url = f"{server.url}/graphql"
        self.limit = asyncio.Semaphore(IN_FLIGHT)

    async def all(self, requests: Sequence[Request]) -> Any:
        limits = httpx.Limits(max_connections=IN_FLIGHT)
        timeout = httpx.Timeout(60.0)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
            return await asyncio.gather(
                *(self._one(client, *request) for request in requests)
            )

    async def _one(
        self,
        client: httpx.AsyncClient,
        document: str,
        variables: dict[str, Any],
        token: str | None,
    ) -> dict[str, Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        async with self.limit:
            response = await client.post(
                self.url,
                json={"query": document, "variables": variables},
                headers=headers,
            )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert isinstance(payload, dict)
        return payload


async def invitation_ids(db: Database) -> dict[str, int]:
    async with db.read_session() as session:
        rows = await session.execute(select(col(Invitation.email), col(Invitation.id)))
        return {email: pk for email, pk in rows if pk is not None}


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def assert_figures(
    db: Database, scene: Scene, expected: Figures, sent: int, outcomes: Counter[Any]
) -> None:
    figures = await kept(db, scene.organisation_id)
    logger.info(
        "race backend=%s requests=%s outcomes=%s figures=%s",
        "sqlite" if db.is_sqlite else "postgresql",
        sent,
        dict(outcomes),
        figures,
    )
    assert figures == expected
    assert figures == await recount(db, scene.organisation_id)
    assert figures == await ledger_sum(db, scene.organisation_id)


async def test_of_200_concurrent_invitations_exactly_the_available_k_succeed(
    db: Database, factory: Factory, cluster: RunningServer
) -> None:
    scene = await factory.scene(licences=37)
    token = factory.token_for(scene.admin)
    requests: list[Request] = [
        (
            INVITE_LEARNERS,
            {
                "input": {
                    "organisationId": scene.organisation_gid,
                    "emails": [f"person{n}@example.com"],
                }
            },
            token,
        )
        for n in range(200)
    ]

    payloads = await Caller(cluster).all(requests)

    outcomes = Counter(tuple(codes(payload)) for payload in payloads)
    assert outcomes == {(): 37, ("NOT_ENOUGH_LICENCES",): 163}
    await assert_figures(
        db,
        scene,
        Figures(total=37, available_to_assign=0, pending_invite=37, in_use=0),
        len(requests),
        outcomes,
    )


async def test_one_invitation_accepted_20_times_at_once_makes_one_learner(
    db: Database, factory: Factory, cluster: RunningServer
) -> None:
    scene = await factory.scene(licences=3)
    (token,) = await factory.invite(scene, "ana@example.com")
    requests: list[Request] = [
        (ACCEPT_INVITATION, {"input": {"token": token, "name": f"Ana {n}"}}, None)
        for n in range(20)
    ]

    payloads = await Caller(cluster).all(requests)

    outcomes = Counter(tuple(codes(payload)) for payload in payloads)
    assert outcomes == {(): 1, ("INVITATION_NOT_PENDING",): 19}
    await assert_figures(
        db,
        scene,
        Figures(total=3, available_to_assign=2, pending_invite=0, in_use=1),
        len(requests),
        outcomes,
    )


async def test_accept_racing_revoke_has_exactly_one_winner_each_time(
    db: Database, factory: Factory, cluster: RunningServer
) -> None:
    scene = await factory.scene(licences=20)
    emails = [f"person{n}@example.com" for n in range(20)]
    tokens = await factory.invite(scene, *emails)
    ids = await invitation_ids(db)
    admin = factory.token_for(scene.admin)
    requests: list[Request] = []
    for email, token in zip(emails, tokens, strict=True):
        invitation_id = to_global_id("Invitation", ids[email])
        requests.append((ACCEPT_INVITATION, {"input": {"token": token}}, None))
        requests.append(
            (REVOKE_INVITATION, {"input": {"invitationId": invitation_id}}, admin)
        )

    payloads = await Caller(cluster).all(requests)

    accepted = 0
    for accept, revoke in zip(payloads[::2], payloads[1::2], strict=True):
        assert sorted([codes(accept), codes(revoke)]) == [
            [],
            ["INVITATION_NOT_PENDING"],
        ]
        accepted += codes(accept) == []
    await assert_figures(
        db,
        scene,
        Figures(
            total=20,
            available_to_assign=20 - accepted,
            pending_invite=0,
            in_use=accepted,
        ),
        len(requests),
        Counter(accepted=accepted, revoked=20 - accepted),
    )


async def test_a_licence_request_approved_twice_at_once_grows_the_total_once(
    db: Database, factory: Factory, cluster: RunningServer
) -> None:
    scene = await factory.scene(licences=5)
    quantities = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    request_ids = [await requested(factory.services, scene, q) for q in quantities]
    staff = factory.token_for(scene.staff)
    requests: list[Request] = [
        (
            APPROVE_LICENCE_REQUEST,
            {"input": {"licenceRequestId": to_global_id("LicenceRequest", pk)}},
            staff,
        )
        for pk in request_ids
        for _ in range(2)
    ]

    payloads = await Caller(cluster).all(requests)

    for first, second in zip(payloads[::2], payloads[1::2], strict=True):
        assert sorted([codes(first), codes(second)]) == [
            [],
            ["LICENCE_REQUEST_ALREADY_DECIDED"],
        ]
    await assert_figures(
        db,
        scene,
        Figures(total=60, available_to_assign=60, pending_invite=0, in_use=0),
        len(requests),
        Counter(tuple(codes(payload)) for payload in payloads),
    )


async def test_one_idempotency_key_sent_20_times_at_once_invites_once(
    db: Database, factory: Factory, cluster: RunningServer
) -> None:
    scene = await factory.scene(licences=5)
    variables = {
        "input": {
            "organisationId": scene.organisation_gid,
            "emails": ["ana@example.com", "bo@example.com"],
            "idempotencyKey": "invite-ana-and-bo",
        }
    }
    token = factory.token_for(scene.admin)
    requests: list[Request] = [(INVITE_LEARNERS, variables, token)] * 20

    payloads = await Caller(cluster).all(requests)

    assert all(payload == payloads[0] for payload in payloads)
    assert payloads[0] == {
        "results": [
            {"email": "ana@example.com", "status": "INVITED"},
            {"email": "bo@example.com", "status": "INVITED"},
        ],
        "userErrors": [],
    }
    await assert_figures(
        db,
        scene,
        Figures(total=5, available_to_assign=3, pending_invite=2, in_use=0),
        len(requests),
        Counter(tuple(codes(payload)) for payload in payloads),
    )
