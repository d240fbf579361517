"""Issue 20, "never wrong in silence": past dates, a time of day, confirmed cancels, a preview, offered places.

Through the console; the tests' now is Thursday 26.11.2026 14:00 in Helsinki.
"""

from __future__ import annotations

from bot.context import ServiceContext
from bot.testing import ConsoleBot, texts
from cogs.events import cog
from tests.test_events import QUIZ, card, create, every_week, going


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


SERIES = ('/event create title="Board games" start="4.12. klo 18" where=helsinki description="Weekly" '
          'repeat=weekly until=18.12.')


async def test_cancel_asks_first_and_a_series_can_lose_one_occurrence(bot: ConsoleBot) -> None:
    await create(bot, SERIES)
    number = card(bot)
    await every_week(bot, "Sanni", number)
    asked = await bot.say('/event cancel event=1 reason="Sali on varattu"', as_="Olli")
    labels = [label for p in asked for label, _ in p.buttons]
    assert labels == ["Vain pe 4.12. klo 18.00", "Koko sarja", "Älä peru"], labels
    assert "1 vastannut henkilö saa tiedon" in texts(asked) and "Sali on varattu" in texts(asked)
    assert [p for p in bot.sent_to("@sanni") if "peruttu" in p.text] == []  # nothing before the choice

    done = texts(await bot.press("Vain", as_="Olli"))
    assert "sarja jatkuu" in done and "1 henkilölle" in done
    [told] = [p.text for p in bot.sent_to("@sanni") if "peruttu" in p.text]
    assert "4.12." in told and "muut kerrat" in told and "Sali on varattu" in told
    # The series goes on.
    assert "perjantaina 11.12. klo 18.00" in bot.message(number).text and bot.message(number).buttons
    ics = await bot.say("/event ics")
    assert b"EXDATE;TZID=Europe/Helsinki:20261204T180000" in ics[-1].file_data[next(iter(ics[-1].file_data))]
    await bot.wait("15d")  # past 10.12. 18.00: no reminder for 4.12., the one for 11.12. came
    reminders = [p.text for p in bot.sent_to("@sanni") if "Muistutus" in p.text]
    assert reminders and all("4.12." not in r for r in reminders) and any("11.12." in r for r in reminders)


async def test_a_cancel_not_confirmed_changes_nothing(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    await bot.say("/event cancel event=1", as_="Olli")
    out = texts(await bot.press("Ei", as_="Olli"))
    assert "PERUTTU" not in bot.message(number).text and bot.message(number).buttons
    assert out
    # Someone else cannot press the organiser's Yes.
    await bot.say("/event cancel event=1", as_="Olli")
    await bot.press("Peru tapahtuma", as_="Sanni")
    assert "PERUTTU" not in bot.message(number).text


async def test_a_cancel_reason_awaiting_confirmation_is_exported_and_forgotten(bot: ConsoleBot) -> None:
    await create(bot)
    await bot.say('/event cancel event=1 reason="Sali on varattu"', as_="Olli")
    olli = (await bot.app.people.find_by_name("Olli"))[0]
    ctx = ServiceContext(bot.app)
    exported = await cog.exporters[0](ctx, olli.id)
    assert exported["cancel_reasons_awaiting_confirmation"] == [{"event_id": 1, "reason": "Sali on varattu"}]
    await cog.forgetters[0](ctx, olli.id)
    assert (await cog.exporters[0](ctx, olli.id))["cancel_reasons_awaiting_confirmation"] == []
