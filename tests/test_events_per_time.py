"""Issue 20: a repeating event is answered per time, with "every week" as one choice, and asks for feedback once
per series (or after every time, where its organiser asks for that). Through the console's real command path."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import icalendar
from dateutil.rrule import rruleset, rrulestr

from bot.testing import ConsoleBot, Printed, texts
from cogs.events.common import MIGRATIONS
from cogs.events.storage import EventQueries
from storage.db import Database
from tests.test_events import card, create, going

# Fridays 4.12., 11.12. and 18.12. at 18.00 (16.00 UTC); the tests' now is Thursday 26.11. 12:00 UTC.
SERIES = ('/event create title="Board games" start="4.12. klo 18" where=helsinki description="Weekly" '
          'repeat=weekly until=18.12.')
ONLINE = ('/event create title=Language start="4.12. klo 18" where=online link=https://meet.example/cafe '
          'description="Language café" repeat=weekly until=18.12.')
FIRST, SECOND, THIRD = "pe 4.12. klo 18.00", "pe 11.12. klo 18.00", "pe 18.12. klo 18.00"


async def answer(bot: ConsoleBot, name: str, choice: str, button: int = 1, number: int | None = None) -> str:
    """Press Going (1), Maybe (2) or Not going (3) on the card, then the choice ("Joka viikko" or a time)."""
    asked = await bot.click(button, message=number or card(bot), as_=name)
    return texts(await bot.press(choice, message=asked[-1].number, as_=name))


def dms(bot: ConsoleBot, name: str, containing: str) -> list[Printed]:
    return [p for p in bot.sent_to(f"@{name.lower()}") if containing in p.text]


async def test_a_series_press_asks_which_times_and_a_single_event_stays_one_tap(bot: ConsoleBot) -> None:
    await create(bot, SERIES)
    asked = await bot.click(1, message=card(bot), as_="Sanni")
    assert "Board games toistuu" in texts(asked)
    assert [label for label, _ in asked[-1].buttons] == [f"Vain {FIRST}", f"Vain {SECOND}", f"Vain {THIRD}",
                                                        "Joka viikko"]
    assert "Tulossa 0 · Ehkä 0" in bot.message(card(bot)).text  # nothing stored before the choice
    # Only the person asked can answer the question (a signed, owner-only button).
    await bot.press("Joka viikko", message=asked[-1].number, as_="Emma")
    assert "Tulossa 0 · Ehkä 0" in bot.message(card(bot)).text
    done = texts(await bot.press(f"Vain {SECOND}", message=asked[-1].number, as_="Sanni"))
    assert "Olet tulossa perjantaina 11.12. klo 18.00: Board games." in done
    assert "Tulossa 0 · Ehkä 0" in bot.message(card(bot)).text  # the card counts its next time, 4.12.
    assert "Olet tulossa joka viikko: Board games." in await answer(bot, "Emma", "Joka viikko")
    assert "Tulossa 1 · Ehkä 0" in bot.message(card(bot)).text
    assert f"Osallistujat {FIRST}" in bot.message(card(bot)).text  # the counts say which time they are for

    await create(bot, SERIES.replace("weekly", "biweekly").replace("18.12.", "1.1.2027"))
    other = bot.sent_to("#announcements")[-1].number
    asked = await bot.click(1, message=other, as_="Sanni")
    assert [label for label, _ in asked[-1].buttons][-1] == "Joka kerta"  # every other week: "every time"
    assert "Olet tulossa joka kerta" in texts(await bot.press("Joka kerta", message=asked[-1].number, as_="Sanni"))

    await create(bot, '/event create title=Quiz start="5.12. klo 18" where=turku description=x')
    quiz = bot.sent_to("#announcements")[-1].number
    assert "Olet tulossa: Quiz." in await going(bot, "Sanni", quiz)  # one tap: no question


async def test_every_week_counts_in_each_time_and_each_time_has_its_waiting_list(bot: ConsoleBot) -> None:
    await create(bot, SERIES + " capacity=1")
    assert "Olet tulossa joka viikko" in await answer(bot, "Sanni", "Joka viikko")
    assert "täynnä perjantaina 11.12. klo 18.00: olet jonossa sijalla 1" in await answer(bot, "Emma", f"Vain {SECOND}")
    aino = await answer(bot, "Aino", "Joka viikko")
    assert "olet jonossa joka viikko; perjantaina 4.12. klo 18.00 olet sijalla 1" in aino
    assert "Tulossa 1/1 · Ehkä 0 · Jonossa 1" in bot.message(card(bot)).text  # 4.12.: Sanni going, Aino waiting

    # Sanni can't come on 11.12.: that place goes to the first in line for 11.12. (Emma, before Aino), held.
    assert "ettet tule perjantaina 11.12." in await answer(bot, "Sanni", f"Vain {SECOND}", button=3)
    [offer] = dms(bot, "Emma", "vapautui paikka")
    assert "11.12." in offer.text and [label for label, _ in offer.buttons] == ["Ota paikka"]
    assert dms(bot, "Aino", "vapautui") == []
    assert "Tulossa 1/1" in bot.message(card(bot)).text  # 4.12. unchanged
    assert "Paikka on sinun" in texts(await bot.press("Ota paikka", message=offer.number, as_="Emma"))
    emma = texts(await bot.say("/event mine", as_="Emma"))
    assert "pe 11.12. klo 18.00 · Board games (#1)" in emma and "4.12." not in emma

    # Sanni leaves every week: 4.12. and 18.12. free up for Aino (11.12. is Emma's), one message with both.
    assert "ettet tule millekään kerralle – Board games" in await answer(bot, "Sanni", "Joka viikko", button=3)
    [both] = dms(bot, "Aino", "vapautui paikkoja")
    assert [label for label, _ in both.buttons] == [f"Ota {FIRST}", f"Ota {THIRD}"]
    assert "Tulossa 1/1 · Ehkä 0 · Jonossa 0 · 1 paikka tarjottu" in bot.message(card(bot)).text
    await bot.press(f"Ota {THIRD}", message=both.number, as_="Aino")
    mine = texts(await bot.say("/event mine", as_="Aino"))
    assert "pe 18.12. klo 18.00" in mine
    assert re.search(r"pe 4.12. klo 18.00 · Board games \(#1\)[^\n]* · sinulle tarjotaan paikkaa", mine)
    assert "11.12." in mine and "jonossa sijalla 1" in mine  # still waiting for 11.12.


async def test_a_place_free_every_time_is_one_offer_and_a_time_not_taken_passes_on(bot: ConsoleBot) -> None:
    await create(bot, SERIES + " capacity=1")
    await answer(bot, "Sanni", "Joka viikko")
    await answer(bot, "Aino", "Joka viikko")  # waits, every time
    await answer(bot, "Pekka", "Joka viikko")  # waits behind her
    await answer(bot, "Sanni", "Joka viikko", button=3)
    [offer] = dms(bot, "Aino", "vapautui paikka")  # one message for the whole series
    assert "joka kerralle" in offer.text and [label for label, _ in offer.buttons] == ["Ota paikka"]
    taken = texts(await bot.press("Ota paikka", message=offer.number, as_="Aino"))
    assert "Paikka on sinun joka viikko" in taken
    assert "tulossa joka viikko" in texts(await bot.say("/event mine", as_="Aino"))

    # Aino can't come on 11.12.: that place is offered to Pekka for 11.12. alone; not taken in time, it passes on.
    await answer(bot, "Aino", f"Vain {SECOND}", button=3)
    await answer(bot, "Emma", f"Vain {SECOND}")  # waits for 11.12., behind Pekka
    [pekka] = dms(bot, "Pekka", "vapautui paikka")
    assert "11.12." in pekka.text
    await bot.wait("12h")
    assert any("perjantaina 11.12." in p.text and "ei otettu ajoissa" in p.text for p in bot.sent_to("@pekka"))
    assert dms(bot, "Emma", "vapautui paikka")
    pekka_now = texts(await bot.say("/event mine", as_="Pekka"))  # still waiting for the other times
    assert f"{FIRST} · Board games (#1) · Helsinki" in pekka_now and "jonossa sijalla 1" in pekka_now \
        and SECOND not in pekka_now


async def test_reminders_link_mine_attendees_and_own_calendar_follow_the_times(bot: ConsoleBot) -> None:
    await create(bot, ONLINE)
    await answer(bot, "Sanni", "Joka viikko")
    assert "Joka viikko 18.12.2026 asti · tulossa joka viikko · https://meet.example/cafe" in texts(
        await bot.say("/event mine", as_="Sanni"))
    await answer(bot, "Emma", f"Vain {SECOND}")
    [link] = [p.text for p in dms(bot, "Emma", "meet.example/cafe")]  # the link, for the time she goes to
    assert "perjantaina 11.12." in link
    await answer(bot, "Sanni", f"Vain {SECOND}", button=3)
    sanni = texts(await bot.say("/event mine", as_="Sanni"))
    assert FIRST in sanni and THIRD in sanni and SECOND not in sanni and "meet.example/cafe" in sanni
    assert "tulossa joka viikko" not in sanni

    shown = await bot.say("/event attendees event=1", as_="Olli")  # the next time: 4.12.
    assert "Vastaukset: #1 Language, pe 4.12. klo 18.00" in texts(shown)
    assert "Sanni · tulossa · joka viikko" in texts(shown) and "Emma" not in texts(shown)
    second = await bot.say("/event attendees event=1 päivä=11.12.", as_="Olli")
    assert "Emma · tulossa" in texts(second) and "Sanni · ei tule" in texts(second)
    [data] = [p.file_data["event-1-2026-12-11-attendees.csv"] for p in second if p.file_data]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [("Emma", "yes", "0"), ("Sanni", "no", "0")]
    assert "ei ole kertaa" in texts(await bot.say("/event attendees event=1 päivä=12.12.", as_="Olli"))

    def going_times(name: str, printed: list[Printed]) -> list[datetime]:
        data = next(p.file_data["humako-events.ics"] for p in printed if p.file_data)
        [entry] = icalendar.Calendar.from_ical(data).walk("VEVENT")
        times = rruleset()
        times.rrule(rrulestr(entry["rrule"].to_ical().decode(), dtstart=entry.decoded("dtstart")))
        for exdate in entry.get("exdate") if isinstance(entry.get("exdate"), list) else [entry.get("exdate")]:
            for moment in exdate.dts if exdate else []:
                times.exdate(moment.dt)
        return [moment.astimezone(UTC) for moment in times]

    assert going_times("Sanni", await bot.say("/event ics which=mine", as_="Sanni")) == [
        datetime(2026, 12, 4, 16, tzinfo=UTC), datetime(2026, 12, 18, 16, tzinfo=UTC)]
    assert going_times("Emma", await bot.say("/event ics which=mine", as_="Emma")) == [
        datetime(2026, 12, 11, 16, tzinfo=UTC)]

    await bot.wait("200h")  # past 4.12. 18.00: its reminders went to Sanni alone
    assert len(dms(bot, "Sanni", "Muistutus")) == 2 and dms(bot, "Emma", "Muistutus") == []
    await bot.wait("7d")  # past 11.12.: Emma's two, none more for Sanni
    assert len(dms(bot, "Sanni", "Muistutus")) == 2 and len(dms(bot, "Emma", "Muistutus")) == 2
    assert all("meet.example/cafe" in p.text for p in dms(bot, "Emma", "Muistutus"))


async def test_a_cancelled_time_releases_its_places_and_tells_those_going_then(bot: ConsoleBot) -> None:
    await create(bot, SERIES + " capacity=1")
    await answer(bot, "Sanni", f"Vain {FIRST}")
    await answer(bot, "Aino", f"Vain {FIRST}")  # waits for 4.12.
    await answer(bot, "Emma", f"Vain {SECOND}")
    await bot.say("/event cancel event=1", as_="Olli")
    await bot.press("Vain", as_="Olli")
    assert dms(bot, "Sanni", "peruttu") and dms(bot, "Aino", "peruttu") and dms(bot, "Emma", "peruttu") == []
    assert "Board games" not in texts(await bot.say("/event mine", as_="Sanni"))
    assert "Board games" not in texts(await bot.say("/event mine", as_="Aino"))  # nobody waits for a cancelled time
    assert "Tulossa 1/1" in bot.message(card(bot)).text and "11.12." in bot.message(card(bot)).text
    assert "Emma · tulossa" in texts(await bot.say("/event attendees event=1", as_="Olli"))


async def test_existing_answers_become_every_week_answers(tmp_path: Path) -> None:
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS.glob("000[1-5]_*.sql")):  # the events cog before answers per time
        shutil.copy(path, old)
    db = await Database.open(tmp_path / "bot.db")
    try:
        await db.migrate()
        await db.migrate(old, component="event")
        await db.execute("INSERT INTO people (display_name, created_at) VALUES ('a', 'x'), ('b', 'x')")
        await db.execute(
            "INSERT INTO events (title, starts_at, timezone, repeat_weeks, repeat_until, series_end_at, created_at,"
            " updated_at) VALUES ('t', '2026-12-04T16:00:00.000000+00:00', 'Europe/Helsinki', 1, '2026-12-18',"
            " '2026-12-18T18:00:00.000000+00:00', 'x', 'x')")
        await db.execute("INSERT INTO event_rsvps (event_id, person_id, answer, since, seq) VALUES"
                         " (1, 1, 'yes', 'x', 1), (1, 2, 'offered', 'x', 2)")
        await db.execute("INSERT INTO scheduled (task, key, due_at, payload, status, created_at) VALUES"
                         " ('ev_offer_expiry', 'ev:1:offer:2:', 'x', '{}', 'pending', 'x')")
        assert 7 in await db.migrate(MIGRATIONS, component="event")
        queries = EventQueries(db)
        assert [await queries.answer_of(1, 1, time) for time in (0, 1, 2)] == ["yes", "yes", "yes"]
        assert (await queries.counts(1, 2)).taken == 2
        assert await db.fetchval("SELECT key FROM scheduled") == "ev:1:offer:2:-1:"
        assert await db.fetchval("SELECT feedback_each FROM events") == 0
    finally:
        await db.close()


# ------------------------------------------------------------------------------------------------ feedback

async def test_a_series_asks_feedback_once_after_its_last_time(bot: ConsoleBot) -> None:
    await create(bot, SERIES)
    await answer(bot, "Sanni", "Joka viikko")
    await answer(bot, "Emma", f"Vain {SECOND}")
    await answer(bot, "Pekka", f"Vain {SECOND}", button=2)  # maybe: never asked
    await bot.wait("200h")  # 4.12. is over
    assert dms(bot, "Sanni", "Palaute") == []  # no DM after every week
    await bot.wait("15d")  # past 18.12. 21.00: the series is over
    [sanni] = dms(bot, "Sanni", "Palaute")
    [emma] = dms(bot, "Emma", "Palaute")  # she went to one time
    assert "koko sarjaa" in sanni.text and dms(bot, "Pekka", "Palaute") == []
    await bot.press("4", message=sanni.number, as_="Sanni")
    await bot.press("2", message=emma.number, as_="Emma")
    report = texts(await bot.say("/event feedback event=1", as_="Olli"))
    assert "Board games (#1): 3/5, 2 arviota" in report and "pe 4.12." not in report


async def test_an_organiser_can_ask_feedback_after_every_time(bot: ConsoleBot) -> None:
    await create(bot, SERIES + " palaute=joka_kerta")
    await answer(bot, "Sanni", "Joka viikko")
    await answer(bot, "Emma", f"Vain {SECOND}")
    await bot.wait("200h")  # 4.12. over
    [first] = dms(bot, "Sanni", "Palaute")
    assert dms(bot, "Emma", "Palaute") == []  # she did not go on 4.12.
    await bot.press("5", message=first.number, as_="Sanni")
    await bot.wait("7d")  # 11.12. over
    assert len(dms(bot, "Sanni", "Palaute")) == 2
    [emma] = dms(bot, "Emma", "Palaute")
    await bot.press("3", message=emma.number, as_="Emma")
    report = texts(await bot.say("/event feedback event=1", as_="Olli"))
    assert "Board games (#1): 4/5, 2 arviota" in report
    assert f"{FIRST}: 5/5, 1 arvio" in report and f"{SECOND}: 3/5, 1 arvio" in report
    # Switched to once per series by an edit: nothing after 18.12. but one request about the whole series.
    await bot.say("/event edit event=1 palaute=kerran", as_="Olli")
    await bot.wait("7d")
    assert len(dms(bot, "Sanni", "Palaute")) == 3 and "koko sarjaa" in dms(bot, "Sanni", "Palaute")[-1].text
