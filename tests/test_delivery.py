"""Invitation emails through the outbox to a real SMTP server (aiosmtpd)."""

import asyncio
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, select
from sqlmodel import col

from models import (
    Clock,
    Database,
    LicenceEvent,
    LicenceEventKind,
    OutboxStatus,
)
from resolvers.context import Services
from resolvers.mail import DeliveryFailure, MemoryMailer
from resolvers.outbox import LEASE, OutboxSender
from resolvers.settings import Settings
from resolvers.smtp import SmtpMailer
from server import create_app
from tests.factories import Factory, Scene, token_of
from tests.outbox_helpers import MAIL_FROM, outbox_rows, smtp_sender
from tests.recount import kept, recount
from tests.smtp_sink import REFUSAL, SmtpSink

SERVER = Path(__file__).parent.parent / "server.py"

INVITE_LEARNERS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    invitations { email status deliveryStatus lastSentAt failureReason }
    userErrors { code }
  }
}
"""

ACCEPT_INVITATION = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    learner { email name }
    userErrors { code }
  }
}
"""

REVOKE_INVITATION = """
mutation Revoke($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { userErrors { code } }
}
"""

INVITATIONS = """
query Invitations($id: ID!, $status: InvitationStatus) {
  organisation(id: $id) {
    name
    licenceSummary { total availableToAssign pendingInvite inUse }
    invitations(first: 100, status: $status) {
      nodes { id email status deliveryStatus lastSentAt failureReason }
    }
  }
}
"""


async def invite(factory: Factory, scene: Scene, *emails: str) -> None:
    answer = await factory.execute(
        INVITE_LEARNERS,
        scene.admin,
        {"input": {"organisationId": scene.organisation_gid, "emails": list(emails)}},
    )
    assert answer.errors is None
    assert answer.data is not None
    assert answer.data["inviteLearners"]["userErrors"] == []


async def organisation(
    factory: Factory, scene: Scene, status: str | None = None
) -> dict[str, Any]:
    answer = await factory.execute(
        INVITATIONS, scene.admin, {"id": scene.organisation_gid, "status": status}
    )
    assert answer.errors is None
    assert answer.data is not None
    found: dict[str, Any] = answer.data["organisation"]
    return found


async def test_the_email_arrives_with_a_link_that_accepts_the_invitation(
    services: Services, factory: Factory, smtp_sink: SmtpSink, clock: Clock
) -> None:
    smtp_sink.start()
    scene = await factory.scene(licences=3)
    await invite(factory, scene, "ada@example.com")

    attempted = await smtp_sender(services, smtp_sink).run_once()

    assert attempted == 1
    (received,) = smtp_sink.received
    assert received.recipients == ["ada@example.com"]
    assert received.email["To"] == "ada@example.com"
    assert received.email["From"] == MAIL_FROM
    name = (await organisation(factory, scene))["name"]
    assert received.email["Subject"] == f"You are invited to learn with {name}"
    links = re.findall(r"http://\S+", received.body)
    assert len(links) == 1
    assert links[0].startswith("http://127.0.0.1:8000/accept?token=")
    (listed,) = (await organisation(factory, scene))["invitations"]["nodes"]
    assert listed["status"] == "PENDING"
    assert listed["deliveryStatus"] == "SENT"
    assert listed["lastSentAt"] == "2030-01-06T09:00:00+00:00"
    assert listed["failureReason"] is None

    accepted = await factory.execute(
        ACCEPT_INVITATION, None, {"input": {"token": token_of(links[0]), "name": "Ada"}}
    )

    assert accepted.data == {
        "acceptInvitation": {
            "learner": {"email": "ada@example.com", "name": "Ada"},
            "userErrors": [],
        }
    }
    (row,) = await outbox_rows(services.db)
    # Once sent, the database no longer holds the link, only the token's hash.
    assert (row.status, row.accept_link, row.attempts) == (OutboxStatus.SENT, "", 1)


async def test_a_mail_server_down_for_a_while_loses_nothing(
    services: Services, factory: Factory, smtp_sink: SmtpSink, clock: Clock
) -> None:
    scene = await factory.scene(licences=5)
    emails = ["a@example.com", "b@example.com", "c@example.com"]
    await invite(factory, scene, *emails)
    sender = smtp_sender(services, smtp_sink)
    start = clock.now()

    assert await sender.run_once() == 3

    rows = await outbox_rows(services.db)
    assert [row.status for row in rows] == [OutboxStatus.QUEUED] * 3
    assert [row.attempts for row in rows] == [1, 1, 1]
    assert [row.next_attempt_at for row in rows] == [start + timedelta(seconds=30)] * 3
    assert all(
        row.last_error is not None
        and row.last_error.startswith(
            f"Error connecting to 127.0.0.1 on port {smtp_sink.port}"
        )
        for row in rows
    )
    seen = await organisation(factory, scene)
    assert [n["deliveryStatus"] for n in seen["invitations"]["nodes"]] == ["QUEUED"] * 3
    assert seen["licenceSummary"]["pendingInvite"] == 3

    # Not due before the backoff has passed; due, and failing again, once it has.
    clock.advance(timedelta(seconds=29))
    assert await sender.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 3
    rows = await outbox_rows(services.db)
    assert [row.attempts for row in rows] == [2, 2, 2]
    assert [row.next_attempt_at for row in rows] == [
        clock.now() + timedelta(seconds=60)
    ] * 3

    smtp_sink.start()
    clock.advance(timedelta(seconds=60))
    assert await sender.run_once() == 3
    assert await sender.run_once() == 0

    assert smtp_sink.recipients() == emails
    assert len(smtp_sink.received) == 3
    seen = await organisation(factory, scene)
    assert [n["deliveryStatus"] for n in seen["invitations"]["nodes"]] == ["SENT"] * 3
    assert [n["status"] for n in seen["invitations"]["nodes"]] == ["PENDING"] * 3
    assert seen["licenceSummary"]["pendingInvite"] == 3


async def test_a_refused_address_fails_its_invitation_and_frees_the_licence(
    db: Database,
    services: Services,
    factory: Factory,
    smtp_sink: SmtpSink,
    clock: Clock,
) -> None:
    smtp_sink.refuse.add("nobody@example.com")
    smtp_sink.start()
    scene = await factory.scene(licences=4)
    await invite(factory, scene, "ada@example.com", "nobody@example.com")

    assert await smtp_sender(services, smtp_sink).run_once() == 2

    assert smtp_sink.recipients() == ["ada@example.com"]
    seen = await organisation(factory, scene)
    assert seen["licenceSummary"] == {
        "total": 4,
        "availableToAssign": 3,
        "pendingInvite": 1,
        "inUse": 0,
    }
    failed = await organisation(factory, scene, status="FAILED")
    (node,) = failed["invitations"]["nodes"]
    assert node["email"] == "nobody@example.com"
    assert node["status"] == "FAILED"
    assert node["deliveryStatus"] == "FAILED"
    assert node["failureReason"] == REFUSAL
    assert node["lastSentAt"] is None
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )
    async with db.read_session() as session:
        kinds = list(
            await session.scalars(
                select(col(LicenceEvent.kind)).where(
                    col(LicenceEvent.organisation_id) == scene.organisation_id
                )
            )
        )
    assert kinds[-1] == LicenceEventKind.INVITATION_FAILED

    # The freed licence can be handed out again, to a corrected address.
    await invite(factory, scene, "nobody.corrected@example.com")


async def test_two_senders_at_once_deliver_each_message_exactly_once(
    database_url: str,
    settings: Settings,
    factory: Factory,
    smtp_sink: SmtpSink,
) -> None:
    smtp_sink.start()
    scene = await factory.scene(licences=40)
    emails = [f"learner{n:02}@example.com" for n in range(40)]
    await invite(factory, scene, *emails)
    # Two engines with their own connections, as two server processes would have.
    first_db, second_db = Database(database_url), Database(database_url)
    senders = [
        OutboxSender(
            Services(own_db, settings, MemoryMailer()),
            SmtpMailer(smtp_sink.url, MAIL_FROM),
            batch_size=5,
            name=f"sender-{n}",
        )
        for n, own_db in enumerate([first_db, second_db])
    ]

    try:
        attempted = await asyncio.gather(*(sender.run_once() for sender in senders))
    finally:
        await first_db.dispose()
        await second_db.dispose()

    assert sum(attempted) == 40
    assert smtp_sink.recipients() == emails
    assert len(smtp_sink.received) == 40


async def test_a_claim_whose_sender_died_is_taken_over_when_its_lease_ends(
    services: Services, factory: Factory, smtp_sink: SmtpSink, clock: Clock
) -> None:
    smtp_sink.start()
    scene = await factory.scene(licences=2)
    await invite(factory, scene, "ada@example.com")
    crashed, survivor = (
        smtp_sender(services, smtp_sink),
        smtp_sender(services, smtp_sink),
    )
    claim = await crashed.claim()
    assert len(claim.messages) == 1

    assert await survivor.run_once() == 0
    clock.advance(LEASE)
    assert await survivor.run_once() == 1
    # The first sender comes back and reports a refusal: too late, it no longer
    # holds the message, and the delivery stands.
    await crashed.record(claim, [DeliveryFailure(REFUSAL, permanent=True)])

    assert smtp_sink.recipients() == ["ada@example.com"]
    (row,) = await outbox_rows(services.db)
    assert (row.status, row.attempts, row.claim_id) == (OutboxStatus.SENT, 2, None)
    (node,) = (await organisation(factory, scene))["invitations"]["nodes"]
    assert (node["status"], node["deliveryStatus"]) == ("PENDING", "SENT")


async def test_a_revoked_invitation_is_not_sent(
    services: Services, factory: Factory, mailer: MemoryMailer
) -> None:
    scene = await factory.scene(licences=2)
    await invite(factory, scene, "ada@example.com", "bo@example.com")
    nodes = (await organisation(factory, scene))["invitations"]["nodes"]
    revoked = await factory.execute(
        REVOKE_INVITATION, scene.admin, {"input": {"invitationId": nodes[0]["id"]}}
    )
    assert revoked.data == {"revokeInvitation": {"userErrors": []}}

    # One message a batch: a batch with nothing left to send does not end the round.
    assert await OutboxSender(services, mailer, batch_size=1).run_once() == 1

    assert [message.to for message in mailer.sent] == ["bo@example.com"]
    rows = await outbox_rows(services.db)
    assert [(row.status, row.accept_link) for row in rows] == [
        (OutboxStatus.CANCELLED, ""),
        (OutboxStatus.SENT, ""),
    ]


async def test_the_server_sends_in_the_background_when_smtp_url_is_set(
    db: Database, settings: Settings, factory: Factory, smtp_sink: SmtpSink
) -> None:
    smtp_sink.start()
    scene = await factory.scene(licences=2)
    configured = Settings(
        database_url=settings.database_url,
        secret_key=settings.secret_key,
        smtp_url=smtp_sink.url,
        mail_from=MAIL_FROM,
        mail_poll_seconds=60.0,
    )
    app = create_app(configured, db=db)
    headers = {"Authorization": f"Bearer {factory.token_for(scene.admin)}"}
    body = {
        "query": INVITE_LEARNERS,
        "variables": {
            "input": {
                "organisationId": scene.organisation_gid,
                "emails": ["ada@example.com"],
            }
        },
    }

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post("/graphql", json=body, headers=headers)
            assert response.status_code == 200
            # The request rang the sender's bell: no need to wait for its poll.
            await smtp_sink.wait_for(1)

    assert smtp_sink.recipients() == ["ada@example.com"]
    (row,) = await outbox_rows(db)
    assert row.status == OutboxStatus.SENT


async def test_two_sender_processes_deliver_each_message_exactly_once(
    database_url: str, settings: Settings, factory: Factory, smtp_sink: SmtpSink
) -> None:
    smtp_sink.start()
    scene = await factory.scene(licences=300)
    emails = [f"learner{n:03}@example.com" for n in range(300)]
    await invite(factory, scene, *emails)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": settings.secret_key,
        "SMTP_URL": smtp_sink.url,
        "MAIL_FROM": MAIL_FROM,
        "LOG_LEVEL": "WARNING",
    }

    async def send_mail() -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SERVER),
            "send-mail",
            env=environment,
            stdout=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(120):
            output, _ = await process.communicate()
        assert process.returncode == 0
        return output.decode().strip()

    outputs = await asyncio.gather(send_mail(), send_mail())

    counts = [re.fullmatch(r"attempted (\d+) invitation emails", o) for o in outputs]
    attempted = [int(count[1]) for count in counts if count is not None]
    assert len(attempted) == 2
    assert sum(attempted) == 300
    assert smtp_sink.recipients() == emails
    assert len(smtp_sink.received) == 300


async def test_a_batch_queues_its_emails_in_the_same_statements_whatever_its_size(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=1000)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    async def statements_to_invite(emails: list[str]) -> list[str]:
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            await invite(factory, scene, *emails)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        return list(statements)

    one = await statements_to_invite(["single@example.com"])
    many = await statements_to_invite([f"p{n}@example.com" for n in range(500)])

    assert len(many) == len(one)
    assert sum("outbox_message" in sql for sql in many) == 1
    assert len(await outbox_rows(db)) == 501


async def test_settled_messages_are_deleted_after_a_week(
    services: Services, factory: Factory, mailer: MemoryMailer, clock: Clock
) -> None:
    scene = await factory.scene(licences=3)
    await invite(factory, scene, "ada@example.com")
    sender = OutboxSender(services, mailer)
    await sender.run_once()
    clock.advance(timedelta(days=6))
    await invite(factory, scene, "bo@example.com")

    clock.advance(timedelta(days=1, seconds=1))
    await sender.run_once()

    # Ada's message went a week ago and is gone; the invitation keeps the record.
    assert [row.recipient for row in await outbox_rows(services.db)] == [
        "bo@example.com"
    ]
    nodes = (await organisation(factory, scene))["invitations"]["nodes"]
    assert [(n["email"], n["deliveryStatus"]) for n in nodes] == [
        ("ada@example.com", "SENT"),
        ("bo@example.com", "SENT"),
    ]
