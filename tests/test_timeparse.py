"""parse_when: Finnish and English phrases, defaults, DST edges, ISO round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timeparse import DEFAULT_TIME, parse_when, read_when, warm_up

HELSINKI = ZoneInfo("Europe/Helsinki")
# Thursday 26 November 2026, 14:00 in Helsinki (UTC+2).
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=HELSINKI)


def local(text: str, locale: str = "fi", now: datetime = NOW) -> datetime | None:
    """parse_when, checked to be aware UTC, returned as naive Helsinki wall time for readable tables."""
    result = parse_when(text, locale, HELSINKI, now)
    if result is None:
        return None
    assert result.tzinfo is UTC
    return result.astimezone(HELSINKI).replace(tzinfo=None)


def wall(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute)


FINNISH = [
    ("pe 18.00", wall(11, 27, 18)),
    ("pe klo 18", wall(11, 27, 18)),
    ("Pe klo 18", wall(11, 27, 18)),
    ("perjantaina 18:00", wall(11, 27, 18)),
    ("perjantaina", wall(11, 27, 9)),
    ("1.12. klo 18", wall(12, 1, 18)),
    ("1.12.2026 18.30", wall(12, 1, 18, 30)),
    ("1.12. 18:00", wall(12, 1, 18)),
    ("1.12 klo 18", wall(12, 1, 18)),
    ("1.12.", wall(12, 1, 9)),
    ("1.12.26 klo 18", wall(12, 1, 18)),
    ("ti 1.12. klo 18", wall(12, 1, 18)),
    ("1.12. 18", wall(12, 1, 18)),
    ("huomenna klo 9", wall(11, 27, 9)),
    ("huomenna 9.30", wall(11, 27, 9, 30)),
    ("huomenna kello 9", wall(11, 27, 9)),
    ("huomenna", wall(11, 27, 9)),
    ("ylihuomenna 12", wall(11, 28, 12)),
    ("ylihuomenna", wall(11, 28, 9)),
    ("ensi maanantaina klo 10", wall(11, 30, 10)),
    ("ensi viikon maanantaina", wall(11, 30, 9)),
    ("tulevana tiistaina 14", wall(12, 1, 14)),
    ("maanantaina", wall(11, 30, 9)),
    ("su 12", wall(11, 29, 12)),
    ("tänään 17", wall(11, 26, 17)),
    ("klo 18", wall(11, 26, 18)),
    ("klo 9", wall(11, 27, 9)),  # already past today -> tomorrow
    ("18.15", wall(11, 26, 18, 15)),
    ("2 tunnin päästä", wall(11, 26, 16)),
    ("kahden tunnin päästä", wall(11, 26, 16)),
    ("tunnin päästä", wall(11, 26, 15)),
    ("30 min päästä", wall(11, 26, 14, 30)),
    ("puolen tunnin kuluttua", wall(11, 26, 14, 30)),
    ("3 päivän päästä", wall(11, 29, 14)),
    ("1. joulukuuta klo 18", wall(12, 1, 18)),
    ("joulukuun 1. klo 18", wall(12, 1, 18)),
    ("24.12.", wall(12, 24, 9)),
]

ENGLISH = [
    ("tomorrow 18:00", wall(11, 27, 18)),
    ("tomorrow at 6pm", wall(11, 27, 18)),
    ("Tomorrow at 6 p.m.", wall(11, 27, 18)),
    ("friday 18:00", wall(11, 27, 18)),
    ("on Friday at 18", wall(11, 27, 18)),
    ("next monday 10am", wall(11, 30, 10)),
    ("day after tomorrow 12:00", wall(11, 28, 12)),
    ("in 2 hours", wall(11, 26, 16)),
    ("in 30 minutes", wall(11, 26, 14, 30)),
    ("in half an hour", wall(11, 26, 14, 30)),
    ("in 2 days at 18", wall(11, 28, 18)),
    ("1 Dec 18:00", wall(12, 1, 18)),
    ("1 Dec", wall(12, 1, 9)),
    ("December 1 at 18:00", wall(12, 1, 18)),
    ("dec 1st 6:30 pm", wall(12, 1, 18, 30)),
    ("1 Dec 2027 18:00", wall(12, 1, 18, year=2027)),
    ("6pm", wall(11, 26, 18)),
    ("12am", wall(11, 27, 0)),
    ("1/12 18:00", wall(12, 1, 18)),
]

ISO = [
    ("2026-12-01T18:00", wall(12, 1, 18)),
    ("2026-12-01 18:00", wall(12, 1, 18)),
    ("2026-12-01T18:00:00", wall(12, 1, 18)),
    ("2026-12-01", wall(12, 1, 9)),
    ("2026-12-01T18:00+02:00", wall(12, 1, 18)),
    ("2026-12-01T18:00+00:00", wall(12, 1, 20)),  # explicit offset respected
    ("2026-12-01T16:00Z", wall(12, 1, 18)),
]


@pytest.mark.parametrize(("text", "expected"), FINNISH + ENGLISH + ISO)
def test_phrases(text: str, expected: datetime) -> None:
    assert local(text, "fi") == expected


@pytest.mark.parametrize(("text", "expected"), FINNISH + ENGLISH + ISO)
def test_both_languages_whatever_the_locale(text: str, expected: datetime) -> None:
    assert local(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    ["blah", "", "   ", "32.13.", "31.2.2027", "25:00", "klo 24", "13pm", "18", "1.12. blah", "x" * 500,
     "huomenna blah", "2026-13-01T10:00", "pe 99.99", "in 2", "dec", "1. 2 18"],
)  # fmt: skip
def test_unreadable_gives_none(text: str) -> None:
    assert parse_when(text, "fi", HELSINKI, NOW) is None


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow at 6pm the",
        "in 2 hours the",
        "2 tunnin päästä soita",
        "1 Dec 18:00 party",
        "1. joulukuuta tunti",
        "huomenna klo 9 2",
        "pe 18.00 on",
        "1.12. klo 18 to",
        "18.15 to",
        "klo 18 la",
        "tomorrow evening",
        "December 1 at 18:00 of",
    ],
)
def test_trailing_words_are_not_swallowed(text: str) -> None:
    # The command parser finds where a date ends by trying shorter and shorter word runs: a phrase with a
    # word the date doesn't use must not read as a date, or "/remind 18.15 to buy milk" would lose "to".
    assert parse_when(text, "fi", HELSINKI, NOW) is None


def test_weekday_means_future() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=HELSINKI)
    assert local("pe 18.00", now=saturday) == wall(12, 4, 18)
    friday_afternoon = datetime(2026, 11, 27, 14, 0, tzinfo=HELSINKI)
    assert local("pe 18.00", now=friday_afternoon) == wall(11, 27, 18)  # still ahead today
    assert local("pe 12.00", now=friday_afternoon) == wall(12, 4, 12)  # already past -> next week
    assert local("next friday 18:00", now=friday_afternoon) == wall(12, 4, 18)  # "next" is never today
    assert local("torstaina") == wall(12, 3, 9)  # today's 09:00 is past


def test_a_passed_day_month_stays_this_year_never_moved_to_next_year_in_silence() -> None:
    # Issue 20: "1.12. klo 18" typed on 1.12. at 20.28 was announced for 2027. It stays in the past, so a
    # command that wants the future refuses it and says why.
    assert local("1.11.") == wall(11, 1, 9)
    assert local("26.11. klo 12") == wall(11, 26, 12)
    assert local("26.11. klo 15") == wall(11, 26, 15)
    assert local("1 Nov 10:00") == wall(11, 1, 10)
    assert local("29.2.") == wall(2, 29, 9, year=2028)  # this year has no such date: the next that has it
    new_years_eve = datetime(2026, 12, 31, 20, 0, tzinfo=HELSINKI)
    assert local("1.1. klo 12", now=new_years_eve) == wall(1, 1, 12)
    assert local("huomenna", now=new_years_eve) == wall(1, 1, 9, year=2027)


def test_a_reading_tells_whether_a_time_of_day_was_typed() -> None:
    now = datetime(2026, 11, 26, 14, 0, tzinfo=HELSINKI)
    for text, has_time in (("ylihuomenna", False), ("4.12.", False), ("pe", False), ("2026-12-04", False),
                           ("4.12. klo 18", True), ("pe 18.00", True), ("2026-12-04 18:00", True),
                           ("2 tunnin päästä", True), ("in 2 days", False)):
        reading = read_when(text, "fi", HELSINKI, now)
        assert reading is not None and reading.has_time is has_time, text


def test_explicit_year_and_day_words_are_taken_as_typed() -> None:
    assert local("1.11.2026 10.00") == wall(11, 1, 10)  # in the past; the caller decides
    assert local("tänään 9") == wall(11, 26, 9)
    assert local("eilen klo 12") == wall(11, 25, 12)
    assert local("yesterday") == wall(11, 25, 9)
    assert local("toissapäivänä") == wall(11, 24, 9)


def test_default_time_is_nine() -> None:
    assert DEFAULT_TIME.hour == 9 and DEFAULT_TIME.minute == 0


def test_now_in_another_zone_is_converted() -> None:
    now_utc = NOW.astimezone(UTC)
    assert parse_when("klo 18", "fi", HELSINKI, now_utc) == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_when("klo 18", "fi", HELSINKI, datetime(2026, 11, 26, 14, 0))


# --- DST: Helsinki moves from UTC+2 to UTC+3 at 03:00 on 28 March 2027 and back at 04:00 on 25 Oct 2026.

SPRING_NOW = datetime(2027, 3, 20, 12, 0, tzinfo=HELSINKI)
AUTUMN_NOW = datetime(2026, 10, 20, 12, 0, tzinfo=HELSINKI)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("27.3. klo 12", SPRING_NOW, utc(2027, 3, 27, 10)),  # winter time, +02:00
        ("28.3. klo 12", SPRING_NOW, utc(2027, 3, 28, 9)),  # summer time, +03:00
        ("28.3. klo 2.30", SPRING_NOW, utc(2027, 3, 28, 0, 30)),  # just before the gap
        ("28.3. klo 4.00", SPRING_NOW, utc(2027, 3, 28, 1)),  # just after the gap
        ("28.3. klo 3.30", SPRING_NOW, utc(2027, 3, 28, 1, 30)),  # in the gap: pre-transition offset (04:30)
        ("su 12", SPRING_NOW, utc(2027, 3, 21, 10)),
        ("2027-03-28T03:30", SPRING_NOW, utc(2027, 3, 28, 1, 30)),
        ("24.10. klo 12", AUTUMN_NOW, utc(2026, 10, 24, 9)),  # summer time, +03:00
        ("25.10. klo 12", AUTUMN_NOW, utc(2026, 10, 25, 10)),  # winter time, +02:00
        ("25.10. klo 3.30", AUTUMN_NOW, utc(2026, 10, 25, 0, 30)),  # ambiguous: first (summer) occurrence
        ("sunnuntaina klo 12", AUTUMN_NOW, utc(2026, 10, 25, 10)),
    ],
)
def test_dst_edges(text: str, now: datetime, expected: datetime) -> None:
    assert parse_when(text, "fi", HELSINKI, now) == expected


def test_duration_across_dst_is_elapsed_time() -> None:
    # 02:30 local on the spring-forward night is 00:30 UTC; two hours later is 02:30 UTC = 05:30 EEST.
    night = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert parse_when("in 2 hours", "en", HELSINKI, night) == utc(2027, 3, 28, 2, 30)
    assert parse_when("2 tunnin päästä", "fi", HELSINKI, night) == utc(2027, 3, 28, 2, 30)


# --- properties -------------------------------------------------------------------------------------------

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 12, 31), timezones=offsets
)


@given(aware_datetimes, st.sampled_from(["T", " "]))
def test_iso_with_offset_round_trips(dt: datetime, sep: str) -> None:
    assert parse_when(dt.isoformat(sep), "fi", HELSINKI, NOW) == dt


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 12, 31)))
def test_naive_iso_is_helsinki_wall_time(dt: datetime) -> None:
    # Typed text carries no fold: an hour that occurs twice (October) reads as its first time, as documented.
    expected = dt.replace(tzinfo=HELSINKI, fold=0).astimezone(UTC)
    assert parse_when(dt.isoformat(), "en", HELSINKI, NOW) == expected


@given(st.text(max_size=40))
def test_never_raises_on_user_input(text: str) -> None:
    result = parse_when(text, "fi", HELSINKI, NOW)
    assert result is None or result.tzinfo is UTC


def test_warm_up_runs() -> None:
    warm_up()


def test_an_english_weekday_before_a_date_reads_as_the_bot_shows_dates() -> None:
    # Issue 20: "Fri 4 Dec 18:00" is how the bot itself writes a date in English; copied back, it was refused.
    assert local("Fri 4 Dec 18:00", "en") == wall(12, 4, 18)
    assert local("Friday, 4 December", "en") == wall(12, 4, 9)
    assert local("Thu 4 Dec 18:00", "en") is None  # the weekday must be the date's own
    assert local("Fri 4 Dec 18:00 the", "en") is None  # nothing is skipped, as before
