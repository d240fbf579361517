"""Issue 20, "never wrong in silence": past dates, a time of day, confirmed cancels, a preview, offered places.

Through the console; the tests' now is Thursday 26.11.2026 14:00 in Helsinki.
"""

from __future__ import annotations

from bot.testing import ConsoleBot
from tests.test_events import QUIZ, card, create, going


async def test_a_date_passed_this_year_is_refused_with_the_reason_not_moved_to_next_year(bot: ConsoleBot) -> None:
    out = await create(bot, QUIZ.replace("4.12. klo 18", "25.11. klo 18"))
    assert "ajankohta on jo mennyt" in out, out
    assert "25.11." in out and "2027" not in out
    assert bot.sent_to("#announcements") == []  # nothing was announced


async def test_an_event_needs_a_time_of_day(bot: ConsoleBot) -> None:
    out = await create(bot, QUIZ.replace('"4.12. klo 18"', "ylihuomenna"))
    assert "kellonaika puuttuu" in out and "ylihuomenna klo 18" in out
    assert bot.sent_to("#announcements") == []
    out = await create(bot, QUIZ.replace('start="4.12. klo 18"', 'start="4.12. klo 18" end=5.12.'))
    assert "kellonaika puuttuu" in out
    assert bot.sent_to("#announcements") == []


async def test_editing_with_a_date_alone_keeps_the_time_of_day(bot: ConsoleBot) -> None:
    await create(bot, QUIZ.replace('start="4.12. klo 18"', 'start="4.12. klo 18" end="4.12. klo 21"'))
    number = card(bot)
    await bot.say("/event edit event=1 start=11.12.", as_="Olli")
    assert "pe 11.12. klo 18.00–21.00" in bot.message(number).text
    await bot.say("/event edit event=1 end=11.12.", as_="Olli")  # the end's own time stays too
    assert "pe 11.12. klo 18.00–21.00" in bot.message(number).text


async def test_an_offered_place_is_taken_on_the_card_and_in_positions(bot: ConsoleBot) -> None:
    await create(bot, QUIZ.replace("capacity=2", "capacity=1"))
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Emma", number)  # waits
    await going(bot, "Sanni", number, button=3)  # Emma is offered the place
    assert "Tulossa 1/1 · Ehkä 0 · Jonossa 0 · 1 paikka tarjottu" in bot.message(number).text
    assert "jonossa sijalla 1" in await going(bot, "Aino", number)  # behind the offer, not in its place
    assert "Tulossa 1/1 · Ehkä 0 · Jonossa 1 · 1 paikka tarjottu" in bot.message(number).text
