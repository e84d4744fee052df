"""The service's one source of the current time.

Everything that stores or compares a timestamp asks :data:`clock`, never
``datetime.now`` directly, so that tests can stand at any instant (an invitation's
expiry, a delivery retry coming due) without sleeping.
"""

from datetime import UTC, datetime, timedelta


class Clock:
    """The wall clock in UTC, unless a test has set it to a fixed instant."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def set(self, instant: datetime) -> None:
        """Stop the clock at ``instant`` (timezone-aware)."""
        if instant.tzinfo is None:
            raise ValueError("the clock keeps UTC: give a timezone-aware instant")
        self._fixed = instant

    def advance(self, delta: timedelta) -> datetime:
        """Move a stopped clock on by ``delta``; returns the new instant."""
        self.set(self.now() + delta)
        assert self._fixed is not None
        return self._fixed

    def release(self) -> None:
        """Follow the wall clock again."""
        self._fixed = None


clock = Clock()
