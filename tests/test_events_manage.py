"""Editing, cancelling, reminders, feedback and every refused input of the events cog, through the console."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import When, render
from bot.testing import ConsoleBot, texts
from cogs.events.schedule import time_left
from tests.test_events import QUIZ, card, create, going

# Thursday 4.12. 18:00 Helsinki = 16:00 UTC; the tests' now is Thursday 26.11. 12:00 UTC.
WEBINAR = ('/event create title=Webinar start="4.12. klo 18" end="4.12. klo 19" where=online '
           'link=https://meet.example/humako description="Online info"')


def dms(bot: ConsoleBot, name: str, containing: str) -> list[str]:
    return [p.text for p in bot.sent_to(f"@{name.lower()}") if containing in p.text]


async def test_edit_tells_those_going_or_maybe_what_changed(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Emma", number, button=2)
    await going(bot, "Pekka", number, button=3)
    out = texts(await bot.say('/event edit event=1 start="5.12. klo 19" title="Quiz night 2"', as_="Olli"))
    assert "#1" in out and "2 henkilölle" in out
    for name in ("Sanni", "Emma"):
        told = dms(bot, name, "muutettiin")
        assert len(told) == 1 and "Uusi aika: lauantaina 5.12. klo 19.00" in told[0] and "Quiz night 2" in told[0]
    assert bot.sent_to("@pekka") == []
    assert "lauantaina 5.12. klo 19.00" in bot.message(number).text and "Quiz night 2" in bot.message(number).text


async def test_edit_moves_the_reminders(bot: ConsoleBot) -> None:
    await create(bot)
    await going(bot, "Sanni", card(bot))
    await bot.say('/event edit event=1 start="5.12. klo 18"', as_="Olli")
    await bot.wait("172h")  # 3.12. 18:00 local: the old 24-hour reminder time
    assert dms(bot, "Sanni", "Muistutus") == []
    await bot.wait("24h")
    assert len(dms(bot, "Sanni", "Muistutus")) == 1


async def test_cancel_tells_people_cancels_reminders_and_strips_the_buttons(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Emma", number, button=2)
    asked = texts(await bot.say('/event cancel event=1 reason="The venue flooded"', as_="Olli"))
    assert "Perutaanko Quiz night" in asked and "The venue flooded" in asked
    assert dms(bot, "Sanni", "peruttu") == []  # nothing happens before the confirmation
    out = texts(await bot.press("Peru tapahtuma", as_="Olli"))
    assert "peruttu" in out and "2 henkilölle" in out
    for name in ("Sanni", "Emma"):
        told = dms(bot, name, "on peruttu")
        assert len(told) == 1 and "The venue flooded" in told[0]
    cancelled = bot.message(number)
    assert "PERUTTU" in cancelled.text and cancelled.buttons == []
    assert "PERUTTU" in bot.message(card(bot, "#campus_helsinki")).text
    pending = await bot.app.db.fetchval("SELECT COUNT(*) FROM scheduled WHERE key LIKE 'ev:1:%' AND status='pending'")
    assert pending == 0
    await bot.wait("8d")
    assert dms(bot, "Sanni", "Muistutus") == [] and dms(bot, "Sanni", "Palaute") == []
    assert "Quiz night" not in texts(await bot.say("/event list", as_="Sanni"))
    again = texts(await bot.say("/event cancel event=1", as_="Olli"))
    assert "on peruttu" in again


async def test_both_reminders_fire_with_the_link_in_each(bot: ConsoleBot) -> None:
    await create(bot, WEBINAR)
    await going(bot, "Sanni", card(bot))
    await bot.wait("171h")
    assert dms(bot, "Sanni", "Muistutus") == []
    await bot.wait("1h")  # 3.12. 16:00 UTC: 24 hours before
    first = dms(bot, "Sanni", "Muistutus")
    assert len(first) == 1 and "Aikaa on 24 tuntia (pe 4.12. klo 18.00)" in first[0]
    assert "Linkki: https://meet.example/humako" in first[0]
    await going(bot, "Emma", card(bot))  # an RSVP after the reminders were scheduled still counts
    await bot.wait("23h")  # 4.12. 15:00 UTC: one hour before
    last = dms(bot, "Sanni", "Muistutus")
    assert len(last) == 2 and "Aikaa on 1 tunti (pe 4.12. klo 18.00)" in last[1]
    assert "Linkki: https://meet.example/humako" in last[1]
    assert len(dms(bot, "Emma", "Muistutus")) == 1


async def test_feedback_rating_comment_and_summary(bot: ConsoleBot) -> None:
    await create(bot, WEBINAR)
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Emma", number)
    await going(bot, "Pekka", number, button=2)
    await bot.wait("198h")  # 4.12. 18:00 UTC: the event ended at 17:00 UTC, feedback an hour later
    ask = [p for p in bot.sent_to("@sanni") if "Palaute" in p.text]
    assert len(ask) == 1 and [label for label, _ in ask[0].buttons] == ["1", "2", "3", "4", "5"]
    assert [p for p in bot.sent_to("@pekka") if "Palaute" in p.text] == []  # only those who went
    assert bot.message(number).buttons == [] and "ohi" in bot.message(number).text  # over: no RSVP buttons

    await bot.say(":dm", as_="Sanni")
    thanks = texts(await bot.click(4, message=ask[0].number))
    assert "4/5" in thanks
    asked = texts(await bot.click(1, message=ask[0].number))  # "Add a comment"
    assert "Mitä haluat sanoa?" in asked
    saved = texts(await bot.say("Great talk, more of these online please"))
    assert "tallennettiin" in saved
    emma_ask = next(p for p in bot.sent_to("@emma") if "Palaute" in p.text)
    await bot.click(2, message=emma_ask.number, as_="Emma")

    report = texts(await bot.say("/event feedback event=1", as_="Olli"))
    assert "3/5, 2 arviota" in report and "Great talk, more of these online please" in report
    summary = texts(await bot.say("/event feedback days=30"))
    assert "Webinar (#1): 3/5, 2 arviota" in summary and "Yhteensä: 3/5, 2 arviota 1 tapahtumasta" in summary
    refused = texts(await bot.say("/event feedback event=1", as_="Sanni"))
    assert "on vain näiden käytössä" in refused and "Great talk" not in refused


async def test_rating_is_for_those_who_went(bot: ConsoleBot) -> None:
    await create(bot, WEBINAR)
    await going(bot, "Sanni", card(bot))
    await bot.wait("198h")
    ask = next(p for p in bot.sent_to("@sanni") if "Palaute" in p.text)
    # Someone else pressing a copied rating button is refused: it was made for Sanni.
    refused = texts(await bot.click(5, message=ask.number, as_="Pekka"))
    assert "Tämä painike on sille, jolle viesti näytettiin." in refused
    assert "ei ole vielä palautetta" in texts(await bot.say("/event feedback event=1", as_="Olli"))


BAD_INPUTS = [
    ('/event create title=Old start="1.1.2020 klo 12" where=helsinki description=x', "jo mennyt"),
    ('/event create title=Back start="4.12. klo 18" end="4.12. klo 17" where=helsinki description=x',
     "pitää olla alkamisajan"),
    ('/event create title=Zero start="4.12. klo 18" where=helsinki description=x capacity=0', "vähintään 1"),
    ('/event create title=Neg start="4.12. klo 18" where=helsinki description=x capacity=-3', "vähintään 1"),
    ('/event create title=Where start="4.12. klo 18" where=tampere description=x', "tampere"),
    ('/event create title=NoLink start="4.12. klo 18" where=online description=x', "tarvitsee linkin"),
    ('/event create title=BadLink start="4.12. klo 18" where=online link=meet.example description=x', "https://"),
    ('/event create title=Until start="4.12. klo 18" where=turku description=x repeat=weekly until=1.12.2026',
     "ensimmäisen kerran jälkeen"),
    ('/event create title=NoUntil start="4.12. klo 18" where=turku description=x repeat=weekly',
     "viimeisen kertansa"),
    ('/event create title=Long start="4.12. klo 18" where=turku description=x repeat=weekly until=1.6.2028',
     "enintään vuoden"),
    (f'/event create title="{"x" * 101}" start="4.12. klo 18" where=turku description=x', "101"),
    (f'/event create title=Desc start="4.12. klo 18" where=turku description="{"y" * 2001}"', "2001"),
]


@pytest.mark.parametrize(("line", "message"), BAD_INPUTS, ids=[line.split()[2] for line, _ in BAD_INPUTS])
async def test_bad_input_is_refused_with_its_message_and_nothing_changes(bot: ConsoleBot, line: str,
                                                                         message: str) -> None:
    out = await create(bot, line)
    assert message in out, out
    assert await bot.app.db.fetchval("SELECT COUNT(*) FROM events") == 0
    assert bot.sent_to("#announcements") == []
    assert "Tulevia tapahtumia ei ole" in texts(await bot.say("/event list", as_="Sanni"))


async def test_students_cannot_create_events(bot: ConsoleBot) -> None:
    out = texts(await bot.say(QUIZ, as_="Sanni"))
    assert "paikallistoimija" in out.lower() or "hallitus" in out
    assert await bot.app.db.fetchval("SELECT COUNT(*) FROM events") == 0


async def test_editing_someone_elses_event_is_refused_but_the_board_may(bot: ConsoleBot) -> None:
    await create(bot)
    await going(bot, "Sanni", card(bot))
    refused = texts(await bot.say('/event edit event=1 title=Hijacked', as_="Maija", roles="organiser"))
    assert "Vain tapahtuman Quiz night luonut paikallistoimija tai hallitus" in refused
    cancel = texts(await bot.say("/event cancel event=1"))
    assert "Vain tapahtuman" in cancel
    shown = texts(await bot.say("/event show 1"))
    assert "Quiz night" in shown and "Hijacked" not in shown and "PERUTTU" not in shown
    assert bot.sent_to("@sanni") == []
    board = texts(await bot.say('/event edit event=1 title="Quiz night!"', as_="Hanna", roles="board"))
    assert "päivitetty" in board and "Quiz night!" in bot.message(card(bot)).text


async def test_bad_edits_change_nothing(bot: ConsoleBot) -> None:
    await create(bot)
    before = bot.message(card(bot)).text
    for line, message in [
        ('/event edit event=1 end="4.12. klo 17"', "pitää olla alkamisajan"),
        ('/event edit event=1 start="1.1.2020 klo 12"', "jo mennyt"),
        ("/event edit event=1 capacity=0", "vähintään 1"),
        ("/event edit event=1 where=tampere", "tampere"),
        ("/event edit event=1 where=online", "tarvitsee linkin"),
        ("/event edit event=1", "Ei muutettavaa"),
        ("/event edit event=42 title=x", "#42"),
    ]:
        assert message in texts(await bot.say(line, as_="Olli")), line
    assert bot.message(card(bot)).text == before


async def test_a_late_reminder_counts_from_now_in_minutes_and_a_far_one_in_days(bot: ConsoleBot) -> None:
    when = When(bot.app.clock.now() + timedelta(days=2), "short")
    assert render(time_left(timedelta(days=2), when), "fi").startswith("Aikaa on 2 päivää (")
    assert render(time_left(timedelta(hours=1), when), "en").startswith("1 hour to go (")
    assert render(time_left(timedelta(seconds=10), when), "fi").startswith("Aikaa on 1 minuutti (")
    assert render(time_left(timedelta(minutes=59), when), "fi").startswith("Aikaa on 59 minuuttia (")


async def test_maybe_and_not_going_say_what_was_marked(bot: ConsoleBot) -> None:
    await create(bot)
    assert "Merkitsin sinut: ehkä tulossa – Quiz night." in await going(bot, "Sanni", card(bot), button=2)
    assert "Merkitsin, ettet tule – Quiz night." in await going(bot, "Sanni", card(bot), button=3)
