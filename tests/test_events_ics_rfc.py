"""Issue 20, calendar files every reader accepts: SEQUENCE grows with the times, no METHOD without ORGANIZER,
no empty VCALENDAR; and Discord's own calendar gets the place, never a long link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bot.context import ServiceContext
from bot.i18n import render
from bot.testing import ConsoleBot, texts
from cogs.events.cards import calendar_entry
from cogs.events.common import queries
from tests.test_events import QUIZ, create
from tests.test_events_calendar import SPRING, calendar_of
from tests.test_events_manage import WEBINAR


async def sequence(bot: ConsoleBot) -> int:
    [vevent] = calendar_of(await bot.say("/event ics", as_="Sanni")).walk("VEVENT")
    return int(vevent["sequence"])


async def test_sequence_grows_with_every_change(bot: ConsoleBot) -> None:
    await create(bot, QUIZ)
    assert await sequence(bot) == 0
    await bot.say('/event edit event=1 title="Quiz night!"', as_="Olli")
    assert await sequence(bot) == 1  # every edit: subscribed calendars take the new version over
    await bot.say('/event edit event=1 start="5.12. klo 18"', as_="Olli")
    assert await sequence(bot) == 2
    await bot.say('/event edit event=1 end="5.12. klo 22"', as_="Olli")
    assert await sequence(bot) == 3


async def test_the_file_has_no_method_without_an_organizer(bot: ConsoleBot) -> None:
    await create(bot, QUIZ)
    calendar = calendar_of(await bot.say("/event ics", as_="Sanni"))
    assert "METHOD" not in calendar
    assert all("ORGANIZER" not in e for e in calendar.walk("VEVENT"))


async def test_nothing_upcoming_is_said_in_words_not_an_empty_file(bot: ConsoleBot) -> None:
    printed = await bot.say("/event ics", as_="Sanni")
    assert not any(p.file_data for p in printed) and "Tulevia tapahtumia ei ole" in texts(printed)
    await create(bot, QUIZ)
    mine = await bot.say("/event ics which=mine", as_="Sanni")
    assert not any(p.file_data for p in mine) and "Et ole tulossa" in texts(mine)


async def test_discords_calendar_gets_the_place_not_a_long_link(bot: ConsoleBot) -> None:
    long_link = "https://meet.example/" + "a" * 400
    await create(bot, WEBINAR.replace("https://meet.example/humako", long_link))
    event = await queries(ServiceContext(bot.app)).get(1)
    assert event is not None
    entry = calendar_entry(ServiceContext(bot.app), event)
    assert "meet.example" not in str(entry.location) and "meet.example" not in render(entry.description, "fi")


async def test_the_vtimezone_read_back_gives_zoneinfos_offset_for_every_hour(bot: ConsoleBot) -> None:
    await create(bot, SPRING)
    calendar = calendar_of(await bot.say("/event ics", as_="Sanni"))
    [component] = calendar.walk("VTIMEZONE")
    # The spring change of 2027 is at 01:00Z: 03:00 in the +0200 in force before it (icalendar gave 04:00).
    spring = [p for p in component.walk("DAYLIGHT") if p.decoded("dtstart").year == 2027]
    assert [p.decoded("dtstart") for p in spring] == [datetime(2027, 3, 28, 3, 0)]
    own = icalendar.Timezone.from_ical(component.to_ical()).to_tz(lookup_tzid=False)  # the file's own rules
    helsinki = ZoneInfo("Europe/Helsinki")
    hour, checked = datetime(2026, 3, 20, tzinfo=UTC), 0
    while hour < datetime(2028, 4, 10, tzinfo=UTC):  # the span the file covers: every hour of two years
        assert hour.astimezone(own).utcoffset() == hour.astimezone(helsinki).utcoffset(), hour
        hour, checked = hour + timedelta(hours=1), checked + 1
    assert checked > 17000
    # A 04:30 event on the change day, read through the file's own VTIMEZONE, is where zoneinfo puts it.
    local = datetime(2027, 3, 28, 4, 30)
    assert local.replace(tzinfo=own).astimezone(UTC) == local.replace(tzinfo=helsinki).astimezone(UTC)
