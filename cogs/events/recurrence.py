"""Occurrences of one-off and recurring events, computed from local wall-clock time.

A weekly event at 18:00 Helsinki time stays at 18:00 when daylight-saving time starts or ends: the series
is stepped in local time (naive wall clock + whole weeks) and each occurrence converted to UTC on its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.timeparse import local_to_utc
from cogs.events.storage import Event

DEFAULT_DURATION = timedelta(hours=2)  # for events without an end: reminders, feedback and "over"
MAX_SERIES_DAYS = 366


def occurrence_starts(first: datetime, zone: str, repeat_weeks: int, until: date | None) -> list[datetime]:
    """Start times (UTC) of every occurrence, the first included."""
    if not repeat_weeks or until is None:
        return [first]
    tz = ZoneInfo(zone)
    step = timedelta(weeks=repeat_weeks)
    wall = first.astimezone(tz).replace(tzinfo=None)
    if wall.date() > until:
        return []
    starts = [first]  # the instant the organiser gave; the rest keep its local hour
    wall += step
    while wall.date() <= until:
        starts.append(local_to_utc(wall, tz))
        wall += step
    return starts


def duration(starts_at: datetime, ends_at: datetime | None) -> timedelta:
    return ends_at - starts_at if ends_at is not None else DEFAULT_DURATION


def occurrences(event: Event) -> list[datetime]:
    until = date.fromisoformat(event.repeat_until) if event.repeat_until else None
    return occurrence_starts(event.starts_at, event.timezone, event.repeat_weeks, until)


def series_end(first: datetime, ends_at: datetime | None, zone: str, repeat_weeks: int,
               until: date | None) -> datetime:
    """When the last occurrence ends: after it the event is over."""
    return occurrence_starts(first, zone, repeat_weeks, until)[-1] + duration(first, ends_at)


def next_occurrence(event: Event, now: datetime) -> tuple[int, datetime] | None:
    """The first occurrence that has not ended yet: (its index, its start)."""
    length = duration(event.starts_at, event.ends_at)
    for index, start in enumerate(occurrences(event)):
        if start + length > now:
            return index, start
    return None


def occurrences_between(event: Event, since: datetime, until: datetime) -> list[tuple[int, datetime]]:
    return [(i, s) for i, s in enumerate(occurrences(event)) if since <= s < until]
