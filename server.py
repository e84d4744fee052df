"""The licence service: the ASGI app and the operator's command line.

python server.py serve           run the GraphQL server
python server.py migrate         apply the migrations (creates the schema if new)
python server.py demo            load the demo organisation (idempotent)
python server.py add-staff EMAIL create a staff user
python server.py token EMAIL     print a bearer token for an admin or staff user
python server.py export-schema   write the GraphQL SDL to schema.graphql
python server.py send-mail       deliver the invitation emails that are due, then exit
"""

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import uvicorn
from sqlalchemy import select
from sqlmodel import col
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from models import Database, Organisation, Role, User, migrations, utcnow
from resolvers import invitations, organisations
from resolvers.auth import Viewer, issue_token
from resolvers.context import Services
from resolvers.mail import ConsoleMailer, Mailer, MemoryMailer
from resolvers.outbox import OutboxSender
from resolvers.settings import ConfigurationError, Settings
from resolvers.smtp import SmtpMailer
from schema import build_schema, sdl
from schema.http import GraphQLEndpoint

logger = logging.getLogger("server")

DEMO_ORGANISATION = "Demo Org"
DEMO_ADMIN = "admin@demo.example"
DEMO_STAFF = "staff@demo.example"
# The schema as a reviewed contract; tests/test_schema_file.py keeps it current.
SCHEMA_FILE = Path(__file__).parent / "schema.graphql"


def database_for(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


def create_app(
    settings: Settings | None = None,
    *,
    mailer: Mailer | None = None,
    db: Database | None = None,
) -> Starlette:
    settings = settings or Settings.from_env()
    database = db or database_for(settings)
    services = Services(
        db=database, settings=settings, mailer=mailer or _mail_backend(settings)
    )
    endpoint = GraphQLEndpoint(build_schema(settings), services)
    sender = OutboxSender(services, services.mailer, name=f"sender-{os.getpid()}")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # What exists at start-up (the schema, the ORM mappings, every module)
        # lives as long as the process. Frozen, the collector stops walking it on
        # each full collection: those walks were 50 ms pauses in the middle of
        # requests that allocate a lot, such as a batch of 1,000 invitations.
        gc.collect()
        gc.freeze()
        if settings.mail_sender:
            sender.start(settings.mail_poll_seconds)
        try:
            yield
        finally:
            await sender.stop()
            await database.dispose()

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
            Route("/accept", _accept_page, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app


def _mail_backend(settings: Settings) -> Mailer:
    if settings.smtp_url is None:
        return ConsoleMailer()
    return SmtpMailer(
        settings.smtp_url, settings.mail_from, ca_file=settings.smtp_ca_file
    )


async def _accept_page(_request: Request) -> Response:
    # A stand-in for the learner-facing frontend, so that demo links lead somewhere.
    return HTMLResponse(ACCEPT_PAGE)


ACCEPT_PAGE = """<!doctype html>
<meta charset="utf-8"><title>Accept your invitation</title>
<h1>Accept your invitation</h1>
<label>Your name <input id="name"></label> <button id="go">Accept</button>
<pre id="out"></pre>
<script>
document.getElementById("go").onclick = async () => {
  const token = new URLSearchParams(location.search).get("token");
  const response = await fetch("/graphql", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({
      query: "mutation($input: AcceptInvitationInput!) {"
        + " acceptInvitation(input: $input)"
        + " { learner { email name } userErrors { code message } } }",
      variables: {
        input: {token, name: document.getElementById("name").value || null},
      },
    }),
  });
  const answer = await response.json();
  document.getElementById("out").textContent = JSON.stringify(answer, null, 2);
};
</script>
"""


async def _user_by_email(db: Database, email: str) -> User | None:
    async with db.read_session() as session:
        return (
            await session.execute(select(User).where(col(User.email) == email))
        ).scalar_one_or_none()


async def add_staff(db: Database, email: str) -> User:
    existing = await _user_by_email(db, email)
    if existing is not None:
        return existing
    async with db.write() as session:
        user = User(email=email, role=Role.STAFF.value, created_at=utcnow())
        session.add(user)
    return user


def _viewer(user: User) -> Viewer:
    assert user.id is not None
    return Viewer(user.id, user.email, Role(user.role), user.organisation_id)


async def load_demo(settings: Settings, db: Database) -> None:
    """Create the demo organisation, its admin, staff, learners and invitations once."""
    async with db.read_session() as session:
        exists = await session.scalar(
            select(col(Organisation.id)).where(
                col(Organisation.name) == DEMO_ORGANISATION
            )
        )
    staff = await add_staff(db, DEMO_STAFF)
    if exists is not None:
        logger.info("demo_data already_loaded")
        return

    mailbox = MemoryMailer()
    services = Services(db=db, settings=settings, mailer=mailbox)
    created = await organisations.create_organisation(
        services, _viewer(staff), DEMO_ORGANISATION, 50
    )
    admin = await organisations.add_admin(
        services, _viewer(staff), created.organisation.id, DEMO_ADMIN
    )
    emails = [f"learner{n}@demo.example" for n in range(1, 9)]
    await invitations.invite_learners(
        services, _viewer(admin), created.organisation.id, emails, dry_run=False
    )
    # Deliver to a mailbox in memory, to read the links the demo learners accept.
    await OutboxSender(services, mailbox, name="demo").run_once()
    names = ["Ada", "Brian", "Chloé", "Dev", "Eun"]
    for message, name in zip(mailbox.sent, names, strict=False):
        token = parse_qs(urlparse(message.accept_link).query)["token"][0]
        await invitations.accept_invitation(services, token, name)
    # The links of the invitations left pending, to try accepting one by hand.
    await ConsoleMailer().send(mailbox.sent[len(names) :])
    logger.info("demo_data loaded organisation=%r", DEMO_ORGANISATION)


async def _command(args: argparse.Namespace, settings: Settings) -> int:
    db = database_for(settings)
    try:
        if args.command == "migrate":
            try:
                await migrations.upgrade(settings.database_url)
            except migrations.UnmigratedDatabase as error:
                print(f"cannot migrate: {error}", file=sys.stderr)
                return 1
            print("database schema is up to date")
        elif args.command == "demo":
            await migrations.upgrade(settings.database_url)
            await load_demo(settings, db)
            for email in (DEMO_ADMIN, DEMO_STAFF):
                user = await _user_by_email(db, email)
                assert user is not None
                token = issue_token(user, settings)
                print(f"{user.role.lower()} {email}: Authorization: Bearer {token}")
        elif args.command == "send-mail":
            services = Services(
                db=db, settings=settings, mailer=_mail_backend(settings)
            )
            sender = OutboxSender(services, services.mailer, name=f"cli-{os.getpid()}")
            attempted = await sender.run_once()
            print(f"attempted {attempted} invitation emails")
        elif args.command == "add-staff":
            user = await add_staff(db, args.email.strip().lower())
            print(f"staff user {user.email} (id {user.id})")
        elif args.command == "token":
            user = await _user_by_email(db, args.email.strip().lower())
            if user is None:
                print(f"no admin or staff user {args.email}", file=sys.stderr)
                return 1
            print(issue_token(user, settings))
        return 0
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The licence service.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the GraphQL server")
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("demo", help="load demo data and print bearer tokens")
    commands.add_parser("add-staff", help="create a staff user").add_argument("email")
    commands.add_parser("token", help="print a bearer token").add_argument("email")
    commands.add_parser("export-schema", help=f"write the GraphQL SDL to {SCHEMA_FILE}")
    commands.add_parser(
        "send-mail", help="deliver the invitation emails that are due, then exit"
    )
    args = parser.parse_args(argv)
    if args.command == "export-schema":
        SCHEMA_FILE.write_text(sdl())
        print(f"wrote {SCHEMA_FILE}")
        return 0

    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2

    if args.command == "serve":
        # WORKERS > 1 runs that many processes on one port; each builds its own app
        # (and database pool) from the environment.
        workers = int(os.environ.get("WORKERS", "1"))
        uvicorn.run(
            "server:create_app" if workers > 1 else create_app(settings),
            factory=workers > 1,
            workers=workers,
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8000")),
            log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        )
        return 0
    return asyncio.run(_command(args, settings))


if __name__ == "__main__":
    sys.exit(main())
