"""Issue 20, calendar files every reader accepts: SEQUENCE grows with the times, no METHOD without ORGANIZER,
no empty VCALENDAR; and Discord's own calendar gets the place, never a long link."""

from __future__ import annotations

from bot.context import ServiceContext
from bot.testing import ConsoleBot, texts
from cogs.events.cards import calendar_entry
from cogs.events.common import queries
from tests.test_events import QUIZ, create
from tests.test_events_calendar import calendar_of
from tests.test_events_manage import WEBINAR


async def sequence(bot: ConsoleBot) -> int:
    [vevent] = calendar_of(await bot.say("/event ics", as_="Sanni")).walk("VEVENT")
    return int(vevent["sequence"])


async def test_sequence_grows_with_every_change_of_the_times(bot: ConsoleBot) -> None:
    await create(bot, QUIZ)
    assert await sequence(bot) == 0
    await bot.say('/event edit event=1 title="Quiz night!"', as_="Olli")
    assert await sequence(bot) == 0  # the name alone: the same time in every calendar
    await bot.say('/event edit event=1 start="5.12. klo 18"', as_="Olli")
    assert await sequence(bot) == 1
    await bot.say('/event edit event=1 end="5.12. klo 22"', as_="Olli")
    assert await sequence(bot) == 2


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
    assert "meet.example" not in str(entry.location) and "meet.example" not in (entry.description or "")
