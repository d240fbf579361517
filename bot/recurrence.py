"""Repeating times on RFC 5545 rules, kept at their wall-clock time in the community's zone.

One helper for everything that repeats (events, personal reminders, meetings, check-ins):

    weekly = Recurrence.preset(start, "Europe/Helsinki", "weekly", until=date(2027, 4, 10))
    weekly.next_after(now)          # the first start after `now`, UTC, or None when the series is over
    weekly.between(since, until)    # starts in [since, until), UTC
    weekly.all()                    # every start (at most `limit`), UTC
    weekly.to_rrule_text()          # 'FREQ=WEEKLY;INTERVAL=1;UNTIL=20270410T150000Z' for an .ics RRULE
    Recurrence(start, zone, "FREQ=MONTHLY;BYDAY=-1FR")  # any supported RRULE value

How a time is computed: python-dateutil's `rrule` expands the rule in naive local wall-clock time (so a
weekly 18:00 stays 18:00 when daylight-saving time starts or ends), and each occurrence becomes an instant
with the core's one rule, `bot.timeparse.local_to_utc`: an ambiguous wall time (03:30 on the October change
day in Helsinki) is its first, summer-time instance, and a nonexistent one (03:30 on the March change day)
lands an hour later on the wall clock (04:30). The first occurrence is the start exactly as given (RFC 5545:
DTSTART is always the first instance), even when it is the second instance of an ambiguous time.

Bounds, so that no rule can make the bot loop or build huge lists:
- only rules whose occurrences are whole days apart at the start's time of day: FREQ DAILY, WEEKLY, MONTHLY or
  YEARLY, with INTERVAL, COUNT or UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS and WKST (no BYHOUR, HOURLY, …);
  a rule that can never repeat is refused when it is built;
- nothing later than `MAX_YEARS` after the start is produced, and `all`/`between` return at most `limit`
  (`MAX_OCCURRENCES` by default) occurrences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from bot.timeparse import local_to_utc

__all__ = ["MAX_OCCURRENCES", "MAX_YEARS", "PRESETS", "Occurrence", "Recurrence", "Rule", "RuleError"]

MAX_OCCURRENCES = 1000  # the most that all() and between() return, and the largest COUNT
MAX_YEARS = 100  # no occurrence later than this after the start
MAX_INTERVAL = 366

FREQS: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}
WEEKDAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
# The simple choices a person picks from: name -> (FREQ, INTERVAL).
PRESETS: dict[str, tuple[str, int]] = {
    "daily": ("DAILY", 1),
    "weekly": ("WEEKLY", 1),
    "biweekly": ("WEEKLY", 2),
    "monthly": ("MONTHLY", 1),
}

_HORIZON = timedelta(days=round(365.25 * MAX_YEARS))
_BYDAY_RE = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL_RE = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
# Which BYxxx parts each frequency accepts: enough for "the last Friday of the month", never one that could
# leave DAILY or WEEKLY scanning centuries for a match.
_ALLOWED = {
    "DAILY": {"BYDAY"},
    "WEEKLY": {"BYDAY"},
    "MONTHLY": {"BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS"},
    "YEARLY": {"BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS"},
}
_ORDINAL_LIMIT = {"MONTHLY": 5, "YEARLY": 53}


class RuleError(ValueError):
    """A rule the helper does not accept; the message says why (for logs and developers, not end users)."""


@dataclass(frozen=True)
class Rule:
    """The repeating part of an RFC 5545 RRULE (everything but DTSTART).

    `until` is a local date (occurrences on that local day or before), a naive datetime (a local wall-clock
    time) or an aware datetime (an instant, as RFC 5545 writes UNTIL when DTSTART has a time zone).
    `count` counts the first occurrence too. `byday` holds "MO".."SU", with an ordinal ("1MO", "-1FR") only
    for MONTHLY and YEARLY.
    """

    freq: str
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None
    byday: tuple[str, ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: str | None = None

    def __post_init__(self) -> None:
        if self.freq not in FREQS:
            raise RuleError(f"FREQ must be one of {', '.join(FREQS)}, not {self.freq!r}")
        if not 1 <= self.interval <= MAX_INTERVAL:
            raise RuleError(f"INTERVAL must be 1..{MAX_INTERVAL}")
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise RuleError(f"COUNT must be 1..{MAX_OCCURRENCES}")
        if self.count is not None and self.until is not None:
            raise RuleError("COUNT and UNTIL can't both be given (RFC 5545)")
        used = {name for name, value in (("BYDAY", self.byday), ("BYMONTHDAY", self.bymonthday),
                                         ("BYMONTH", self.bymonth), ("BYSETPOS", self.bysetpos)) if value}
        if extra := used - _ALLOWED[self.freq]:
            raise RuleError(f"{', '.join(sorted(extra))} can't be used with FREQ={self.freq}")
        for day in self.byday:
            match = _BYDAY_RE.fullmatch(day)
            if match is None:
                raise RuleError(f"BYDAY value {day!r} is not a weekday such as MO or -1FR")
            if match[1] is not None:
                limit = _ORDINAL_LIMIT.get(self.freq)
                if limit is None or not 1 <= abs(int(match[1])) <= limit:
                    raise RuleError(f"BYDAY ordinal {day!r} is not valid with FREQ={self.freq}")
        if any(not 1 <= abs(d) <= 31 for d in self.bymonthday):
            raise RuleError("BYMONTHDAY values must be 1..31 or -31..-1")
        if any(not 1 <= m <= 12 for m in self.bymonth):
            raise RuleError("BYMONTH values must be 1..12")
        if any(not 1 <= abs(p) <= 366 for p in self.bysetpos):
            raise RuleError("BYSETPOS values must be 1..366 or -366..-1")
        if self.bysetpos and not (self.byday or self.bymonthday):
            raise RuleError("BYSETPOS needs BYDAY or BYMONTHDAY")
        if self.wkst is not None and self.wkst not in WEEKDAYS:
            raise RuleError(f"WKST must be one of {', '.join(WEEKDAYS)}")

    @classmethod
    def preset(cls, name: str, *, interval: int = 1, until: date | datetime | None = None,
               count: int | None = None) -> Rule:
        """One of `PRESETS` ("daily", "weekly", "biweekly", "monthly"), `interval` times as far apart."""
        if name not in PRESETS:
            raise RuleError(f"unknown repeat {name!r}: one of {', '.join(PRESETS)}")
        freq, step = PRESETS[name]
        return cls(freq, interval=step * interval, until=until, count=count)

    @classmethod
    def parse(cls, text: str) -> Rule:
        """An RRULE value such as "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270410T150000Z" (an "RRULE:" prefix is fine)."""
        body = text.strip()
        if body.upper().startswith("RRULE:"):
            body = body[6:]
        parts: dict[str, str] = {}
        for part in filter(None, body.split(";")):
            name, sep, value = part.partition("=")
            name = name.strip().upper()
            if not sep or not value.strip():
                raise RuleError(f"{part!r} is not NAME=VALUE")
            if name in parts:
                raise RuleError(f"{name} is given twice")
            parts[name] = value.strip().upper()
        known = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
        if unknown := set(parts) - known:
            raise RuleError(f"not supported: {', '.join(sorted(unknown))}")
        if "FREQ" not in parts:
            raise RuleError("FREQ is missing")
        try:
            return cls(
                parts["FREQ"],
                interval=int(parts.get("INTERVAL", "1")),
                count=int(parts["COUNT"]) if "COUNT" in parts else None,
                until=_parse_until(parts["UNTIL"]) if "UNTIL" in parts else None,
                byday=tuple(parts["BYDAY"].split(",")) if "BYDAY" in parts else (),
                bymonthday=_ints(parts.get("BYMONTHDAY")),
                bymonth=_ints(parts.get("BYMONTH")),
                bysetpos=_ints(parts.get("BYSETPOS")),
                wkst=parts.get("WKST"),
            )
        except RuleError:
            raise
        except ValueError as error:
            raise RuleError(f"{text!r}: {error}") from None

    def text(self, until: datetime | None = None) -> str:
        """The RRULE value; `until` (aware) replaces a local UNTIL with the instant RFC 5545 wants in files."""
        parts = [f"FREQ={self.freq}", f"INTERVAL={self.interval}"]
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        bound = until if until is not None else self.until
        if isinstance(bound, datetime):
            if bound.tzinfo is not None:
                parts.append(f"UNTIL={bound.astimezone(UTC):%Y%m%dT%H%M%SZ}")
            else:
                parts.append(f"UNTIL={bound:%Y%m%dT%H%M%S}")
        elif bound is not None:
            parts.append(f"UNTIL={bound:%Y%m%d}")
        for name, values in (("BYDAY", self.byday), ("BYMONTHDAY", self.bymonthday), ("BYMONTH", self.bymonth),
                             ("BYSETPOS", self.bysetpos)):
            if values:
                parts.append(f"{name}={','.join(map(str, values))}")
        if self.wkst is not None:
            parts.append(f"WKST={self.wkst}")
        return ";".join(parts)


def _ints(value: str | None) -> tuple[int, ...]:
    return tuple(int(v) for v in value.split(",")) if value else ()


def _parse_until(value: str) -> date | datetime:
    match = _UNTIL_RE.fullmatch(value)
    if match is None:
        raise RuleError(f"UNTIL {value!r} is not YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")
    day = datetime.strptime(match[1], "%Y%m%d")
    if match[2] is None:
        return day.date()
    moment = datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")
    return moment.replace(tzinfo=UTC) if match[3] else moment


def _weekday(text: str) -> du.weekday:
    match = _BYDAY_RE.fullmatch(text)
    assert match is not None  # checked by Rule
    day = WEEKDAYS[match[2]]
    return day(int(match[1])) if match[1] is not None else day


class Occurrence(NamedTuple):
    at: datetime  # the instant, aware UTC
    wall: datetime  # the naive local wall-clock time the rule gives (it may not exist on that day)


class Recurrence:
    """A start and an optional rule: a one-off time or a repeating one, in the zone `zone`.

    `start` is an aware instant (kept exactly as the first occurrence; the rule repeats its local wall-clock
    time) or a naive local wall-clock time (the first occurrence is then `local_to_utc(start, zone)`).
    `rule` is a `Rule`, an RRULE value string (parsed with `Rule.parse`) or None for a one-off.
    Raises `RuleError` for a rule that is not accepted or never repeats.
    """

    def __init__(self, start: datetime, zone: ZoneInfo | str, rule: Rule | str | None = None) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        if start.tzinfo is None:
            self.wall = start
            self.start = local_to_utc(start, self.zone)
            self._fold = 0
        else:
            local = start.astimezone(self.zone)
            self.wall, self._fold = local.replace(tzinfo=None), local.fold
            self.start = start.astimezone(UTC)
        self.rule = Rule.parse(rule) if isinstance(rule, str) else rule
        if self.rule is not None and self.rule.count != 1 and not self._ever_repeats():
            raise RuleError(f"{self.rule.text()} never repeats from {self.wall.isoformat()}")

    @classmethod
    def preset(cls, start: datetime, zone: ZoneInfo | str, name: str | None, *, interval: int = 1,
               until: date | datetime | None = None, count: int | None = None) -> Recurrence:
        """A start repeated by one of `PRESETS`; None or "none" is a one-off."""
        if name in (None, "none"):
            return cls(start, zone)
        return cls(start, zone, Rule.preset(name, interval=interval, until=until, count=count))

    def __repr__(self) -> str:
        return f"Recurrence({self.wall.isoformat()} {self.zone.key}, {self.rule.text() if self.rule else None})"

    @property
    def dtstart(self) -> datetime:
        """The first occurrence as an aware local time, for an .ics DTSTART with TZID=`zone` beside
        `to_rrule_text()`: its wall-clock time, even one the March change skips (RFC 5545 reads that with the
        offset before the gap, as local_to_utc does)."""
        return self.wall.replace(tzinfo=self.zone, fold=self._fold)

    @property
    def repeats(self) -> bool:
        return self.rule is not None

    @property
    def finite(self) -> bool:
        """True when the series ends by its own rule (COUNT or UNTIL, or no rule at all)."""
        return self.rule is None or self.rule.count is not None or self.rule.until is not None

    # ------------------------------------------------------------------------------------------ expansion

    def _rrule(self, dtstart: datetime, bound: datetime | None) -> du.rrule:
        rule = self.rule
        assert rule is not None
        return du.rrule(
            FREQS[rule.freq], dtstart=dtstart, interval=rule.interval, until=bound,
            byweekday=[_weekday(d) for d in rule.byday] or None, bymonthday=rule.bymonthday or None,
            bymonth=rule.bymonth or None, bysetpos=rule.bysetpos or None,
            wkst=WEEKDAYS[rule.wkst] if rule.wkst else None, cache=False)

    def _ever_repeats(self) -> bool:
        """Whether the rule gives anything after the start, decided without scanning to the year 9999."""
        rule = self.rule
        assert rule is not None
        if rule.freq in ("DAILY", "WEEKLY"):
            # Only BYDAY filters these: a week holds every weekday, and so do seven daily steps unless the
            # step is whole weeks, which meets the start's weekday only.
            if rule.freq == "WEEKLY" or rule.interval % 7 or not rule.byday:
                return True
            return self.wall.weekday() in {_weekday(d).weekday for d in rule.byday}
        if not (rule.byday or rule.bymonthday or rule.bymonth or rule.bysetpos):
            return True
        # The Gregorian calendar repeats every 400 years (146097 days: whole weeks, and 4800 months), so the
        # rule started 400*n years later meets the same days: a copy near the end of the calendar that finds
        # nothing in its last 800+ years proves the real one never repeats, in milliseconds.
        shift = max(0, (9999 - 800 - self.wall.year) // 400) * 400
        probe_start = self.wall.replace(year=self.wall.year + shift)
        return any(wall > probe_start for wall in self._rrule(probe_start, None))

    @property
    def _instant_until(self) -> datetime | None:
        until = self.rule.until if self.rule is not None else None
        return until.astimezone(UTC) if isinstance(until, datetime) and until.tzinfo is not None else None

    def _later_walls(self) -> Iterator[datetime]:
        """The wall-clock times after the first, in order, within COUNT, UNTIL (with a day's margin for an
        instant, which the callers check exactly in UTC) and `MAX_YEARS`."""
        rule = self.rule
        if rule is None or rule.count == 1:
            return
        try:
            horizon = self.wall + _HORIZON
        except OverflowError:
            horizon = datetime.max
        if (instant := self._instant_until) is not None:
            local = instant.astimezone(self.zone).replace(tzinfo=None)
            bound = min(local, horizon - timedelta(days=1)) + timedelta(days=1)
        elif isinstance(rule.until, datetime):
            bound = rule.until
        elif rule.until is not None:
            bound = datetime.combine(rule.until, time.max)
        else:
            bound = horizon
        walls: Iterator[datetime] = iter(self._rrule(self.wall, min(bound, horizon)))
        if us := self.wall.microsecond:  # dateutil drops it; the time of day is kept whole
            walls = (w.replace(microsecond=us) for w in walls)
        walls = (w for w in walls if w > self.wall)
        yield from islice(walls, None if rule.count is None else rule.count - 1)

    def occurrences(self) -> Iterator[Occurrence]:
        """Every occurrence in order, the first (the start as given) included; ends at the rule's COUNT or
        UNTIL or `MAX_YEARS` after the start, whichever comes first."""
        yield Occurrence(self.start, self.wall)
        instant_until = self._instant_until
        for wall in self._later_walls():
            at = local_to_utc(wall, self.zone)
            if instant_until is not None and at > instant_until:
                return
            yield Occurrence(at, wall)

    def first_after(self, moment: datetime) -> Occurrence | None:
        """The first occurrence that starts after `moment` (aware), or None when the series is over."""
        # Occurrences are whole days apart at one time of day, so UTC order is wall-clock order and those
        # more than a day before `moment` on the wall clock need no conversion.
        skip_before = moment.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        if self.start > moment:
            return Occurrence(self.start, self.wall)
        instant_until = self._instant_until
        for wall in self._later_walls():
            if wall < skip_before:
                continue
            at = local_to_utc(wall, self.zone)
            if instant_until is not None and at > instant_until:
                return None
            if at > moment:
                return Occurrence(at, wall)
        return None

    def next_after(self, moment: datetime) -> datetime | None:
        """When the first occurrence after `moment` starts (UTC), or None when the series is over."""
        found = self.first_after(moment)
        return found.at if found is not None else None

    def between(self, since: datetime, until: datetime, limit: int = MAX_OCCURRENCES) -> list[datetime]:
        """Starts (UTC) with since <= start < until, at most `limit` of them."""
        def wanted() -> Iterator[datetime]:
            for occurrence in self.occurrences():
                if occurrence.at >= until:
                    return
                if occurrence.at >= since:
                    yield occurrence.at
        return list(islice(wanted(), limit))

    def all(self, limit: int = MAX_OCCURRENCES) -> list[datetime]:
        """The first `limit` starts (UTC): all of them for a series shorter than that."""
        return [occurrence.at for occurrence in islice(self.occurrences(), limit)]

    def last(self) -> datetime | None:
        """When the last occurrence starts, or None for a series without an end of its own."""
        if not self.finite:
            return None
        last = self.start
        for occurrence in self.occurrences():
            last = occurrence.at
        return last

    def to_rrule_text(self) -> str | None:
        """The RRULE value for an .ics VEVENT whose DTSTART is `start` with TZID=`zone`: a local UNTIL is
        written as the instant of the last occurrence, in UTC as RFC 5545 requires. None for a one-off."""
        rule = self.rule
        if rule is None:
            return None
        if rule.until is not None and not (isinstance(rule.until, datetime) and rule.until.tzinfo is not None):
            return rule.text(until=self.last())
        return rule.text()
