"""Occurrences of one-off and recurring events: the core's recurrence helper on the event's stored fields.

An event stores its first start, `repeat_weeks` (0, 1 or 2) and `repeat_until` (the local date of the last
possible occurrence); `series` turns them into a `bot.recurrence.Recurrence`, so the times listed, reminded
and exported as an .ics RRULE all come from one rule and keep their local hour over daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from bot.recurrence import Recurrence
from cogs.events.storage import Event

DEFAULT_DURATION = timedelta(hours=2)  # for events without an end: reminders, feedback and "over"
MAX_SERIES_DAYS = 366


def series(first: datetime, zone: str, repeat_weeks: int, until: date | None) -> Recurrence:
    """The event's recurrence: weekly every `repeat_weeks` weeks through the local day `until`, or a one-off."""
    if not repeat_weeks or until is None:
        return Recurrence(first, zone)
    return Recurrence.preset(first, zone, "weekly", interval=repeat_weeks, until=until)


def recurrence(event: Event) -> Recurrence:
    until = date.fromisoformat(event.repeat_until) if event.repeat_until else None
    return series(event.starts_at, event.timezone, event.repeat_weeks, until)


@lru_cache(maxsize=1024)
def _starts(first: datetime, zone: str, repeat_weeks: int, until: date | None) -> tuple[datetime, ...]:
    # Cards, lists, reminders and feedback all ask again for the same few series: expand each once. Callers
    # pass `first` in UTC: equal local times on either side of the October change would share a cache key.
    return tuple(series(first, zone, repeat_weeks, until).all())


def duration(starts_at: datetime, ends_at: datetime | None) -> timedelta:
    return ends_at - starts_at if ends_at is not None else DEFAULT_DURATION


def occurrences(event: Event) -> list[datetime]:
    """Start times (UTC) of every occurrence, the first (exactly as given) included."""
    until = date.fromisoformat(event.repeat_until) if event.repeat_until else None
    return list(_starts(event.starts_at.astimezone(UTC), event.timezone, event.repeat_weeks, until))


def series_end(first: datetime, ends_at: datetime | None, zone: str, repeat_weeks: int,
               until: date | None) -> datetime:
    """When the last occurrence ends: after it the event is over."""
    return _starts(first.astimezone(UTC), zone, repeat_weeks, until)[-1] + duration(first, ends_at)


def next_occurrence(event: Event, now: datetime) -> tuple[int, datetime] | None:
    """The first occurrence that has not ended yet: (its index, its start)."""
    length = duration(event.starts_at, event.ends_at)
    for index, start in enumerate(occurrences(event)):
        if start + length > now and start not in event.skipped:
            return index, start
    return None


def remaining(event: Event, now: datetime) -> list[tuple[int, datetime]]:
    """The occurrences not yet ended nor cancelled alone: (index, start)."""
    length = duration(event.starts_at, event.ends_at)
    return [(i, s) for i, s in enumerate(occurrences(event)) if s + length > now and s not in event.skipped]


def occurrences_between(event: Event, since: datetime, until: datetime) -> list[tuple[int, datetime]]:
    return [(i, s) for i, s in enumerate(occurrences(event)) if since <= s < until and s not in event.skipped]
