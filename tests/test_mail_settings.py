"""Mail settings, and SMTP with STARTTLS and a login against a real server."""

import shutil
import ssl
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from models import Clock, OutboxStatus
from resolvers.context import Services
from resolvers.outbox import OutboxSender
from resolvers.settings import ConfigurationError, Settings
from resolvers.smtp import SmtpMailer, SmtpServer
from tests.factories import Factory
from tests.outbox_helpers import MAIL_FROM, outbox_rows
from tests.smtp_sink import SmtpSink

SECRET = "x" * 40


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14d", timedelta(days=14)),
        ("36h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
        ("3600", timedelta(hours=1)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_invitation_ttl_reads_a_duration(raw: str, expected: timedelta) -> None:
    settings = Settings.from_env({"SECRET_KEY": SECRET, "INVITATION_TTL": raw})

    assert settings.invitation_ttl == expected


def test_invitation_ttl_defaults_to_fourteen_days() -> None:
    assert Settings.from_env({"SECRET_KEY": SECRET}).invitation_ttl == timedelta(14)


@pytest.mark.parametrize("raw", ["0d", "-3h", "two weeks", "", "14w"])
def test_a_nonsense_invitation_ttl_is_refused_at_start_up(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="INVITATION_TTL must be"):
        Settings.from_env({"SECRET_KEY": SECRET, "INVITATION_TTL": raw})


def test_mail_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": SECRET,
            "SMTP_URL": "smtp+starttls://mailer:p%40ss@mail.example.com:2525",
            "MAIL_FROM": "Licences <licences@example.com>",
            "MAIL_SENDER": "false",
            "MAIL_POLL_SECONDS": "7",
        }
    )

    assert settings.smtp_url == "smtp+starttls://mailer:p%40ss@mail.example.com:2525"
    assert settings.mail_from == "Licences <licences@example.com>"
    assert settings.mail_sender is False
    assert settings.mail_poll_seconds == 7
    assert SmtpServer.from_url(settings.smtp_url) == SmtpServer(
        hostname="mail.example.com",
        port=2525,
        use_tls=False,
        start_tls=True,
        username="mailer",
        password="p@ss",
    )


@pytest.mark.parametrize(
    ("url", "port", "use_tls", "start_tls"),
    [
        ("smtp://relay", 25, False, False),
        ("smtp+starttls://relay", 587, False, True),
        ("smtps://relay", 465, True, False),
    ],
)
def test_each_smtp_scheme_has_its_port_and_security(
    url: str, port: int, use_tls: bool, start_tls: bool
) -> None:
    server = SmtpServer.from_url(url)

    assert (server.port, server.use_tls, server.start_tls) == (port, use_tls, start_tls)
    assert server.username is None


def test_an_unknown_smtp_scheme_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="SMTP_URL must start with"):
        Settings.from_env({"SECRET_KEY": SECRET, "SMTP_URL": "http://mail:25"})


def _self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the tests need the openssl command"
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_starttls_and_login_from_the_url_deliver_the_invitation(
    services: Services,
    factory: Factory,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    clock: Clock,
) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    smtp_sink.require_starttls_and_login(tls, "mailer", "s3cret/+")
    smtp_sink.start()
    url = f"smtp+starttls://mailer:s3cret%2F%2B@127.0.0.1:{smtp_sink.port}"
    right = SmtpMailer(url, MAIL_FROM, ca_file=str(cert))
    wrong = SmtpMailer(url.replace("s3cret", "guess"), MAIL_FROM, ca_file=str(cert))
    scene = await factory.scene(licences=1)
    await factory.invite(scene, "ada@example.com")

    # A refused login is the service's own fault: the message waits, it does not
    # fail the invitation.
    assert await OutboxSender(services, wrong).run_once() == 1
    (row,) = await outbox_rows(services.db)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert row.last_error is not None
    assert row.last_error.startswith("535")
    clock.advance(timedelta(seconds=30))
    assert await OutboxSender(services, right).run_once() == 1

    assert smtp_sink.recipients() == ["ada@example.com"]
    # aiosmtplib tries each login mechanism the server offers before giving up.
    *refused, accepted = smtp_sink.logins
    assert set(refused) == {(b"mailer", b"guess/+")}
    assert accepted == (b"mailer", b"s3cret/+")
    (row,) = await outbox_rows(services.db)
    assert row.status == OutboxStatus.SENT
