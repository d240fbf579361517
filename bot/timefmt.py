"""Aware datetimes, durations and numbers rendered for a reader's language with Babel.

Finnish follows Finnish usage ("perjantaina 4.12. klo 18.00"); English is British style with a 24-hour clock
("Friday 4 December at 18:00"), because Babel's plain "en" is American (12-hour clock, month first). The
year is shown only when the date is not in the current year, judged in the display zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_time, format_timedelta
from babel.lists import format_list
from babel.numbers import format_decimal

__all__ = ["babel_locale", "countdown_unit", "format_duration", "format_number", "format_range", "format_relative",
           "format_time_of_day", "format_time_range", "format_when"]

Length = Literal["long", "short", "narrow"]

# Our language codes -> the Babel locale that renders them the way our readers expect.
_BABEL_LOCALES = {"fi": "fi_FI", "en": "en_GB"}
_FALLBACK_LOCALE = "en_GB"

_DASH = "\u2013"  # en dash, the typographic range separator in both languages

# CLDR patterns per language; "{y}" marks where the year goes when it is shown.
_PATTERNS: dict[str, dict[str, str]] = {
    "fi": {
        # Finnish writes the hour without a leading zero: "klo 9.00" (Kielitoimisto).
        "full": "EEEE d.M.{y} 'klo' H.mm",
        "short": "EEE d.M.{y} 'klo' H.mm",
        "date": "d.M.y",
        "time": "H.mm",
        "example": "EEE d.M. 'klo' H",  # a date as people type it: "pe 4.12. klo 18"
        "example_year": "EEE d.M.y 'klo' H",
    },
    "en": {
        "full": "EEEE d MMMM{y} 'at' HH:mm",
        "short": "EEE d MMM{y} HH:mm",
        "date": "d MMM y",
        "time": "HH:mm",
        # "Fri 4 Dec 18:00"; with a year numeric, which the parser reads after no English month name.
        "example": "EEE d MMM HH:mm",
        "example_year": "d.M.y HH:mm",
    },
}
_YEAR_FIELD = {"fi": "y", "en": " y"}  # "4.12.2027" vs "4 December 2027"

# Units of format_duration, largest first: (Babel unit name, seconds).
Unit = Literal["day", "hour", "minute", "second"]
_DURATION_UNITS: list[tuple[Unit, int]] = [
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
]
# Never let format_timedelta round a component up into a bigger unit ("23 hours" -> "1 day").
_NO_ROUNDING_UP = 10.0**12


def babel_locale(locale: str) -> str:
    """Map our "fi"/"en" to the Babel locale that renders them ("fi_FI", "en_GB").

    An explicit region of our languages is kept ("en_US", "fi-FI" -> "fi_FI"); any other language renders as
    en_GB, since only Finnish and English have patterns here.
    """
    normalised = locale.strip().replace("-", "_")
    lang = normalised.split("_")[0].lower()
    if lang not in _BABEL_LOCALES:
        return _FALLBACK_LOCALE
    if "_" in normalised:
        try:
            return str(Locale.parse(normalised))
        except (ValueError, UnknownLocaleError):
            pass
    return _BABEL_LOCALES[lang]


@lru_cache(maxsize=64)
def _babel(locale: str) -> Locale:
    # The parsed Locale, once per reader's locale: Babel parses a locale given as text again on every call.
    return Locale.parse(babel_locale(locale))


def _language(locale: str) -> str:
    return babel_locale(locale).split("_")[0]


def _pattern(locale: str, style: str, show_year: bool) -> str:
    lang = _language(locale)
    try:
        pattern = _PATTERNS[lang][style]
    except KeyError:
        raise ValueError(f"unknown style {style!r}") from None
    return pattern.replace("{y}", _YEAR_FIELD[lang] if show_year else "")


def _require_aware(*dts: datetime) -> None:
    # Babel treats naive datetimes as UTC, which would silently shift every time by two or three hours.
    for dt in dts:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"expected an aware datetime, got {dt!r}")


def _other_year(tz: ZoneInfo, now: datetime | None, *dts: datetime) -> bool:
    this_year = (now or datetime.now(tz)).astimezone(tz).year
    return any(dt.astimezone(tz).year != this_year for dt in dts)


def format_when(
    dt: datetime, locale: str, tz: ZoneInfo, style: str = "full", *, now: datetime | None = None
) -> str:
    """Render `dt` in `tz`: full "perjantaina 4.12. klo 18.00" / "Friday 4 December at 18:00", short
    "pe 4.12. klo 18.00" / "Fri 4 Dec 18:00", date "4.12.2026" / "4 Dec 2026", time "18.00" / "18:00".

    full and short add the year when `dt` is not in the year of `now` (default: the current time).
    """
    _require_aware(dt)
    show_year = style in ("full", "short", "example") and _other_year(tz, now, dt)
    if style == "example" and show_year:
        style = "example_year"
    return format_datetime(dt, _pattern(locale, style, show_year), tzinfo=tz, locale=_babel(locale))


def format_range(
    start: datetime, end: datetime, locale: str, tz: ZoneInfo, *, now: datetime | None = None
) -> str:
    """Render a span in short style, joined by an en dash (shown as "~" here).

    Within one local day: "pe 4.12. klo 18.00~20.00"; across days: "pe 4.12. klo 18.00 ~ la 5.12. klo 02.00".
    Both ends show the year if either is outside the current year.
    """
    _require_aware(start, end)
    show_year = _other_year(tz, now, start, end)
    bl = _babel(locale)
    first = format_datetime(start, _pattern(locale, "short", show_year), tzinfo=tz, locale=bl)
    if start.astimezone(tz).date() == end.astimezone(tz).date():
        return f"{first}{_DASH}{format_datetime(end, _pattern(locale, 'time', False), tzinfo=tz, locale=bl)}"
    return (
        f"{first} {_DASH} {format_datetime(end, _pattern(locale, 'short', show_year), tzinfo=tz, locale=bl)}"
    )


def format_time_of_day(value: time, locale: str) -> str:
    """A wall-clock time alone: "9.00" / "09:00" (quiet hours, opening times)."""
    return format_time(value, _pattern(locale, "time", False), locale=babel_locale(locale))


def format_time_range(start: time, end: time, locale: str) -> str:
    """Two wall-clock times joined by an en dash: "22.00–8.00" / "22:00–08:00"."""
    return f"{format_time_of_day(start, locale)}{_DASH}{format_time_of_day(end, locale)}"


def countdown_unit(left: timedelta) -> tuple[Unit, int]:
    """How much time is left in the unit a person reads best, never 0: days from two days on, hours from one
    hour, minutes below ("1 minute" for the last seconds). The count is rounded in that unit."""
    minutes = max(1, round(left.total_seconds() / 60))
    if minutes >= 48 * 60:
        return "day", round(minutes / (24 * 60))
    if minutes >= 60:
        return "hour", round(minutes / 60)
    return "minute", minutes


def _duration_units(total: float, max_units: int) -> tuple[list[tuple[Unit, int]], int]:
    """The units to show (the largest present and the next ones) and `total` rounded to the smallest."""
    rounded = round(total)
    for _ in range(len(_DURATION_UNITS) + 1):  # each carry moves to a larger unit, so this settles quickly
        first = next(
            (i for i, (_, size) in enumerate(_DURATION_UNITS) if rounded >= size), len(_DURATION_UNITS) - 1
        )
        shown = _DURATION_UNITS[first : first + max_units]
        smallest = shown[-1][1]
        new = int(total / smallest + 0.5) * smallest  # half up, not Python's half to even
        if new == rounded:  # stable: rounding didn't carry into a larger unit (59.6 s -> 1 min)
            break
        rounded = new
    return shown, new


def _format_unit(seconds: int, unit: Unit, length: Length, locale: str) -> str:
    # granularity + a huge threshold: exactly this unit, never rounded up ("23 hours" stays, not "1 day").
    return format_timedelta(
        timedelta(seconds=seconds), granularity=unit, threshold=_NO_ROUNDING_UP, format=length, locale=locale
    )


def format_duration(
    value: float | timedelta, locale: str, *, max_units: int = 2, length: Length = "long"
) -> str:
    """Render a duration (seconds or a timedelta) as up to `max_units` units: "1 tunti ja 30 minuuttia",
    "1 hour and 30 minutes"; the smallest unit shown is rounded. Negative durations render as positive."""
    if max_units < 1:
        raise ValueError("max_units must be at least 1")
    total = abs(value.total_seconds() if isinstance(value, timedelta) else float(value))
    bl = babel_locale(locale)
    shown, total = _duration_units(total, max_units)
    parts: list[str] = []
    for unit, size in shown:
        count, total = divmod(total, size)
        if count:
            parts.append(_format_unit(count * size, unit, length, bl))
    if not parts:
        return _format_unit(0, "second", length, bl)
    return format_list(parts, locale=bl)


def format_relative(
    value: float | timedelta, locale: str, *, unit: Unit | None = None, length: Length = "long"
) -> str:
    """How far ahead or back, in Babel's words and plural forms: "in 3 hours" / "3 tunnin päästä", "in 1 hour" /
    "1 tunnin päästä", "2 days ago" / "2 päivää sitten". Babel picks the unit unless `unit` is given; then the
    amount is in exactly that unit, rounded, and at least 1 unless it is 0 ("in 26 hours", never "in 1 day")."""
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if unit is None:
        return format_timedelta(delta, add_direction=True, format=length, locale=babel_locale(locale))
    return format_timedelta(delta, granularity=unit, threshold=_NO_ROUNDING_UP, add_direction=True, format=length,
                            locale=babel_locale(locale))


def format_number(n: float | Decimal, locale: str) -> str:
    """Render a number with the locale's separators: "1 234,5" (with no-break spaces) / "1,234.5"."""
    return format_decimal(n, locale=babel_locale(locale))
