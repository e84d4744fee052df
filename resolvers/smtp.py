"""Delivery over SMTP with aiosmtplib.

``SMTP_URL`` names the server: ``smtp://host:port`` talks plain SMTP (a local relay),
``smtp+starttls://`` upgrades the connection with STARTTLS before anything else is
said and refuses to go on without it, ``smtps://`` speaks TLS from the first byte.
A user name and password in the URL (``smtp+starttls://user:secret@host:587``,
percent-encoded) log in; ``SMTP_CA_FILE`` adds certificates to trust.

Answers are sorted into what trying again may fix and what it cannot: a refused
connection or a 4xx answer is temporary, a 5xx answer to a message is permanent.
A 5xx answer while connecting or logging in counts as temporary: it is a problem
with the service's own settings, and must not fail every invitation in the queue.
"""

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from resolvers.mail import DeliveryFailure, InvitationMessage
from resolvers.settings import ConfigurationError

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_MAX_REASON = 500


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ConfigurationError(
                "SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
            )
        if not parts.hostname:
            raise ConfigurationError("SMTP_URL names no host")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ConfigurationError("SMTP_URL has an invalid port") from None
        return cls(
            hostname=parts.hostname,
            port=port,
            use_tls=parts.scheme == "smtps",
            start_tls=parts.scheme == "smtp+starttls",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpMailer:
    """Sends each batch over one SMTP connection."""

    def __init__(
        self,
        url: str,
        mail_from: str,
        *,
        timeout: float = 30.0,
        ca_file: str | None = None,
    ) -> None:
        self.server = SmtpServer.from_url(url)
        self.mail_from = mail_from
        self.timeout = timeout
        # Certificates to trust besides the system's, for a relay with a private CA.
        self.ca_file = ca_file
        self._domain = mail_from.rpartition("@")[2].strip("> ") or "localhost"

    async def send(
        self, messages: list[InvitationMessage]
    ) -> list[DeliveryFailure | None]:
        client = aiosmtplib.SMTP(
            hostname=self.server.hostname,
            port=self.server.port,
            username=self.server.username,
            password=self.server.password,
            use_tls=self.server.use_tls,
            start_tls=self.server.start_tls,
            timeout=self.timeout,
            cert_bundle=self.ca_file,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            logger.warning(
                "smtp_unreachable host=%s port=%s error=%r",
                self.server.hostname,
                self.server.port,
                str(error),
            )
            failure = DeliveryFailure(_reason(error), permanent=False)
            return [failure] * len(messages)

        answers: list[DeliveryFailure | None] = []
        try:
            for message in messages:
                answers.append(await self._send_one(client, message))
                if not client.is_connected:
                    break
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        lost = DeliveryFailure("the connection closed mid-batch", permanent=False)
        return answers + [lost] * (len(messages) - len(answers))

    async def _send_one(
        self, client: aiosmtplib.SMTP, message: InvitationMessage
    ) -> DeliveryFailure | None:
        try:
            await client.send_message(self._email(message))
        except aiosmtplib.SMTPRecipientsRefused as refused:
            first = refused.recipients[0]
            return DeliveryFailure(
                f"{first.code} {first.message}"[:_MAX_REASON],
                permanent=first.code >= 500,
            )
        except aiosmtplib.SMTPResponseException as error:
            return DeliveryFailure(_reason(error), permanent=error.code >= 500)
        except (aiosmtplib.SMTPException, OSError) as error:
            return DeliveryFailure(_reason(error), permanent=False)
        return None

    def _email(self, message: InvitationMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.mail_from
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        # An explicit domain: the default looks the host's name up in DNS.
        email["Message-ID"] = make_msgid(domain=self._domain)
        email.set_content(message.body)
        return email


def _reason(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"[:_MAX_REASON]
    return (str(error) or type(error).__name__)[:_MAX_REASON]
