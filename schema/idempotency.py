"""Safe retries: every mutation takes an optional ``idempotencyKey``.

One field extension, applied to every mutation, does the whole job:

- a key already answered for this caller and this input replays the stored answer
  and does nothing again; the same key with another input is refused;
- otherwise the mutation runs with a claim on the key, which its first write
  transaction inserts (see :mod:`models.idempotency`), and the payload is stored
  as JSON once that transaction has committed;
- a concurrent request with the same key finds the claim taken, waits for the
  first one's answer and replays it.

Answers that wrote nothing (refused input, a dry run) are kept as well, so a
repeat gets the first answer even if the situation changed in between. A GraphQL
error (no valid token, an unexpected failure) keeps nothing: the mutation never
answered.
"""

import asyncio
import dataclasses
import hashlib
import importlib
import json
import logging
import time
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlmodel import SQLModel
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from models import Database, utcnow
from models import idempotency as keys
from models.idempotency import MAX_KEY_LENGTH, Claim, IdempotencyKeyTaken
from resolvers.context import Context
from resolvers.errors import ErrorCode
from schema.errors import UserError

logger = logging.getLogger(__name__)

# How long after claiming a key a request is expected to have stored its answer;
# a duplicate waits for it that long.
WAIT_FOR_ANSWER_SECONDS = 10.0
_POLL_SECONDS = 0.05
# Expired keys are deleted at most this often per process, after a stored answer.
_CLEANUP_EVERY_SECONDS = 60.0
_last_cleanup = 0.0
# Only types from these packages are rebuilt from stored answers.
_REPLAYABLE_PACKAGES = ("schema.", "resolvers.", "models.")


@strawberry.input(description="What every mutation input shares.")
class IdempotentInput:
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Client-made key, up to 255 characters, to retry safely: a "
        "repeat with the same key and input returns the first answer and changes "
        "nothing again. Kept for at least 24 hours.",
    )


class Idempotent(FieldExtension):
    """Answers a repeated mutation from its stored answer instead of redoing it."""

    def apply(self, field: StrawberryField) -> None:
        self.operation = field.python_name
        self.payload_type: type = field.type  # type: ignore[assignment]
        input_type = next(a.type for a in field.arguments if a.python_name == "input")
        if not (
            isinstance(input_type, type) and issubclass(input_type, IdempotentInput)
        ):
            raise TypeError(f"{field.python_name}: its input must be IdempotentInput")

    async def resolve_async(
        self,
        next_: Any,
        source: Any,
        info: strawberry.Info[Context, None],
        **kwargs: Any,
    ) -> Any:
        given = kwargs["input"]
        key = given.idempotency_key
        scope = _scope(info.context, given)
        if key is None or scope is None:
            # Without a caller, the resolver refuses the request by itself.
            return await next_(source, info, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            return self._refused(
                ErrorCode.INVALID_IDEMPOTENCY_KEY,
                f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.",
            )

        db = info.context.services.db
        request_hash = _request_hash(self.operation, given)
        stored = await _answer_of(db, scope, key)
        if stored is not None:
            return self._replay(stored, request_hash)

        claim = Claim(scope, key, self.operation, request_hash, utcnow())
        token = keys.current_claim.set(claim)
        try:
            payload = await next_(source, info, **kwargs)
        except IdempotencyKeyTaken:
            logger.info("idempotency_key_taken operation=%s", self.operation)
            stored = await _answer_of(db, scope, key)
            return self._replay(stored, request_hash)
        finally:
            keys.current_claim.reset(token)

        await _store(db, claim, freeze(payload))
        return payload

    def _replay(self, stored: keys.IdempotencyKey | None, request_hash: str) -> Any:
        if stored is not None and stored.request_hash != request_hash:
            return self._refused(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "This idempotency key was used for a different request; "
                "use a new key for new input.",
            )
        if stored is None or stored.response is None:
            return self._refused(
                ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
                "A request with this idempotency key is still being answered; "
                "retry with the same key shortly.",
            )
        return thaw(json.loads(stored.response))

    def _refused(self, code: ErrorCode, message: str) -> Any:
        error = UserError(field=["idempotencyKey"], message=message, code=code)
        return self.payload_type(user_errors=[error])


def _scope(context: Context, input: Any) -> str | None:
    """Whose key it is: the signed-in user, or the bearer of an invitation token."""
    if context.viewer is not None:
        return f"user:{context.viewer.user_id}"
    token = getattr(input, "token", None)
    if isinstance(token, str):
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    return None


def _request_hash(operation: str, input: Any) -> str:
    fields = dataclasses.asdict(input)
    fields.pop("idempotency_key")
    canonical = json.dumps([operation, fields], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _answer_of(db: Database, scope: str, key: str) -> keys.IdempotencyKey | None:
    """The stored key, once its answer is stored or no longer expected.

    A key claimed in the last WAIT_FOR_ANSWER_SECONDS without an answer yet belongs
    to a request still running (or storing its answer): wait for it. An older one
    lost its answer to a crash, and waiting would not bring it back.
    """
    deadline = time.monotonic() + WAIT_FOR_ANSWER_SECONDS
    while True:
        async with db.read_session() as session:
            stored = await keys.find(session, scope, key)
        if stored is None or stored.response is not None:
            return stored
        claimed_for = (utcnow() - stored.created_at).total_seconds()
        if claimed_for >= WAIT_FOR_ANSWER_SECONDS or time.monotonic() >= deadline:
            return stored
        await asyncio.sleep(_POLL_SECONDS)


async def _store(db: Database, claim: Claim, response: str) -> None:
    global _last_cleanup  # noqa: PLW0603 one timer for the whole process
    async with db.write() as session:
        if claim.committed and claim.claimed_id is not None:
            await keys.store_response(session, claim.claimed_id, response)
        else:
            await keys.insert_answered(session, claim, response)
        if time.monotonic() - _last_cleanup > _CLEANUP_EVERY_SECONDS:
            _last_cleanup = time.monotonic()
            forgotten = await keys.forget_expired(session, utcnow())
            if forgotten:
                logger.info("idempotency_keys_forgotten count=%s", forgotten)


def freeze(value: Any) -> str:
    """A payload as JSON that :func:`thaw` turns back into the same objects."""
    return json.dumps(_freeze(value), separators=(",", ":"))


def _freeze(value: Any) -> Any:
    if isinstance(value, Enum):
        return {"$enum": _name_of(type(value)), "value": value.value}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, SQLModel):
        # Table rows that payloads keep to build objects lazily (an invite batch's
        # invitations): stored column by column, rebuilt as the same row class.
        columns = {
            name: _freeze(getattr(value, name))
            for name in value.__table__.columns.keys()  # type: ignore[attr-defined]  # noqa: SIM118 a ColumnCollection iterates columns, not names
        }
        return {"$row": _name_of(type(value)), "fields": columns}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            field.name: _freeze(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.init
        }
        return {"$type": _name_of(type(value)), "fields": fields}
    if isinstance(value, list):
        return [_freeze(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in an idempotent answer")


def thaw(value: Any) -> Any:
    if isinstance(value, list):
        return [thaw(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$enum" in value:
        return _class_named(value["$enum"])(value["value"])
    fields = {name: thaw(item) for name, item in value["fields"].items()}
    if "$row" in value:
        return _class_named(value["$row"])(**fields)
    return _class_named(value["$type"])(**fields)


def _name_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class_named(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if not module.startswith(_REPLAYABLE_PACKAGES):
        raise ValueError(f"refusing to rebuild {name} from a stored answer")
    cls = getattr(importlib.import_module(module), qualname)
    strawberry_type = hasattr(cls, "__strawberry_definition__")
    row_or_enum = isinstance(cls, type) and issubclass(cls, Enum | SQLModel)
    if not (strawberry_type or row_or_enum):
        raise ValueError(f"refusing to rebuild {name} from a stored answer")
    return cls


def make_idempotent(mutation_type: type) -> None:
    """Give every mutation of ``mutation_type`` the idempotency extension."""
    for field in mutation_type.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        field.extensions.append(Idempotent())
