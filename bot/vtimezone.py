"""A VTIMEZONE built from zoneinfo's own transitions, each dated in the offset in force before it.

RFC 5545 3.6.5: a STANDARD/DAYLIGHT DTSTART is local time in its TZOFFSETFROM. icalendar 7.3's
`Timezone.from_tzinfo` (used by `Calendar.add_missing_timezones`) dates the spring change in the new offset
(`DTSTART:20270328T040000` with `TZOFFSETFROM:+0200` is 02:00Z; the change is at 01:00Z), so a strict reader
placed events near the change an hour off. Here the instants come from zoneinfo in UTC, so none can be off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

_STEP = timedelta(hours=1)  # every zone's offset changes on whole hours or halves; refined to the minute below


def _transitions(zone: ZoneInfo, first: datetime, last: datetime) -> list[datetime]:
    """UTC instants at which `zone`'s offset changes within [first, last]."""
    found: list[datetime] = []
    at, offset = first, first.astimezone(zone).utcoffset()
    while at < last:
        step = at + _STEP
        if step.astimezone(zone).utcoffset() != offset:
            low, high = at, step  # the change is in (low, high]: find its minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    break
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high)
            offset = high.astimezone(zone).utcoffset()
        at = step
    return found


def vtimezone(tzid: str, first_day: date, last_day: date) -> icalendar.Timezone:
    zone = ZoneInfo(tzid)
    first = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    last = datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC)
    component = icalendar.Timezone()
    component.add("tzid", tzid)
    starts = [first, *_transitions(zone, first, last)]
    for index, instant in enumerate(starts):
        local = instant.astimezone(zone)
        before = (instant - timedelta(seconds=1)).astimezone(zone).utcoffset() if index else local.utcoffset()
        assert before is not None and local.utcoffset() is not None
        part = icalendar.TimezoneDaylight() if local.dst() else icalendar.TimezoneStandard()
        # Local time in the offset in force before the change (RFC 5545 3.6.5).
        part.add("dtstart", (instant + before).replace(tzinfo=None))
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", local.utcoffset())
        part.add("tzname", local.tzname() or tzid)
        component.add_component(part)
    return component
