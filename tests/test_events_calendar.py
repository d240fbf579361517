"""Recurring events across daylight-saving changes, the .ics export, the weekly digest, restarts and the
personal-data hooks of the events cog."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import icalendar
from dateutil.rrule import rrulestr

from bot.context import ServiceContext
from bot.testing import ConsoleBot, texts
from cogs.events import cog
from cogs.events.common import queries
from cogs.events.recurrence import occurrences
from tests.test_events import card, create, every_week, going

SPRING = ('/event create title="Online coffee" start="2027-03-20 18:00" where=online link=https://meet.example/c '
          'description=Coffee repeat=weekly until=10.4.2027')


def calendar_of(printed: list) -> icalendar.Calendar:  # type: ignore[type-arg]
    data = next(p.file_data["humako-events.ics"] for p in printed if p.file_data)
    return icalendar.Calendar.from_ical(data)


def expand(vevent: icalendar.Event) -> list[datetime]:
    start = vevent.decoded("dtstart")
    rule = rrulestr(vevent["rrule"].to_ical().decode(), dtstart=start)
    return [moment.astimezone(UTC) for moment in rule]


async def test_ics_has_a_vtimezone_and_an_rrule_that_keeps_18_local_over_the_spring_change(bot: ConsoleBot) -> None:
    await create(bot, SPRING)
    await create(bot, '/event create title=Quiz start="4.12. klo 18" end="4.12. klo 21" where=helsinki description=x')
    printed = await bot.say("/event ics", as_="Sanni")
    assert any("humako-events.ics" in p.files for p in printed)
    calendar = calendar_of(printed)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    quiz = events["Quiz"]
    assert quiz["dtstart"].params["TZID"] == "Europe/Helsinki"
    assert quiz.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert quiz.decoded("dtend").astimezone(UTC) == datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    assert str(quiz["location"]) == "Helsinki"
    coffee = events["Online coffee"]
    assert coffee["rrule"]["FREQ"] == ["WEEKLY"] and coffee["rrule"]["INTERVAL"] == [1]
    assert b"UNTIL=20270410T150000Z" in coffee["rrule"].to_ical()
    # 18:00 in Helsinki is 16:00 UTC in winter and 15:00 UTC from 28.3.2027 on.
    assert expand(coffee) == [datetime(2027, 3, 20, 16, tzinfo=UTC), datetime(2027, 3, 27, 16, tzinfo=UTC),
                              datetime(2027, 4, 3, 15, tzinfo=UTC), datetime(2027, 4, 10, 15, tzinfo=UTC)]


async def test_ics_of_my_events_holds_only_those_i_am_going_to(bot: ConsoleBot) -> None:
    await create(bot, SPRING)
    await create(bot, '/event create title=Quiz start="4.12. klo 18" where=helsinki description=x')
    await going(bot, "Sanni", card(bot, index=1))
    mine = calendar_of(await bot.say("/event ics which=mine", as_="Sanni"))
    assert [str(e["summary"]) for e in mine.walk("VEVENT")] == ["Quiz"]


async def test_weekly_series_keeps_its_local_hour_over_the_autumn_change(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, now=datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    try:
        await create(bot, '/event create title=Kerho start="2026-10-17 18:00" where=turku description=x '
                          'repeat=weekly until=7.11.2026')
        assert "Joka viikko 7.11.2026 asti" in bot.message(card(bot)).text
        await every_week(bot, "Sanni", card(bot))
        coffee = calendar_of(await bot.say("/event ics", as_="Sanni")).walk("VEVENT")[0]
        assert expand(coffee) == [datetime(2026, 10, 17, 15, tzinfo=UTC), datetime(2026, 10, 24, 15, tzinfo=UTC),
                                  datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 7, 16, tzinfo=UTC)]
        await bot.wait("703h")  # 30.10. 16:00 UTC: 24 hours before the first occurrence after the change
        reminders = [p.text for p in bot.sent_to("@sanni") if "Muistutus" in p.text]
        assert reminders and "Aikaa on 24 tuntia (la 31.10. klo 18.00)" in reminders[-1]
        assert "klo 18.00" in texts(await bot.say("/event list", as_="Sanni"))
    finally:
        await bot.stop()


async def test_digest_posts_the_coming_weeks_events_on_monday_morning(bot: ConsoleBot) -> None:
    await create(bot, '/event create title=Soon start="1.12. klo 18" where=helsinki description=x')
    await create(bot, '/event create title=Webinar start="3.12. klo 10" where=online link=https://m.example/w '
                      'description=x')
    await create(bot, '/event create title=Later start="20.12. klo 18" where=helsinki description=x')
    await bot.wait("90h")  # Monday 30.11. 06:00 UTC, before 09:00 Helsinki
    assert not [p for p in bot.sent_to("#announcements") if "Tämän viikon tapahtumat" in p.text]
    await bot.wait("1h")  # 07:00 UTC = 09:00 Helsinki
    digests = [p for p in bot.sent_to("#announcements") if "Tämän viikon tapahtumat" in p.text]
    assert len(digests) == 1
    text = digests[0].text
    assert text.index("Soon (#1)") < text.index("Webinar (#2)") and "Later" not in text
    assert "ti 1.12. klo 18.00" in text and "Verkossa" in text
    assert bot.sent_to("#international") == []  # no English events this week


async def test_digest_lists_english_events_in_english_for_international_students(bot: ConsoleBot) -> None:
    await create(bot, '/event create title=Soon start="1.12. klo 18" where=helsinki description=x')
    await create(bot, '/event create title="Game night" start="2.12. klo 18" where=helsinki description=x '
                      'language=both')
    await bot.wait("91h")  # Monday 30.11. 09:00 Helsinki
    [digest] = [p for p in bot.sent_to("#international") if "Events this week" in p.text]
    assert "Game night (#2)" in digest.text and "Wed 2 Dec 18:00" in digest.text and "Soon" not in digest.text


async def test_digest_in_a_week_without_events_posts_nothing(bot: ConsoleBot) -> None:
    await create(bot, '/event create title=Later start="20.12. klo 18" where=helsinki description=x')
    await bot.wait("4d")
    assert not [p for p in bot.sent_to("#announcements") if "Tämän viikon tapahtumat" in p.text]


async def test_reminders_survive_a_restart(tmp_path: Path) -> None:
    first = await ConsoleBot.start(tmp_path)
    await create(first, '/event create title=Quiz start="4.12. klo 18" where=helsinki description=x')
    await going(first, "Sanni", card(first))
    await first.stop()
    # Back up on 3.12. at 17:00 UTC: the 24-hour reminder (16:00) was missed while down and is sent late.
    second = await ConsoleBot.start(tmp_path, now=datetime(2026, 12, 3, 17, 0, tzinfo=UTC))
    try:
        await second.app.settle()
        reminders = [p.text for p in second.sent_to("@sanni") if "Muistutus" in p.text]
        assert len(reminders) == 1 and "myöhässä" in reminders[0]
    finally:
        await second.stop()


async def test_personal_data_export_and_forget(bot: ConsoleBot) -> None:
    await create(bot, '/event create title=Quiz start="4.12. klo 18" where=helsinki description=x capacity=1')
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Aino", number)
    sanni = (await bot.app.people.find_by_name("Sanni"))[0]
    olli = (await bot.app.people.find_by_name("Olli"))[0]
    ctx = ServiceContext(bot.app)
    exported = await cog.exporters[0](ctx, sanni.id)
    assert exported["rsvps"][0]["title"] == "Quiz" and exported["rsvps"][0]["answer"] == "yes"
    await cog.forgetters[0](ctx, sanni.id)
    await bot.app.settle()
    assert (await cog.exporters[0](ctx, sanni.id))["rsvps"] == []
    assert any("vapautui paikka" in p.text for p in bot.sent_to("@aino"))  # her place passed on
    await cog.forgetters[0](ctx, olli.id)
    assert await bot.app.db.fetchval("SELECT organiser_id FROM events WHERE id = 1") is None
    assert "Quiz" in texts(await bot.say("/event list", as_="Sanni"))


async def test_ics_rrule_of_a_biweekly_series_gives_the_bots_own_times_over_the_autumn_change(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, now=datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    try:
        await create(bot, '/event create title=Kerho start="2026-10-13 03:30" where=turku description=x '
                          'repeat=biweekly until=24.11.2026')
        event = await queries(ServiceContext(bot.app)).get(1)
        assert event is not None
        vevent = calendar_of(await bot.say("/event ics", as_="Sanni")).walk("VEVENT")[0]
        assert vevent["rrule"]["INTERVAL"] == [2]
        # 03:30 every other Tuesday: summer time (00:30 UTC) until 25.10., winter time (01:30 UTC) after.
        assert expand(vevent) == occurrences(event) == [
            datetime(2026, 10, 13, 0, 30, tzinfo=UTC), datetime(2026, 10, 27, 1, 30, tzinfo=UTC),
            datetime(2026, 11, 10, 1, 30, tzinfo=UTC), datetime(2026, 11, 24, 1, 30, tzinfo=UTC)]
    finally:
        await bot.stop()
