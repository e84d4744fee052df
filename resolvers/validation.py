"""Checks on caller input that several mutations share."""

import re

from resolvers.errors import ErrorCode, Rejected

# Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is the
# mail server's call; this only catches what cannot be an address.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200


def normalise_email(raw: str) -> str | None:
    """The address as stored (trimmed, lower case), or ``None`` if it is not one."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return None
    return email


def require_email(raw: str, field: str) -> str:
    email = normalise_email(raw)
    if email is None:
        raise Rejected.one(
            ErrorCode.INVALID_EMAIL, f"{raw!r} is not an email address.", field
        )
    return email


def require_name(raw: str, field: str) -> str:
    name = raw.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Rejected.one(
            ErrorCode.INVALID_NAME,
            f"A name must have between 1 and {MAX_NAME_LENGTH} characters.",
            field,
        )
    return name
