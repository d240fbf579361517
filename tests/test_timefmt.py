"""Babel renderings of dates, ranges, durations and numbers, exactly, in Finnish and British English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.timefmt import babel_locale, format_duration, format_number, format_range, format_when

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINTER = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Friday 18:00 EET (UTC+2)
SUMMER = datetime(2026, 7, 3, 15, 0, tzinfo=UTC)  # Friday 18:00 EEST (UTC+3)
NEXT_YEAR = datetime(2027, 1, 8, 16, 0, tzinfo=UTC)  # Friday 18:00 EET


@pytest.mark.parametrize(
    ("dt", "locale", "style", "expected"),
    [
        (WINTER, "fi", "full", "perjantaina 4.12. klo 18.00"),
        (WINTER, "fi", "short", "pe 4.12. klo 18.00"),
        (WINTER, "fi", "date", "4.12.2026"),
        (WINTER, "fi", "time", "18.00"),
        (WINTER, "en", "full", "Friday 4 December at 18:00"),
        (WINTER, "en", "short", "Fri 4 Dec 18:00"),
        (WINTER, "en", "date", "4 Dec 2026"),
        (WINTER, "en", "time", "18:00"),
        # Summer time: the same wall clock from a UTC time one hour earlier.
        (SUMMER, "fi", "full", "perjantaina 3.7. klo 18.00"),
        (SUMMER, "fi", "short", "pe 3.7. klo 18.00"),
        (SUMMER, "en", "full", "Friday 3 July at 18:00"),
        (SUMMER, "en", "time", "18:00"),
        # Another year: shown in full and short.
        (NEXT_YEAR, "fi", "full", "perjantaina 8.1.2027 klo 18.00"),
        (NEXT_YEAR, "fi", "short", "pe 8.1.2027 klo 18.00"),
        (NEXT_YEAR, "fi", "date", "8.1.2027"),
        (NEXT_YEAR, "fi", "time", "18.00"),
        (NEXT_YEAR, "en", "full", "Friday 8 January 2027 at 18:00"),
        (NEXT_YEAR, "en", "short", "Fri 8 Jan 2027 18:00"),
        (NEXT_YEAR, "en", "date", "8 Jan 2027"),
        # Other weekdays, morning and minutes.
        (datetime(2026, 11, 30, 7, 5, tzinfo=UTC), "fi", "full", "maanantaina 30.11. klo 9.05"),
        (datetime(2026, 11, 30, 7, 5, tzinfo=UTC), "en", "full", "Monday 30 November at 09:05"),
        (datetime(2026, 11, 29, 10, 0, tzinfo=UTC), "fi", "short", "su 29.11. klo 12.00"),
    ],
)
def test_format_when(dt: datetime, locale: str, style: str, expected: str) -> None:
    assert format_when(dt, locale, HELSINKI, style, now=NOW) == expected


def test_year_is_judged_in_the_display_zone() -> None:
    # 31 Dec 2026 23:30 UTC is already 1 Jan 2027 in Helsinki; "now" is New Year's Eve in Helsinki.
    dt = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    eve = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    assert format_when(dt, "fi", HELSINKI, "short", now=eve) == "pe 1.1.2027 klo 1.30"
    new_year = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
    assert format_when(dt, "fi", HELSINKI, "short", now=new_year) == "pe 1.1. klo 1.30"


def test_input_in_any_zone_renders_in_the_given_zone() -> None:
    same_instant = WINTER.astimezone(ZoneInfo("America/New_York"))
    assert format_when(same_instant, "en", HELSINKI, "short", now=NOW) == "Fri 4 Dec 18:00"


def test_now_defaults_to_current_time() -> None:
    this_year = datetime.now(HELSINKI).replace(month=6, day=15, hour=12, minute=0, second=0, microsecond=0)
    assert str(this_year.year) not in format_when(this_year, "en", HELSINKI, "full")
    far = this_year.replace(year=this_year.year + 3)
    assert str(far.year) in format_when(far, "en", HELSINKI, "full")


def test_naive_and_unknown_style_are_errors() -> None:
    with pytest.raises(ValueError):
        format_when(datetime(2026, 12, 4, 18, 0), "fi", HELSINKI)
    with pytest.raises(ValueError):
        format_when(WINTER, "fi", HELSINKI, "long")


@pytest.mark.parametrize(
    ("start", "end", "locale", "expected"),
    [
        (WINTER, WINTER + timedelta(hours=2), "fi", "pe 4.12. klo 18.00\u201320.00"),
        (WINTER, WINTER + timedelta(hours=2), "en", "Fri 4 Dec 18:00\u201320:00"),
        (WINTER, WINTER + timedelta(hours=8), "fi", "pe 4.12. klo 18.00 \u2013 la 5.12. klo 2.00"),
        (WINTER, WINTER + timedelta(hours=8), "en", "Fri 4 Dec 18:00 \u2013 Sat 5 Dec 02:00"),
        (SUMMER, SUMMER + timedelta(minutes=90), "fi", "pe 3.7. klo 18.00\u201319.30"),
        (NEXT_YEAR, NEXT_YEAR + timedelta(hours=2), "en", "Fri 8 Jan 2027 18:00\u201320:00"),
        (
            datetime(2026, 12, 31, 18, 0, tzinfo=UTC),
            datetime(2027, 1, 1, 2, 0, tzinfo=UTC),
            "fi",
            "to 31.12.2026 klo 20.00 \u2013 pe 1.1.2027 klo 4.00",
        ),
    ],
)
def test_format_range(start: datetime, end: datetime, locale: str, expected: str) -> None:
    assert format_range(start, end, locale, HELSINKI, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (0, "fi", "0 sekuntia"),
        (0, "en", "0 seconds"),
        (1, "fi", "1 sekunti"),
        (45, "en", "45 seconds"),
        (90, "fi", "1 minuutti ja 30 sekuntia"),
        (5400, "fi", "1 tunti ja 30 minuuttia"),
        (5400, "en", "1 hour and 30 minutes"),
        (timedelta(hours=2), "fi", "2 tuntia"),
        (timedelta(hours=23), "en", "23 hours"),  # not rounded up to "1 day"
        (timedelta(days=1, hours=2, minutes=40), "en", "1 day and 3 hours"),  # smallest shown unit rounded
        (timedelta(days=3), "fi", "3 päivää"),
        (59.6, "en", "1 minute"),  # rounding carries into the next unit
        (3599.7, "fi", "1 tunti"),
        (-300, "en", "5 minutes"),
        (timedelta(days=400), "en", "400 days"),
    ],
)
def test_format_duration(value: float | timedelta, locale: str, expected: str) -> None:
    assert format_duration(value, locale) == expected


def test_format_duration_options() -> None:
    value = timedelta(days=1, hours=2, minutes=40)
    assert format_duration(value, "en", max_units=3) == "1 day, 2 hours and 40 minutes"
    assert format_duration(value, "fi", max_units=3) == "1 päivä, 2 tuntia ja 40 minuuttia"
    assert format_duration(5400, "fi", length="short") == "1 t ja 30 min"
    assert format_duration(5400, "en", length="short") == "1 hr and 30 mins"
    with pytest.raises(ValueError):
        format_duration(5, "en", max_units=0)


@pytest.mark.parametrize(
    ("n", "locale", "expected"),
    [
        (1234567.5, "fi", "1\xa0234\xa0567,5"),
        (1234567.5, "en", "1,234,567.5"),
        (42, "fi", "42"),
        (Decimal("0.25"), "fi", "0,25"),
        (Decimal("0.25"), "en", "0.25"),
    ],
)
def test_format_number(n: float | Decimal, locale: str, expected: str) -> None:
    assert format_number(n, locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fi", "fi_FI"),
        ("en", "en_GB"),
        ("FI", "fi_FI"),
        ("fi-FI", "fi_FI"),
        ("en_US", "en_US"),
        ("sv", "en_GB"),
        ("", "en_GB"),
        ("en_XX", "en_GB"),
    ],
)
def test_babel_locale(locale: str, expected: str) -> None:
    assert babel_locale(locale) == expected
