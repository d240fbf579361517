"""Typed dates in, aware UTC datetimes out.

`parse_when("pe klo 18", "fi", ZoneInfo("Europe/Helsinki"), now)` reads what a student types (Finnish or
English, whatever their language setting) in the community's time zone and returns an aware datetime in UTC,
or None when the text can't be read. dateparser does the heavy lifting (month names, English phrases,
relative durations), but dateparser 1.5 misreads everyday Finnish ("1.12. klo 18" becomes the year 2118,
"huomenna klo 9" loses its hour, "ylihuomenna" gives nothing), so the text goes through small named steps
first:

1. ISO 8601 (`2026-12-01T18:00`, with or without an offset) is read exactly by `datetime.fromisoformat`.
2. Finnish durations ("2 tunnin päästä", "puolen tunnin kuluttua") are rewritten as English "in N <unit>".
3. The time of day is cut out ("klo 18", "18.00", "18:00", "6pm", "at 18", or a bare hour after a day).
4. A numeric date is cut out ("1.12.", "1.12.2026", "1/12").
5. What is left names the day: nothing (time only), a day word (tänään/huomenna/ylihuomenna/eilen, today/...),
   a weekday with an optional "ensi"/"next", or anything else, which goes to dateparser ("1 Dec"); an English
   weekday may lead it ("Fri 4 Dec", as the bot writes dates) when it is that date's weekday.

Defaults and rules (all local to `tz`):

* A date without a time means `DEFAULT_TIME`, 09:00: a reminder "on Friday" should arrive in the morning,
  not at midnight.
* A time without a date is today if still ahead of `now`, else tomorrow.
* A weekday is its next occurrence that is still ahead ("pe 18.00" typed on a Friday at 14:00 is today, on a
  Saturday it is next Friday); "ensi"/"next" never means today.
* A day and month without a year is this year, even when that has passed: a past date is never moved to next
  year in silence (the caller refuses it and says why). A date this year lacks (29.2.) is the next year that
  has it.
* Explicit years and day words ("tänään", "eilen", "yesterday") are taken as typed, even if that is in the
  past: the caller decides what to say about a past time. Other yearless phrases that dateparser reads as a
  day before today give None (mostly noise such as "2 in"), as do ones it reads years ahead ("2118").
* Durations ("in 2 hours", "30 min päästä") are exact elapsed time from `now` for hours/minutes/seconds and
  keep the wall-clock time for days/weeks/months; with an explicit time ("in 2 days at 18") the time wins.
* Nothing is skipped: a phrase with a word the date doesn't use ("18.15 to", "tomorrow at 6pm the") gives
  None, because the command parser finds where a date ends by trying ever shorter runs of words.
  Finnish two-letter weekdays ("to", "la", "ma") count only at the start ("to 18", not "18 to").
* Wall times in a DST gap or fold resolve with `fold=0`: an ambiguous time (03:30 on the last Sunday of
  October in Helsinki) is its first, summer-time occurrence; a nonexistent time (03:30 on the last Sunday
  of March) is read with the pre-transition offset, i.e. it lands one hour later on the wall clock (04:30).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

__all__ = ["DEFAULT_TIME", "Reading", "parse_when", "read_when", "warm_up"]

log = logging.getLogger(__name__)

# A date typed without a time means this local time (see module docstring).
DEFAULT_TIME = time(9, 0)

# Read at most this many characters: nobody types a date longer than this, and dateparser is slow on essays.
_MAX_LEN = 100

# How far ahead a yearless date may be searched (29.2. needs up to four years).
_YEAR_SEARCH = 5


# --- step 0: cleaning -------------------------------------------------------------------------------------

_CLEAN_TABLE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bkello\b|\bklo\b\.?"), "klo "),  # "kello 18", "klo.18" -> "klo 18"
    (re.compile(r"[,;!?]"), " "),  # punctuation never changes the meaning here
    (re.compile(r"\s+"), " "),
    (re.compile(r"^on "), ""),  # "on friday", "on 1 Dec"
]


def _clean(text: str) -> str:
    s = text.strip().lower()
    for pattern, repl in _CLEAN_TABLE:
        s = pattern.sub(repl, s)
    return s.strip()


# --- step 1: ISO 8601 ---------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_ISO_DATE_ONLY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_iso(text: str, tz: ZoneInfo) -> datetime | None:
    """Exact ISO 8601: an explicit offset is respected, a naive one is local wall time in `tz`."""
    s = text.strip().upper()
    try:
        if _ISO_DATE_ONLY_RE.fullmatch(s):
            return local_to_utc(datetime.combine(date.fromisoformat(s), DEFAULT_TIME), tz)
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return dt.astimezone(UTC) if dt.tzinfo is not None else local_to_utc(dt, tz)


# --- step 2: Finnish durations -> English "in N <unit>" ------------------------------------------------

# Finnish unit forms (genitive after a number, partitive, abbreviations) -> the English unit dateparser reads.
_FI_UNITS: dict[str, str] = {
    r"tun(?:nin|tia|ti|neissa)|h|t": "hours",
    r"min(?:uutin|uuttia|uutti|uutissa|uuttien)?": "minutes",
    r"sek(?:unnin|untia|unti)?|s": "seconds",
    r"päivän|päivää|päivä|pv|vrk|vuorokauden": "days",
    r"viikon|viikkoa|viikko|vko|vk": "weeks",
    r"kuukauden|kuukautta|kuukausi|kk": "months",
}
_FI_NUMBER_WORDS: dict[str, str] = {
    "yhden": "1", "kahden": "2", "kolmen": "3", "neljän": "4", "viiden": "5",
    "kuuden": "6", "seitsemän": "7", "kahdeksan": "8", "yhdeksän": "9", "kymmenen": "10",
}  # fmt: skip
_FI_DURATION_RE = re.compile(
    r"\b(?:(?P<n>\d+|" + "|".join(_FI_NUMBER_WORDS) + r")\s*)?"
    r"(?P<unit>" + "|".join(f"(?:{u})" for u in _FI_UNITS) + r")\s+(?:päästä|kuluttua|myöhemmin)"
)
_HALF_HOUR_RE = re.compile(r"\bpuolen tunnin (?:päästä|kuluttua)|\bin half an hour\b")


def _fi_duration_to_en(match: re.Match[str]) -> str:
    n = match["n"] or "1"  # "tunnin päästä" = in an hour
    n = _FI_NUMBER_WORDS.get(n, n)
    unit = next(en for fi, en in _FI_UNITS.items() if re.fullmatch(fi, match["unit"]))
    return f"in {n} {unit}"


def _normalise_durations(s: str) -> str:
    s = _HALF_HOUR_RE.sub("in 30 minutes", s)
    return _FI_DURATION_RE.sub(_fi_duration_to_en, s)


# "in 2 hours", "in an hour", "in 1 h 30 min": exactly amounts and units, so "in 2 hours the" is no duration.
_AMOUNT = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?)"
_DURATION_RE = re.compile(rf"in {_AMOUNT}\s*{_UNIT}(?:(?:,|\s+and)?\s+{_AMOUNT}\s*{_UNIT})*")
_SUB_DAY_UNIT_RE = re.compile(r"\b(?:h|hrs?|hours?|mins?|minutes?|s|secs?|seconds?)\b")


# --- step 3: time of day --------------------------------------------------------------------------------

_AMPM = r"(?:\s*(?P<ap>[ap])\.?m\b\.?)"
_TIME_PATTERNS: list[re.Pattern[str]] = [
    # "klo 18", "klo 18.30", "at 6pm", "@18:00": a marker makes anything after it a time.
    re.compile(r"(?:\b(?:klo|at)\s*|@\s*)(?P<h>\d{1,2})(?:[.:](?P<m>\d{2}))?" + _AMPM + r"?(?!\d|[.:]\d)"),
    # "18:00", "6:30 pm": a colon is always a time.
    re.compile(r"(?<![\d.:/])(?P<h>\d{1,2}):(?P<m>\d{2})" + _AMPM + r"?(?![\d:])"),
    # "6pm", "10 am".
    re.compile(r"(?<![\d.:/])(?P<h>\d{1,2})" + _AMPM),
]
# "18.15": only after numeric dates ("1.12.") have been cut out, or it would eat them.
_DOT_TIME_RE = re.compile(r"(?<![\d.:/])(?P<h>\d{1,2})\.(?P<m>\d{2})(?!\d|\.\d)")
# A bare trailing hour after a day ("ylihuomenna 12", "pe 18"); only used when the day part is recognised.
_BARE_HOUR_RE = re.compile(r"(?P<head>.*?)\s*\b(?P<h>\d{1,2})")


class _Invalid(Exception):
    """The user clearly typed a date or time, but an impossible one ("25:00", "32.13.")."""


def _make_time(match: re.Match[str]) -> time:
    groups = match.groupdict()
    hour, minute = int(groups["h"]), int(groups.get("m") or 0)
    ap = groups.get("ap")
    if ap:
        if not 1 <= hour <= 12:
            raise _Invalid(match[0])
        hour = hour % 12 + (12 if ap == "p" else 0)
    if hour > 23 or minute > 59:
        raise _Invalid(match[0])
    return time(hour, minute)


def _cut(s: str, match: re.Match[str]) -> str:
    # Whitespace stays single so what is left can be compared with the table entries and the original.
    return " ".join(f"{s[: match.start()]} {s[match.end() :]}".split())


def _extract_time(s: str) -> tuple[time | None, str]:
    for pattern in _TIME_PATTERNS:
        if m := pattern.search(s):
            return _make_time(m), _cut(s, m)
    return None, s


# --- step 4: numeric dates ------------------------------------------------------------------------------

_DATE_PATTERNS: list[re.Pattern[str]] = [
    # "1.12.", "1.12.2026", "1.12.26": the trailing dot or year tells it from a time "18.15".
    re.compile(r"(?<![\d.:/])(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4}|\d{2})?(?!\d|[.:/]\d)"),
    # "1/12", "1/12/2026": day first, as everywhere outside the US.
    re.compile(r"(?<![\d.:/])(?P<d>\d{1,2})/(?P<mo>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"),
]
# "1.12 klo 18": without the trailing dot it's a date only when the time was given some other way.
_LOOSE_DATE_RE = re.compile(r"(?<![\d.:/])(?P<d>\d{1,2})\.(?P<mo>\d{1,2})(?![\d:/]|\.\d)")


@dataclass(frozen=True)
class _DayMonth:
    day: int
    month: int
    year: int | None


def _make_day_month(match: re.Match[str]) -> _DayMonth:
    year = match["y"] if "y" in match.re.groupindex else None
    day, month = int(match["d"]), int(match["mo"])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise _Invalid(match[0])
    return _DayMonth(day, month, None if year is None else int(year) + (2000 if len(year) == 2 else 0))


def _extract_date(s: str, have_time: bool) -> tuple[_DayMonth | None, str]:
    patterns = _DATE_PATTERNS + ([_LOOSE_DATE_RE] if have_time else [])
    for pattern in patterns:
        if m := pattern.search(s):
            return _make_day_month(m), _cut(s, m)
    return None, s


# --- step 5: the day ------------------------------------------------------------------------------------

_TRAILING_DOT_RE = re.compile(r"\.$")  # "huomenna." at the end of a sentence
# Words dateparser may ignore without the phrase being noise ("1st of December").
_GLUE_WORDS = frozenset({"of", "the"})
_DAY_WORDS: dict[str, int] = {
    "tänään": 0, "today": 0,
    "huomenna": 1, "huomen": 1, "huomiseksi": 1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
    "ylihuomenna": 2, "day after tomorrow": 2, "the day after tomorrow": 2, "overmorrow": 2,
    # Past days read as typed, so the caller can say "that's in the past" instead of "can't read that".
    "eilen": -1, "yesterday": -1, "toissapäivänä": -2, "day before yesterday": -2,
    "the day before yesterday": -2,
}  # fmt: skip

# Weekday forms: Finnish base + case ending (maanantaina, maanantaiksi, ...) and abbreviations of both.
_FI_WEEKDAYS = ["maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai"]
_FI_ABBR = ["ma", "ti", "ke", "to", "pe", "la", "su"]
_EN_WEEKDAYS = [
    ["monday", "mon"], ["tuesday", "tue", "tues"], ["wednesday", "wed"], ["thursday", "thu", "thur", "thurs"],
    ["friday", "fri"], ["saturday", "sat"], ["sunday", "sun"],
]  # fmt: skip
_WEEKDAY_INDEX: dict[str, int] = {
    form: i
    for i, forms in enumerate(zip(_FI_WEEKDAYS, _FI_ABBR, _EN_WEEKDAYS, strict=True))
    for form in [forms[0], forms[1], *forms[2]]
}
_WEEKDAY_RE = re.compile(
    r"(?:(?P<mod>ensi|next|tuleva(?:na)?|this|coming|upcoming)\s+)?(?P<week>viikon\s+|week\s+)?"
    r"(?P<wd>"
    + "|".join(f"{fi}(?:na|ksi|hin|n)?" for fi in _FI_WEEKDAYS)
    + "|"
    + "|".join(sorted((f for fs in _EN_WEEKDAYS for f in fs), key=len, reverse=True))
    + "|"
    + "|".join(_FI_ABBR)
    + r")\.?"
    r"(?P<week2>\s+(?:ensi viikolla|next week))?"
)
# An English weekday leading a date written with a month name ("Fri 4 Dec", "Friday, 4 December").
_LEADING_WEEKDAY_RE = re.compile(
    r"(?P<wd>" + "|".join(sorted((f for fs in _EN_WEEKDAYS for f in fs), key=len, reverse=True)) + r")\.?,?\s+(?=\d)"
)
_MONTH_NAME_RE = re.compile(
    r"(?:tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu)k|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
)
_YEAR_RE = re.compile(r"\b\d{4}\b")
# "joulukuun 1." (genitive month first) is natural Finnish but unknown to dateparser: make it "1. joulukuuta".
_FI_GENITIVE_MONTH_RE = re.compile(r"\b(?P<month>\w+kuu)n (?P<day>\d{1,2})\.?(?!\d)")


def _weekday_of(form: str) -> int:
    # Inflected Finnish forms ("perjantaina") by their base, everything else from the table.
    inflected = next((i for i, base in enumerate(_FI_WEEKDAYS) if form.startswith(base)), None)
    return _WEEKDAY_INDEX[form] if inflected is None else inflected


def _is_day_part(s: str) -> bool:
    return s in _DAY_WORDS or _WEEKDAY_RE.fullmatch(s) is not None


def _next_weekday(m: re.Match[str], when: time, wall: datetime) -> date:
    weekday, today = _weekday_of(m["wd"]), wall.date()
    if m["week"] or m["week2"]:  # "ensi viikon maanantaina": that weekday in next calendar week
        return today + timedelta(days=7 - today.weekday() + weekday)
    first = 1 if m["mod"] in ("ensi", "next") else 0  # "next friday" is never today
    for offset in range(first, first + 8):
        day = today + timedelta(days=offset)
        if day.weekday() == weekday and datetime.combine(day, when) > wall:
            return day
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def _future_day_month(day: int, month: int, when: time, wall: datetime) -> date | None:
    """This year, passed or not (never next year in silence), else the next year that has the date (29.2.)."""
    del when  # the time of day no longer decides the year
    for year in range(wall.year, wall.year + _YEAR_SEARCH):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def _resolve_day_month(dm: _DayMonth, when: time, wall: datetime) -> date | None:
    if dm.year is None:
        return _future_day_month(dm.day, dm.month, when, wall)
    try:
        return date(dm.year, dm.month, dm.day)
    except ValueError:
        return None


def _dateparser_day(rest: str, when: time, wall: datetime, languages: list[str]) -> date | None:
    """Anything else ("1 dec", "december 1st", "1. joulukuuta", "next week") goes to dateparser."""
    rest = _FI_GENITIVE_MONTH_RE.sub(r"\g<day>. \g<month>ta", rest)
    # Requiring a day and a month stops dateparser from filling in today's day ("dec" -> 26 Dec, "2 in").
    parsed = _dateparser(rest, wall, languages, require_day_month=True)
    if parsed is None or _has_ignored_word(rest, parsed, wall, languages):
        return None
    if _YEAR_RE.search(rest):
        return parsed.date()
    if _MONTH_NAME_RE.search(rest):
        # A yearless month-name date: dateparser's year choice is unreliable (2118), apply our own rule.
        return _future_day_month(parsed.day, parsed.month, when, wall)
    if not wall.date() <= parsed.date() <= wall.date() + timedelta(days=_YEAR_SEARCH * 366):
        return None  # a yearless phrase read as the past or years ahead ("1. 2 18" = 2118) is noise
    return parsed.date()


def _has_ignored_word(rest: str, parsed: datetime, wall: datetime, languages: list[str]) -> bool:
    """True if dateparser read `rest` the same without one of its words ("tomorrow the" = "tomorrow").

    dateparser skips words it doesn't know; the command parser finds where a date ends by trying ever
    shorter word runs, so a date that swallows the next word ("the") would steal it from the text.
    """
    words = rest.split()
    if len(words) < 2:
        return False
    if words[0] in _GLUE_WORDS - {"the"} or words[-1] in _GLUE_WORDS:
        return True  # glue glues only between words
    for i, word in enumerate(words):
        if word in _GLUE_WORDS:
            continue
        without = _dateparser(" ".join(words[:i] + words[i + 1 :]), wall, languages, require_day_month=True)
        if without is not None and without.date() == parsed.date():  # only the date is used from here
            return True
    return False


def _dateparser(
    text: str, base: datetime, languages: list[str], *, require_day_month: bool = False
) -> datetime | None:
    """dateparser relative to `base`'s wall clock; returns a naive datetime on that same clock."""
    settings: dict[str, object] = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if require_day_month:
        settings["REQUIRE_PARTS"] = ["day", "month"]
    return dateparser.parse(text, languages=languages, settings=settings)


def _duration(rest: str, now: datetime, tz: ZoneInfo, languages: list[str]) -> datetime | None:
    """ "in 2 hours": exact elapsed time below a day (computed in UTC, so DST can't shift it)."""
    base = now.astimezone(UTC) if _SUB_DAY_UNIT_RE.search(rest) else now
    parsed = _dateparser(rest, base, languages)
    if parsed is None or parsed <= base.replace(tzinfo=None):  # "in" must move forward
        return None
    if base.tzinfo is UTC:
        return parsed.replace(tzinfo=UTC)
    return local_to_utc(parsed, tz)


# --- assembling ----------------------------------------------------------------------------------------


def local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """Local wall time -> UTC, the one rule for every wall-clock time the bot stores or reads: fold=0 takes
    the first (summer-time) instance of a repeated hour, and a skipped hour lands just after the gap."""
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _languages(locale: str) -> list[str]:
    # Both languages always; the user's own first so dateparser tries it first.
    return ["en", "fi"] if locale.lower().startswith("en") else ["fi", "en"]


@dataclass(frozen=True)
class Reading:
    """A read date-time and whether a time of day was given ("ylihuomenna" has none: 09:00 by default)."""

    at: datetime
    has_time: bool


def _parse_local(s: str, tz: ZoneInfo, now: datetime, languages: list[str]) -> Reading | None:
    """The steps 2-5 of the module docstring on cleaned text; `now` is local."""
    s = start = _normalise_durations(s)
    when, s = _extract_time(s)
    day_month, s = _extract_date(s, have_time=when is not None)
    if when is None and (m := _DOT_TIME_RE.search(s)):
        when, s = _make_time(m), _cut(s, m)
    rest = _TRAILING_DOT_RE.sub("", s).strip()
    wall = now.replace(tzinfo=None)  # "still ahead" is judged on the local wall clock

    if when is None and (m := _BARE_HOUR_RE.fullmatch(rest)) and (day_month or _is_day_part(m["head"])):
        when, rest = _make_time(m), m["head"]

    if _DURATION_RE.fullmatch(rest):
        moved = _duration(rest, now, tz, languages)
        if moved is None:
            return None
        if when is None:  # "in 2 hours" names a time; "in 2 days" only a day
            return Reading(moved, bool(_SUB_DAY_UNIT_RE.search(rest)))
        return Reading(local_to_utc(datetime.combine(moved.astimezone(tz).date(), when), tz), True)

    clock = when or DEFAULT_TIME
    day: date | None
    if day_month is not None:
        # "pe 4.12." is fine; other words next to a date, or a weekday after it ("4.12. to"), aren't.
        if rest and not (_WEEKDAY_RE.fullmatch(rest) and start.startswith(rest)):
            return None
        day = _resolve_day_month(day_month, clock, wall)
    elif not rest:
        if when is None:
            return None
        day = wall.date() if datetime.combine(wall.date(), when) > wall else wall.date() + timedelta(days=1)
    elif rest in _DAY_WORDS:
        day = wall.date() + timedelta(days=_DAY_WORDS[rest])
    elif m := _WEEKDAY_RE.fullmatch(rest):
        if m["wd"] in _FI_ABBR and not start.startswith(rest):
            return None  # "to", "la", "ma" are words too: an abbreviation must lead ("to 18", not "18 to")
        day = _next_weekday(m, clock, wall)
    elif rest.isdigit():  # a lone "18": an hour or a day of the month? Don't guess.
        return None
    else:
        day = _dateparser_day(rest, clock, wall, languages)
        lead = _LEADING_WEEKDAY_RE.match(rest) if day is None else None
        if lead is not None:
            # "Fri 4 Dec": a weekday before a date, as the bot itself shows one; it must be that date's weekday.
            day = _dateparser_day(rest[lead.end():], clock, wall, languages)
            if day is not None and day.weekday() != _weekday_of(lead["wd"]):
                return None
    if day is None:
        return None
    return Reading(local_to_utc(datetime.combine(day, clock), tz), when is not None)


def parse_when(text: str, locale: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Read a typed date/time (Finnish or English, whatever `locale`) as an aware UTC datetime.

    `text` is interpreted in `tz` relative to the aware `now`; see the module docstring for the defaults
    (a date alone means 09:00 local, a time alone today-or-tomorrow, weekdays and yearless dates the future).
    Returns None for anything unreadable or impossible; user input never raises. `locale` ("fi"/"en") only
    decides which language dateparser tries first.
    """
    reading = read_when(text, locale, tz, now)
    return None if reading is None else reading.at


def read_when(text: str, locale: str, tz: ZoneInfo, now: datetime) -> Reading | None:
    """parse_when, telling also whether a time of day was typed (an event needs one)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not text or len(text) > _MAX_LEN:
        return None
    try:
        if _ISO_RE.fullmatch(text.strip().upper()):
            iso = _parse_iso(text, tz)
            return None if iso is None else Reading(iso, bool(re.search(r"[T ]\d", text.strip().upper())))
        s = _clean(text)
        if not s:
            return None
        return _parse_local(s, tz, now.astimezone(tz), _languages(locale))
    except _Invalid:
        return None
    except Exception:  # dateparser has its own bugs on odd input; a bad phrase must not crash a handler
        # Never the text itself: it may be part of a private message (a reminder, anonymous feedback).
        log.warning("parse_when failed on a %s-character phrase", len(text), exc_info=True)
        return None


def warm_up() -> None:
    """Pay dateparser's first-call cost (~100-200 ms of loading language data) at start-up."""
    now = datetime.now(UTC)
    helsinki = ZoneInfo("Europe/Helsinki")
    for phrase, locale in (
        ("1. joulukuuta klo 9", "fi"),
        ("2 tunnin päästä", "fi"),
        ("1 December at 9am", "en"),
    ):
        parse_when(phrase, locale, helsinki, now)
