"""Counts read right in both languages through the real commands: no "1 arviota", "1 hours" or "0 tunnin"."""

from __future__ import annotations

import pytest

from tests.harness import ConsoleBot, texts
from tests.test_events import card, create, going
from tests.test_events_manage import WEBINAR

# The tests' now is Thursday 26.11. 12:00 UTC, 14:00 in Helsinki.
COUNTDOWNS = [
    ("26.11.2026 14:40", "26.11. klo 14.40 on 40 minuutin päästä.", "at 14:40 is in 40 minutes."),
    ("26.11.2026 15:00", "26.11. klo 15.00 on 1 tunnin päästä.", "at 15:00 is in 1 hour."),
    ("26.11.2026 16:00", "26.11. klo 16.00 on 2 tunnin päästä.", "at 16:00 is in 2 hours."),
]


@pytest.mark.parametrize(("moment", "finnish", "english"), COUNTDOWNS)
async def test_countdown_counts_in_the_readers_language(bot: ConsoleBot, moment: str, finnish: str,
                                                      english: str) -> None:
    assert texts(await bot.say(f"/countdown {moment}", as_="Olli")).endswith(finnish)
    await bot.say("/language en", as_="Emma")
    assert texts(await bot.say(f"/countdown {moment}", as_="Emma")).endswith(english)


async def test_a_single_rating_comment_and_event_read_in_the_singular(bot: ConsoleBot) -> None:
    await create(bot, WEBINAR)
    await going(bot, "Sanni", card(bot))
    await bot.wait("198h")  # the feedback request, an hour after the end
    ask = next(p for p in bot.sent_to("@sanni") if "Palaute" in p.text)
    await bot.say(":dm", as_="Sanni")
    await bot.click(4, message=ask.number)
    await bot.click(1, message=ask.number)  # "Add a comment"
    await bot.say("Good")

    summary = texts(await bot.say("/event feedback days=30", as_="Olli", roles="organiser"))
    assert "Webinar (#1): 4/5, 1 arvio" in summary and "Yhteensä: 4/5, 1 arvio 1 tapahtumasta." in summary
    assert "1 kommentti: /event feedback event:<id> näyttää sen." in summary
    await bot.say("/language en", as_="Olli")
    summary = texts(await bot.say("/event feedback days=30", as_="Olli"))
    assert "Webinar (#1): 4/5 from 1 rating" in summary and "All together: 4/5 from 1 rating on 1 event." in summary
    assert "1 comment: /event feedback event:<id> shows it." in summary


async def test_two_ratings_read_in_the_plural_in_english(bot: ConsoleBot) -> None:
    await create(bot, WEBINAR)
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Emma", number)
    await bot.wait("198h")
    for name in ("Sanni", "Emma"):
        ask = next(p for p in bot.sent_to(f"@{name.lower()}") if "Palaute" in p.text)
        await bot.click(5, message=ask.number, as_=name)
    await bot.say("/language en", as_="Olli", roles="organiser")
    summary = texts(await bot.say("/event feedback days=30", as_="Olli"))
    assert "Webinar (#1): 5/5 from 2 ratings" in summary and "All together: 5/5 from 2 ratings on 1 event." in summary
    assert "comment" not in summary  # none given, none counted


async def test_the_reminder_limit_reads_in_the_singular_and_plural(bot: ConsoleBot,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.reminders as reminders

    monkeypatch.setattr(reminders, "MAX_ACTIVE", 1)
    await bot.say("/remind in 2 hours Hand in the essay", as_="Emma")
    refused = texts(await bot.say("/remind in 3 hours Read chapter 2", as_="Emma"))
    assert "Sinulla on jo 1 muistutus. Peru se ensin komennolla /reminders." in refused
    monkeypatch.setattr(reminders, "MAX_ACTIVE", 2)
    await bot.say("/remind in 3 hours Read chapter 2", as_="Emma")
    await bot.say("/language en", as_="Emma")
    refused = texts(await bot.say("/remind in 4 hours Sleep", as_="Emma"))
    assert "You already have 2 reminders. Cancel some with /reminders first." in refused
