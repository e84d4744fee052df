"""Bearer tokens: signed JWTs naming the user, their role and organisation."""

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from models import Role, User
from resolvers.settings import Settings

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The authenticated caller."""

    user_id: int
    email: str
    role: Role
    organisation_id: int | None

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF

    def can_read(self, organisation_id: int) -> bool:
        return self.is_staff or self.organisation_id == organisation_id

    def administers(self, organisation_id: int) -> bool:
        return self.role is Role.ADMIN and self.organisation_id == organisation_id


class InvalidToken(Exception):
    pass


def issue_token(user: User, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "email": user.email,
        "role": user.role,
        "org": user.organisation_id,
        "iat": now,
        "exp": now + settings.token_ttl,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)


def read_token(token: str, settings: Settings) -> Viewer:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp", "role"]},
        )
        organisation_id = claims.get("org")
        return Viewer(
            user_id=int(claims["sub"]),
            email=str(claims.get("email", "")),
            role=Role(claims["role"]),
            organisation_id=None if organisation_id is None else int(organisation_id),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise InvalidToken(str(error)) from error
