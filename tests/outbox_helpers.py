"""Looking into the outbox, and senders that deliver to the test SMTP server."""

from sqlalchemy import select
from sqlmodel import col

from models import Database, OutboxMessage
from resolvers.context import Services
from resolvers.outbox import OutboxSender
from resolvers.smtp import SmtpMailer
from tests.smtp_sink import SmtpSink

MAIL_FROM = "Licences <no-reply@example.com>"


def smtp_sender(services: Services, sink: SmtpSink, name: str = "test") -> OutboxSender:
    return OutboxSender(services, SmtpMailer(sink.url, MAIL_FROM), name=name)


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    async with db.read_session() as session:
        statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list(await session.scalars(statement))
