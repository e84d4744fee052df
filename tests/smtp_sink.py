"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in its own thread.

It keeps every message it accepts, and answers 550 to the addresses it is told to
refuse, as a mail server does for a mailbox that does not exist.
"""

import asyncio
import socket
import ssl
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

REFUSAL = "550 5.1.1 No such mailbox here"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Received:
    def __init__(self, recipients: list[str], content: bytes) -> None:
        self.recipients = recipients
        self.email: Message = message_from_bytes(content)

    @property
    def body(self) -> str:
        payload = self.email.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()


class _Handler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.sink.refuse:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any
    ) -> str:
        self.sink.received.append(Received(list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.refuse: set[str] = set()
        self.received: list[Received] = []
        self.logins: list[tuple[bytes, bytes]] = []
        # Options for aiosmtpd's server: STARTTLS, authentication.
        self.options: dict[str, Any] = {}
        self._controller: Controller | None = None

    def require_starttls_and_login(
        self, tls: ssl.SSLContext, user: str, password: str
    ) -> None:
        def authenticate(
            _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
        ) -> AuthResult:
            self.logins.append((data.login, data.password))
            ok = (data.login, data.password) == (user.encode(), password.encode())
            return AuthResult(success=ok, handled=False)

        self.options = {
            "tls_context": tls,
            "require_starttls": True,
            "auth_required": True,
            "authenticator": authenticate,
        }

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **self.options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> list[str]:
        return sorted(r for message in self.received for r in message.recipients)

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        """Wait until ``count`` messages arrived; a bound, not a measurement."""
        async with asyncio.timeout(within):
            # The server appends from its own thread, so no asyncio.Event here.
            while len(self.received) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
