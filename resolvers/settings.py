"""Configuration read from the environment, once, at start-up."""

import os
from dataclasses import dataclass
from datetime import timedelta

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
            invitation_ttl=timedelta(
                seconds=_positive_int(env, "INVITATION_TTL_SECONDS", 14 * 24 * 3600)
            ),
            token_ttl=timedelta(seconds=_positive_int(env, "TOKEN_TTL_SECONDS", 43200)),
            graphiql=_flag(env, "GRAPHIQL", default=not production),
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
    raw = env.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")
