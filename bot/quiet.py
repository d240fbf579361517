"""Quiet hours: a person's window (e.g. 22-08 local time) in which non-urgent DMs wait."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# "22-8", "22:30-7", "klo 22–8" (Finnish writes "klo" and an en dash), "22.00 - klo 8.00".
_TIME = r"(?:klo\s*|kello\s*)?(\d{1,2})(?:[:.](\d{2}))?"
_WINDOW = re.compile(rf"^\s*{_TIME}\s*[-\u2013\u2014]\s*{_TIME}\s*$", re.IGNORECASE)


def parse_window(text: str) -> tuple[str, str] | None:
    """'22-8', '22:00-07:30', '22.30-7' -> ('22:00', '08:00'); None when it does not read as a window."""
    match = _WINDOW.match(text)
    if match is None:
        return None
    start_h, start_m, end_h, end_m = (int(g) if g else 0 for g in match.groups())
    if start_h > 23 or end_h > 23 or start_m > 59 or end_m > 59 or (start_h, start_m) == (end_h, end_m):
        return None
    return f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}"


def quiet_until(start: str | None, end: str | None, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet window `now` falls in (UTC), or None when now is not quiet."""
    if not start or not end:
        return None
    local = now.astimezone(zone)
    begin, finish = time.fromisoformat(start), time.fromisoformat(end)
    clock = local.time().replace(tzinfo=None)
    wraps = begin > finish  # 22:00-08:00 spans midnight
    inside = (clock >= begin or clock < finish) if wraps else (begin <= clock < finish)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if wraps and clock >= begin else local.date()
    # Wall-clock end in the zone (an end inside a DST gap lands just after it).
    return datetime.combine(day, finish, tzinfo=zone).astimezone(UTC)
