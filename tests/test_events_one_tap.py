"""Issue 20, "one tap, wherever the student is": buttons per event in the list and the digest, the online link
only to those going, and the attendee list with its CSV for the organiser and the board."""

from __future__ import annotations

import csv
import io

from bot.testing import ConsoleBot, texts
from tests.test_events import QUIZ, card, create, going
from tests.test_events_manage import WEBINAR


async def test_going_from_the_list_in_a_dm_takes_one_tap(bot: ConsoleBot) -> None:
    await create(bot)
    listing = await bot.say("/event list", as_="Sanni", where="dm")
    out = texts(await bot.press("Tulen", message=listing[0].number, as_="Sanni"))
    assert "Quiz night" in out
    assert "Tulossa 1/2" in bot.message(card(bot)).text
    assert "Quiz night" in texts(await bot.say("/event mine", as_="Sanni"))


async def test_the_digest_carries_show_and_going_per_event_and_turns_pages(bot: ConsoleBot) -> None:
    days = ["30.11.", "1.12.", "2.12.", "3.12.", "4.12.", "5.12.", "6.12."]  # the week from Monday 30.11.
    for n, day in enumerate(days, start=1):
        await create(bot, f'/event create title=Day{n} start="{day} klo 18" where=turku description=x')
    await bot.wait("4d")  # Monday 30.11. 09:00 local: the digest
    [digest] = [p for p in bot.sent_to("#announcements") if "Tämän viikon tapahtumat" in p.text]
    labels = [label for label, _ in digest.buttons]
    assert labels == [label for n in range(1, 6) for label in (f"Näytä #{n}", "Tulen")] + ["Seuraava"]
    await bot.click(2, message=digest.number, as_="Emma")  # "Tulen" on Day1
    mine = texts(await bot.say("/event mine", as_="Emma"))
    assert "Day1" in mine and "Day2" not in mine
    turned = texts(await bot.click(11, message=digest.number, as_="Emma"))
    assert "sivu 2/2" in turned + bot.message(digest.number).text
    assert "Day6" in turned + bot.message(digest.number).text


async def test_the_online_link_goes_only_to_those_going(bot: ConsoleBot) -> None:
    await create(bot, WEBINAR)
    number = card(bot)
    assert "meet.example" not in bot.message(number).text  # never on the public card
    await going(bot, "Sanni", number)
    [link] = [p.text for p in bot.sent_to("@sanni") if "meet.example" in p.text]
    assert "Linkki: https://meet.example/humako" in link
    await going(bot, "Emma", number, button=2)  # maybe: no link
    assert [p for p in bot.sent_to("@emma") if "meet.example" in p.text] == []
    public = next(p for p in await bot.say("/event ics", as_="Emma") if p.file_data)
    assert b"meet.example" not in public.file_data["humako-events.ics"]  # never in the all-events file
    mine = next(p for p in await bot.say("/event ics which=mine", as_="Sanni") if p.file_data)
    assert b"meet.example/humako" in mine.file_data["humako-events.ics"]  # in Sanni's own calendar
    assert "https://meet.example/humako" in texts(await bot.say("/event mine", as_="Sanni"))


async def test_organiser_and_board_see_the_attendees_with_a_csv(bot: ConsoleBot) -> None:
    await create(bot, QUIZ.replace("capacity=2", "capacity=1"))
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "=Emma", number)  # waits, first in line; a name that looks like a formula
    await going(bot, "Aino", number)  # waits, second
    await going(bot, "Pekka", number, button=2)
    shown = await bot.say("/event attendees event=1", as_="Olli")
    text = texts(shown)
    assert text.index("Sanni · tulossa") < text.index("Pekka · ehkä") < text.index("=Emma · jonossa sijalla 1")
    assert "Aino · jonossa sijalla 2" in text
    [data] = [p.file_data["event-1-attendees.csv"] for p in shown if p.file_data]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["name", "answer", "waiting_place", "answered_at", "time", "every_time"]
    assert {r[4] for r in rows[1:]} == {"2026-12-04T16:00:00+00:00"} and {r[5] for r in rows[1:]} == {"0"}
    assert [r[:3] for r in rows[1:]] == [["Sanni", "yes", ""], ["Pekka", "maybe", ""], ["'=Emma", "waiting", "1"],
                                         ["Aino", "waiting", "2"]]
    refused = texts(await bot.say("/event attendees event=1", as_="Maija", roles="organiser"))
    assert "Vain" in refused and "Sanni" not in refused  # another organiser: not theirs
    board = texts(await bot.say("/event attendees event=1", as_="Hanna", roles="board"))
    assert "Sanni · tulossa" in board
