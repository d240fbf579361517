"""Live copies in direct chats are bounded (bot/live.py): they expire, and a thing keeps only so many."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import ConsoleBot, texts
from tests.harness import test_config as example_config

LATER = '/event create title="Joulujuhla" start="20.12. klo 18" where=helsinki description="Glögiä"'
SOON = '/event create title="Sauna" start="27.11. klo 18" where=helsinki description="Löylyä"'


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    console = await ConsoleBot.start(tmp_path, example_config(cogs=["ping", "events"], live_edit_seconds=0.0,
                                                              live_dm_copies=3))
    try:
        yield console
    finally:
        await console.stop()


async def create(bot: ConsoleBot, line: str) -> None:
    assert "#1" in texts(await bot.say(line, as_="Olli", roles="organiser", where="dm"))


async def rsvp(bot: ConsoleBot, name: str) -> None:
    card = bot.sent_to("#announcements")[0].number
    await bot.click(1, message=card, as_=name)


async def show(bot: ConsoleBot, name: str) -> int:
    shown = await bot.say("/event show 1", as_=name, where="dm")
    return shown[0].number


async def direct_copies(bot: ConsoleBot) -> list[str]:
    rows = await bot.app.db.fetchall("SELECT message_id FROM live_copies WHERE direct = 1 ORDER BY id")
    return [row["message_id"] for row in rows]


async def test_a_copy_in_a_dm_stops_being_edited_after_seven_days(bot: ConsoleBot) -> None:
    await create(bot, LATER)
    sanni = await show(bot, "Sanni")
    await bot.wait("6d")
    await rsvp(bot, "Emma")
    assert "Tulossa 1" in bot.message(sanni).text  # still live after six days
    await bot.wait("2d")
    await rsvp(bot, "Aino")
    assert "Tulossa 2" in bot.message(bot.sent_to("#announcements")[0].number).text  # the channel card follows
    assert "Tulossa 1" in bot.message(sanni).text  # the DM copy has expired: no more edits
    assert await direct_copies(bot) == []


async def test_a_copy_in_a_dm_stops_being_edited_when_its_event_is_over(bot: ConsoleBot) -> None:
    await create(bot, SOON)
    sanni = await show(bot, "Sanni")
    await rsvp(bot, "Emma")
    assert "Tulossa 1" in bot.message(sanni).text
    edits = len(bot.sent_to("@sanni"))
    await bot.wait("2d")  # the sauna evening is over
    await bot.app.live.changed("event", 1)
    await bot.app.settle()
    assert "jo ohi" in bot.message(bot.sent_to("#announcements")[0].number).text  # the channel card follows
    assert len(bot.sent_to("@sanni")) == edits and await direct_copies(bot) == []


async def test_a_thing_keeps_only_the_newest_dm_copies(bot: ConsoleBot) -> None:
    await create(bot, LATER)
    shown = [await show(bot, name) for name in ("Sanni", "Emma", "Aino", "Pekka", "Liisa")]
    assert await direct_copies(bot) == [str(number) for number in shown[-3:]]  # the oldest two retired
    await rsvp(bot, "Ville")
    assert ["Tulossa 1" in bot.message(number).text for number in shown] == [False, False, True, True, True]
