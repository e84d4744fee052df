"""Configuration read from the environment, once, at start-up."""

import os
from dataclasses import dataclass, field
from datetime import timedelta

from resolvers.environment import read_flag
from resolvers.limits import LimitError, Limits

# Public on purpose, so that a laptop runs with no set-up; refused in production.
DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production"  # noqa: S105


class ConfigurationError(Exception):
    """The environment asks for something the service refuses to run with."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./licences.db"
    secret_key: str = DEVELOPMENT_SECRET
    app_env: str = "development"
    accept_url: str = "http://127.0.0.1:8000/accept?token={token}"
    invitation_ttl: timedelta = timedelta(days=14)
    token_ttl: timedelta = timedelta(hours=12)
    graphiql: bool = True
    limits: Limits = field(default_factory=Limits)
    # Unset: invitation emails go to the server log (the console backend).
    smtp_url: str | None = None
    smtp_ca_file: str | None = None
    mail_from: str = "Licences <no-reply@licences.invalid>"
    # Whether this process runs the outbox sender; any number of processes may.
    mail_sender: bool = True
    mail_poll_seconds: float = 2.0
    # Connections each server process keeps open to PostgreSQL, and how many more
    # it may open under a burst (ignored for SQLite).
    db_pool_size: int = 10
    db_max_overflow: int = 10

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        app_env = env.get("APP_ENV", "development")
        production = app_env == "production"
        accept_url = env.get("ACCEPT_URL", cls.accept_url.split("?")[0])
        settings = cls(
            database_url=env.get("DATABASE_URL", cls.database_url),
            secret_key=env.get("SECRET_KEY", DEVELOPMENT_SECRET),
            app_env=app_env,
            accept_url=f"{accept_url}?token={{token}}",
            invitation_ttl=_invitation_ttl(env),
            token_ttl=timedelta(seconds=_positive_int(env, "TOKEN_TTL_SECONDS", 43200)),
            graphiql=_flag(env, "GRAPHIQL", default=not production),
            limits=_limits(env),
            smtp_url=env.get("SMTP_URL") or None,
            smtp_ca_file=env.get("SMTP_CA_FILE") or None,
            mail_from=env.get("MAIL_FROM", cls.mail_from),
            mail_sender=_flag(env, "MAIL_SENDER", default=True),
            mail_poll_seconds=_positive_int(env, "MAIL_POLL_SECONDS", 2),
            db_pool_size=_positive_int(env, "DB_POOL_SIZE", cls.db_pool_size),
            db_max_overflow=_positive_int(env, "DB_MAX_OVERFLOW", cls.db_max_overflow),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.production and self.secret_key == DEVELOPMENT_SECRET:
            raise ConfigurationError(
                "APP_ENV=production needs SECRET_KEY: the development secret is public"
            )
        if len(self.secret_key) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters long")
        if self.smtp_url is not None and not self.smtp_url.startswith(
            ("smtp://", "smtp+starttls://", "smtps://")
        ):
            raise ConfigurationError(
                "SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
            )


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _invitation_ttl(env: dict[str, str]) -> timedelta:
    """``INVITATION_TTL`` as ``14d``, ``36h``, ``90m`` or seconds; 14 days by default.

    The older ``INVITATION_TTL_SECONDS`` is still read when the new name is unset.
    """
    raw = env.get("INVITATION_TTL")
    if raw is None:
        return timedelta(
            seconds=_positive_int(env, "INVITATION_TTL_SECONDS", 14 * 24 * 3600)
        )
    text = raw.strip().lower()
    unit = _DURATION_UNITS.get(text[-1:]) if text else None
    number = text[:-1] if unit is not None else text
    if not number.isdigit() or int(number) <= 0:
        raise ConfigurationError(
            f"INVITATION_TTL must be a positive duration like 14d, 36h, 90m or"
            f" 3600, got {raw!r}"
        )
    return timedelta(seconds=int(number) * (unit or 1))


def _limits(env: dict[str, str]) -> Limits:
    try:
        return Limits.from_env(env)
    except LimitError as error:
        raise ConfigurationError(str(error)) from None


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a whole number, got {raw!r}"
        ) from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, got {value}")
    return value


def _flag(env: dict[str, str], name: str, *, default: bool) -> bool:
    return read_flag(env, name, default=default, error=ConfigurationError)
