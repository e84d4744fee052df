"""Expected failures: a broken rule, reported to the caller as data."""

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes for every rule a caller can break. Clients switch on these."""

    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_EMAIL = "INVALID_EMAIL"
    TOO_MANY_EMAILS = "TOO_MANY_EMAILS"
    NO_EMAILS = "NO_EMAILS"
    NOT_ENOUGH_LICENCES = "NOT_ENOUGH_LICENCES"
    INVITATION_NOT_PENDING = "INVITATION_NOT_PENDING"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    # Why an invitation cannot be resent; an expired one gets INVITATION_EXPIRED.
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
    INVITATION_REVOKED = "INVITATION_REVOKED"
    INVITATION_FAILED = "INVITATION_FAILED"
    INVALID_INVITATION_TOKEN = "INVALID_INVITATION_TOKEN"  # noqa: S105 an error code
    LEARNER_NOT_ACTIVE = "LEARNER_NOT_ACTIVE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    NOTE_TOO_LONG = "NOTE_TOO_LONG"
    INVALID_NAME = "INVALID_NAME"
    LICENCE_REQUEST_ALREADY_DECIDED = "LICENCE_REQUEST_ALREADY_DECIDED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_IDEMPOTENCY_KEY = "INVALID_IDEMPOTENCY_KEY"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"


@dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    message: str
    field: list[str] | None = None


@dataclass
class Rejected(Exception):
    """Raised inside a write transaction to roll it back and report ``problems``.

    ``outcome`` carries what the caller should still see (for example the per-email
    results of an invite batch that was refused as a whole).
    """

    problems: list[Problem]
    outcome: object = field(default=None)

    @classmethod
    def one(cls, code: ErrorCode, message: str, *fields: str) -> "Rejected":
        return cls([Problem(code, message, list(fields) or None)])
