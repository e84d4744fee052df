"""How much one GraphQL request may ask for, read from the environment.

Every bound here is checked before any resolver runs (see ``schema/guards.py`` and
``schema/http.py``). Page size and emails per call can be lowered, not raised:
the resolvers keep their own hard bounds as a second line of defence.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from resolvers.environment import read_flag
from resolvers.pages import MAX_PAGE_SIZE

Number = TypeVar("Number", int, float)


class LimitError(ValueError):
    """An environment variable asks for a limit the service cannot honour."""


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_cost: int = 1000
    max_body_bytes: int = 1024 * 1024
    max_page_size: int = MAX_PAGE_SIZE
    max_emails: int = 1000
    operation_timeout: float = 10.0
    batching: bool = False
    max_batch: int = 10

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "Limits":
        limits = cls(
            max_depth=_read(env, "MAX_QUERY_DEPTH", int, cls.max_depth),
            max_aliases=_read(env, "MAX_ALIASES", int, cls.max_aliases),
            max_tokens=_read(env, "MAX_TOKENS", int, cls.max_tokens),
            max_cost=_read(env, "MAX_QUERY_COST", int, cls.max_cost),
            max_body_bytes=_read(env, "MAX_BODY_BYTES", int, cls.max_body_bytes),
            max_page_size=_read(env, "MAX_PAGE_SIZE", int, cls.max_page_size),
            max_emails=_read(env, "MAX_EMAILS_PER_INVITE", int, cls.max_emails),
            operation_timeout=_read(
                env, "OPERATION_TIMEOUT_SECONDS", float, cls.operation_timeout
            ),
            batching=_flag(env, "BATCHING", default=cls.batching),
            max_batch=_read(env, "MAX_BATCH_SIZE", int, cls.max_batch),
        )
        limits.check()
        return limits

    def check(self) -> None:
        # Imported here: invitations reads the settings, which read these limits.
        from resolvers.invitations import MAX_EMAILS_PER_CALL  # noqa: PLC0415

        if self.max_page_size > MAX_PAGE_SIZE:
            raise LimitError(
                f"MAX_PAGE_SIZE can be at most {MAX_PAGE_SIZE}, "
                f"got {self.max_page_size}"
            )
        if self.max_emails > MAX_EMAILS_PER_CALL:
            raise LimitError(
                f"MAX_EMAILS_PER_INVITE can be at most {MAX_EMAILS_PER_CALL}, "
                f"got {self.max_emails}"
            )


def _read(
    env: dict[str, str], name: str, kind: Callable[[str], Number], default: Number
) -> Number:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise LimitError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise LimitError(f"{name} must be positive, got {raw!r}")
    return value


def _flag(env: dict[str, str], name: str, *, default: bool) -> bool:
    return read_flag(env, name, default=default, error=LimitError)
