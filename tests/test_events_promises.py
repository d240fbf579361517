"""Issue 18 items 6, 7, 10, 11 and 13: promises the events cog keeps under odd and hostile use.

Waiting-list order by arrival (not by the clock), a /link merge that keeps every RSVP consistent, an atomic
/event create and edit, odd ids refused with a translated message, and no rating before the event happened.
"""

from __future__ import annotations

from typing import Any

from bot.context import Context
from tests.harness import ConsoleBot, texts

QUIZ = '/event create title="Quiz night" start="4.12. klo 18" where=helsinki description="Fun quiz" capacity={n}'


async def create(bot: ConsoleBot, capacity: int = 1, line: str = QUIZ) -> str:
    return texts(await bot.say(line.format(n=capacity), as_="Olli", roles="organiser", where="dm"))


def card(bot: ConsoleBot) -> int:
    return bot.sent_to("#announcements")[0].number


async def going(bot: ConsoleBot, name: str, number: int, button: int = 1) -> str:
    return texts(await bot.click(button, message=number, as_=name))


async def context(bot: ConsoleBot, name: str) -> Context:
    """The console's own context for `name`, to press an action id no message carries (a forged press)."""
    await bot.say(":dm", as_=name)
    return await bot.console._context()


async def rows(bot: ConsoleBot, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in await bot.app.db.fetchall(sql, params)]


# ------------------------------------------------------------------------------------- item 6: order


async def test_thirty_presses_in_one_clock_instant_are_placed_in_press_order(bot: ConsoleBot) -> None:
    await create(bot, capacity=1)
    number = card(bot)
    await going(bot, "Sanni", number)
    names = [f"P{i:02d}" for i in range(1, 31)]
    for name in reversed(names):  # person ids run against the press order: a tie-break by id would show
        await bot.say("/ping", as_=name)
    told = [await going(bot, name, number) for name in names]  # the clock is frozen: one instant
    for place, answer in enumerate(told, start=1):
        assert f"jonossa sijalla {place}." in answer
    assert "jonossa sijalla 7" in texts(await bot.say("/event mine", as_="P07"))

    await going(bot, "Sanni", number, button=3)  # the place frees up: the first presser is offered it
    assert any("vapautui paikka" in p.text for p in bot.sent_to("@p01"))
    assert all(not bot.sent_to(f"@{name.lower()}") for name in names[1:])
