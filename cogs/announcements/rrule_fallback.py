"""A stand-in for the core's `bot/recurrence.py` (branch m2-recur) until it is merged: the API subset the
announcements and meetings cogs use, on dateutil's rrule in local wall-clock time. Delete it at merge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du  # type: ignore[import-untyped,unused-ignore]

from bot.timeparse import local_to_utc

PRESETS = {"daily": ("DAILY", 1), "weekly": ("WEEKLY", 1), "biweekly": ("WEEKLY", 2), "monthly": ("MONTHLY", 1)}
MAX_YEARS = 100
_FREQS = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_ALLOWED = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}


class RuleError(ValueError):
    """A rule that is not accepted or never repeats."""


class Recurrence:
    def __init__(self, start: datetime, zone: ZoneInfo | str, rule: str | None = None) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.start = start.astimezone(UTC)
        self.wall = start.astimezone(self.zone).replace(tzinfo=None)
        self.rule = self._check(rule) if rule else None
        self._local = self._localised(self.rule) if self.rule else None
        if self.rule is not None and self.next_after(self.start) is None:
            raise RuleError(f"{self.rule} never repeats")

    @staticmethod
    def _check(text: str) -> str:
        body = text.strip().upper().removeprefix("RRULE:")
        parts = dict(part.partition("=")[::2] for part in filter(None, body.split(";")))
        if parts.get("FREQ") not in _FREQS or set(parts) - _ALLOWED:
            raise RuleError(f"{text!r}: FREQ DAILY, WEEKLY, MONTHLY or YEARLY and no BYHOUR etc.")
        try:
            du.rrulestr(body.replace("Z;", ";").removesuffix("Z"), dtstart=datetime(2000, 1, 1))
        except (ValueError, TypeError) as error:
            raise RuleError(f"{text!r}: {error}") from None
        return body

    @classmethod
    def preset(
        cls,
        start: datetime,
        zone: ZoneInfo | str,
        name: str | None,
        *,
        interval: int = 1,
        until: date | datetime | None = None,
        count: int | None = None,
    ) -> Recurrence:
        if name in (None, "none"):
            return cls(start, zone)
        freq, step = PRESETS[name]
        rule = f"FREQ={freq};INTERVAL={step * interval}"
        if count is not None:
            rule += f";COUNT={count}"
        if isinstance(until, datetime):
            rule += f";UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        elif until is not None:
            rule += f";UNTIL={until:%Y%m%d}T235959"
        return cls(start, zone, rule)

    @property
    def repeats(self) -> bool:
        return self.rule is not None

    def _localised(self, rule: str) -> str:
        """dateutil wants a naive UNTIL with a naive start: an instant becomes its local wall time."""
        until = rule.split("UNTIL=")[1].split(";")[0] if "UNTIL=" in rule else ""
        if not until.endswith("Z"):
            return rule
        local = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(self.zone)
        return rule.replace(until, f"{local:%Y%m%dT%H%M%S}")

    def _walls(self) -> du.rrule:
        assert self._local is not None
        return du.rrulestr(self._local, dtstart=self.wall, cache=False)

    def next_after(self, moment: datetime) -> datetime | None:
        if self.start > moment:
            return self.start
        if self.rule is None:
            return None
        horizon = self.wall + timedelta(days=366 * MAX_YEARS)
        wall = moment.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        for candidate in self._walls().xafter(max(wall, self.wall), inc=False):
            if candidate > horizon:
                return None
            at = local_to_utc(candidate, self.zone)
            if at > moment:
                return at
        return None

    def between(self, since: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
        found: list[datetime] = []
        moment = since - timedelta(microseconds=1)
        while len(found) < limit and (at := self.next_after(moment)) is not None and at < until:
            found.append(at)
            moment = at
        return found

    def to_rrule_text(self) -> str | None:
        return self.rule
