"""bot/recurrence.py: RFC 5545 rules kept at their Helsinki wall-clock time over the March and October changes,
the first occurrence kept as given, bounded expansion, and RRULE text that calendar libraries read back into
the same occurrences."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.recurrence import MAX_OCCURRENCES, MAX_YEARS, Recurrence, Rule, RuleError
from bot.timeparse import local_to_utc

HELSINKI = ZoneInfo("Europe/Helsinki")
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# The changes in these years: 29.3./25.10.2026, 28.3./31.10.2027, 26.3./29.10.2028 (03:00-04:00 local).
CHANGE_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31), date(2028, 3, 26),
               date(2028, 10, 29)]

slow = settings(deadline=None, max_examples=150)  # never time-box on a busy machine


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def exists(wall: datetime) -> bool:
    """Whether a wall-clock time exists in Helsinki (not skipped by the March change)."""
    back = wall.replace(tzinfo=HELSINKI).astimezone(UTC).astimezone(HELSINKI).replace(tzinfo=None)
    return back == wall


@st.composite
def walls(draw: st.DrawFn) -> datetime:
    """Local wall times, often in the hour a change skips or repeats, within a few months before a change."""
    change = draw(st.sampled_from(CHANGE_DAYS))
    day = change - timedelta(days=draw(st.integers(0, 120)))
    hour = draw(st.one_of(st.just(3), st.integers(0, 23)))
    minute = draw(st.sampled_from([0, 1, 30, 59]))
    return datetime(day.year, day.month, day.day, hour, minute)


def expected_dates(first: date, preset: str, interval: int, until: date) -> list[date]:
    """An oracle independent of dateutil: the local days a preset gives, the first included."""
    if preset == "monthly":
        days, k = [], 0
        while True:
            month0 = first.month - 1 + k * interval
            year, month = first.year + month0 // 12, month0 % 12 + 1
            if date(year, month, 1) > until:
                return days
            if first.day <= calendar.monthrange(year, month)[1]:  # RFC 5545: a month without the day is skipped
                day = date(year, month, first.day)
                if day <= until:
                    days.append(day)
            k += 1
    step = timedelta(days={"daily": 1, "weekly": 7, "biweekly": 14}[preset] * interval)
    days = []
    day = first
    while day <= until or not days:
        days.append(day)
        day += step
    return days


@slow
@given(walls(), st.sampled_from(["daily", "weekly", "biweekly", "monthly"]), st.integers(1, 3),
       st.integers(0, 400))
@example(datetime(2027, 3, 21, 3, 30), "weekly", 1, 14)  # 28.3. 03:30 does not exist
@example(datetime(2026, 10, 18, 3, 30), "weekly", 1, 14)  # 25.10. 03:30 happens twice
@example(datetime(2027, 3, 1, 3, 0), "daily", 1, 40)
@example(datetime(2028, 1, 26, 3, 59), "monthly", 1, 100)
def test_every_occurrence_keeps_its_local_wall_clock_time(start: datetime, preset: str, interval: int,
                                                         days: int) -> None:
    until = start.date() + timedelta(days=days)
    series = Recurrence.preset(start, HELSINKI, preset, interval=interval, until=until)
    occurrences = list(series.occurrences())
    assert [o.wall.date() for o in occurrences] == expected_dates(start.date(), preset, interval, until)
    for occurrence in occurrences:
        assert occurrence.wall.time() == start.time()
        local = occurrence.at.astimezone(HELSINKI)
        if exists(occurrence.wall):
            # The wall time itself; when it happens twice (October), its first, summer-time instance.
            assert local.replace(tzinfo=None) == occurrence.wall
            assert local.utcoffset() == occurrence.wall.replace(tzinfo=HELSINKI, fold=0).utcoffset()
        else:
            # Skipped by the March change: local_to_utc's documented rule, an hour later on the wall clock.
            assert occurrence.at == local_to_utc(occurrence.wall, HELSINKI)
            assert local.replace(tzinfo=None) == occurrence.wall + timedelta(hours=1)
    assert series.all() == [o.at for o in occurrences]
    assert all(a < b for a, b in zip(series.all(), series.all()[1:], strict=False))


@slow
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)),
       st.sampled_from(["daily", "weekly", "biweekly", "monthly"]))
@example(utc(2026, 10, 25, 1, 30), "weekly")  # 03:30 the second time (winter time) on the October change day
@example(utc(2026, 10, 25, 0, 30), "daily")
@example(utc(2026, 3, 28, 1, 0), "daily")  # 03:00 the next day does not exist (the March change): 04:00
def test_the_first_occurrence_is_kept_exactly_as_given(start: datetime, preset: str) -> None:
    series = Recurrence.preset(start, HELSINKI, preset, count=5)
    starts = series.all()
    assert starts[0] == start and len(starts) == 5
    assert series.next_after(start - timedelta(microseconds=1)) == start
    later, first_time = starts[1].astimezone(HELSINKI), start.astimezone(HELSINKI).time()
    # The same wall time, unless the March change skips it on that day (then an hour later: local_to_utc's rule).
    meant = datetime.combine(later.date(), first_time)
    assert later.time() == first_time or not exists(meant)


def test_a_daily_0330_over_the_october_change_fires_once_that_day() -> None:
    series = Recurrence.preset(datetime(2026, 10, 24, 3, 30), HELSINKI, "daily")
    assert series.next_after(utc(2026, 10, 24, 1, 0)) == utc(2026, 10, 25, 0, 30)  # 03:30 summer time
    assert series.next_after(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)  # not 03:30 winter time
    assert series.between(utc(2026, 10, 24), utc(2026, 10, 27)) == [
        utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_expansion_is_bounded() -> None:
    endless = Recurrence.preset(datetime(2026, 12, 1, 9, 0), HELSINKI, "daily")
    assert not endless.finite and endless.last() is None
    assert len(endless.all()) == MAX_OCCURRENCES
    assert len(endless.all(limit=7)) == 7
    assert len(endless.between(utc(2026, 1, 1), utc(2200, 1, 1))) == MAX_OCCURRENCES
    assert len(endless.between(utc(2026, 1, 1), utc(2200, 1, 1), limit=3)) == 3
    weekly = Recurrence.preset(datetime(2026, 12, 1, 9, 0), HELSINKI, "weekly")
    last = list(weekly.occurrences())[-1]
    assert last.wall.year == 2026 + MAX_YEARS
    assert weekly.next_after(last.at) is None
    assert weekly.next_after(utc(2026 + MAX_YEARS + 1, 1, 1)) is None


@pytest.mark.parametrize("text", [
    "FREQ=HOURLY", "FREQ=MINUTELY;COUNT=3", "FREQ=DAILY;BYHOUR=9", "FREQ=WEEKLY;BYMONTHDAY=1", "INTERVAL=2",
    "FREQ=WEEKLY;COUNT=3;UNTIL=20270101", f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", "FREQ=WEEKLY;INTERVAL=0",
    "FREQ=WEEKLY;BYDAY=1MO", "FREQ=MONTHLY;BYDAY=6MO", "FREQ=MONTHLY;BYMONTHDAY=32", "FREQ=DAILY;FREQ=WEEKLY",
    "FREQ=WEEKLY;UNTIL=tomorrow", "FREQ", "FREQ=YEARLY;BYSETPOS=1",
])
def test_rules_outside_the_supported_subset_are_refused(text: str) -> None:
    with pytest.raises(RuleError):
        Rule.parse(text)


@pytest.mark.parametrize("text", [
    "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",  # no 30 February, ever
    "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",  # from 2027: only ever years that are not leap years
    "FREQ=DAILY;INTERVAL=14;BYDAY=TU",  # from a Monday in steps of two weeks: never a Tuesday
])
def test_a_rule_that_never_repeats_is_refused_when_built(text: str) -> None:
    with pytest.raises(RuleError, match="never repeats"):
        Recurrence(datetime(2027, 1, 4, 18, 0), HELSINKI, text)


def test_monthly_rules_by_weekday() -> None:
    last_friday = Recurrence(datetime(2027, 1, 29, 18, 0), "Europe/Helsinki", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=4")
    assert [s.astimezone(HELSINKI).date() for s in last_friday.all()] == [
        date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 30)]
    assert [s.astimezone(HELSINKI).hour for s in last_friday.all()] == [18, 18, 18, 18]


def test_one_off_has_no_rule_text() -> None:
    once = Recurrence.preset(utc(2026, 12, 4, 16), HELSINKI, None)
    assert once.all() == [once.start] and once.to_rrule_text() is None and once.last() == once.start
    assert once.next_after(once.start) is None


@st.composite
def rules(draw: st.DrawFn) -> tuple[datetime, Rule]:
    start = draw(walls())
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    byday: tuple[str, ...] = ()
    if freq == "WEEKLY" and draw(st.booleans()):
        # The start's own weekday included: dateutil leaves out a DTSTART the rule does not match.
        others = draw(st.sets(st.sampled_from(WEEKDAYS), max_size=3))
        byday = tuple(d for d in WEEKDAYS if d in others | {WEEKDAYS[start.weekday()]})
    bound = draw(st.sampled_from(["count", "until-date", "until-instant"]))
    count = draw(st.integers(1, 40)) if bound == "count" else None
    until: date | datetime | None = None
    if bound == "until-date":
        until = start.date() + timedelta(days=draw(st.integers(0, 300)))
    elif bound == "until-instant":
        until = local_to_utc(start, HELSINKI) + timedelta(hours=draw(st.integers(0, 24 * 300)))
    return start, Rule(freq, interval=draw(st.integers(1, 3)), count=count, until=until, byday=byday)


@slow
@given(rules())
@example((datetime(2027, 3, 21, 3, 30), Rule("WEEKLY", until=date(2027, 4, 4))))
@example((datetime(2026, 10, 18, 3, 30), Rule("DAILY", count=10)))
def test_rrule_text_round_trips_through_icalendar_and_dateutil(case: tuple[datetime, Rule]) -> None:
    start, rule = case
    series = Recurrence(start, HELSINKI, rule)
    text = series.to_rrule_text()
    assert text is not None
    assert Rule.parse(rule.text()) == rule
    assert Recurrence(start, HELSINKI, text).all() == series.all()
    # What a calendar app gets: a VEVENT with DTSTART;TZID=Europe/Helsinki and the RRULE, written and read back.
    vevent = icalendar.Event()
    vevent.add("dtstart", series.dtstart)
    vevent.add("rrule", icalendar.vRecur.from_ical(text))
    read = icalendar.Event.from_ical(vevent.to_ical())
    expanded = rrulestr(read["rrule"].to_ical().decode(), dtstart=read.decoded("dtstart"))
    assert [moment.astimezone(UTC) for moment in expanded] == series.all()


def test_presets_and_their_text() -> None:
    assert Rule.preset("biweekly", until=date(2027, 4, 10)).text() == "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270410"
    assert Rule.preset("monthly", count=3).text() == "FREQ=MONTHLY;INTERVAL=1;COUNT=3"
    with pytest.raises(RuleError):
        Rule.preset("hourly")
    series = Recurrence.preset(utc(2027, 3, 20, 16), HELSINKI, "weekly", until=date(2027, 4, 10))
    assert series.to_rrule_text() == "FREQ=WEEKLY;INTERVAL=1;UNTIL=20270410T150000Z"
    assert series.last() == utc(2027, 4, 10, 15)


def test_until_as_a_local_wall_time_or_an_instant() -> None:
    local = Recurrence(datetime(2027, 1, 1, 18, 0), HELSINKI, "FREQ=DAILY;UNTIL=20270103T180000")
    assert local.all() == [utc(2027, 1, 1, 16), utc(2027, 1, 2, 16), utc(2027, 1, 3, 16)]
    assert local.to_rrule_text() == "FREQ=DAILY;INTERVAL=1;UNTIL=20270103T160000Z"
    instant = Recurrence(datetime(2027, 1, 1, 18, 0), HELSINKI, "FREQ=DAILY;UNTIL=20270103T155959Z")
    assert instant.all() == [utc(2027, 1, 1, 16), utc(2027, 1, 2, 16)]
    assert instant.next_after(utc(2027, 1, 2, 16)) is None and instant.last() == utc(2027, 1, 2, 16)
