"""The bot's idea of now: real time plus an offset that `:wait` moves, or a frozen time for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._frozen = frozen_at
        self._offset = timedelta()

    def now(self) -> datetime:
        base = self._frozen if self._frozen is not None else datetime.now(UTC)
        return base + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    def pin(self, moment: datetime) -> None:
        """Make now() equal `moment` (keeps running from there when the clock is real)."""
        self._offset += moment - self.now()

    def to_real(self, moment: datetime) -> datetime:
        """The real wall-clock time at which the bot's clock shows `moment` (for APScheduler)."""
        if self._frozen is not None:
            # Frozen time never reaches anything: only advance() does, so wake far in the future.
            return datetime.now(UTC) + timedelta(days=3650)
        return moment - self._offset
