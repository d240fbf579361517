"""Issue 26: /meeting list and /announce list page in SQL (one ordered, counted query over what each row
stores), and /event list keeps its count between writes. Order, counts and the last page through the real
command path; the app clock only."""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from bot.testing import ConsoleBot, Printed, test_bot, texts

MEETINGS = {"meetings": {"page_size": 4}}


async def chair(bot: ConsoleBot, line: str) -> list[Printed]:
    return await bot.say(line, as_="Hanna", roles="board", where="dm")


def entries(printed: list[Printed] | Printed) -> list[str]:
    """`<day.month.> <title> <minutes or place>` per line of a meeting list."""
    text = printed.text if isinstance(printed, Printed) else texts(printed)
    return [f"{day} {title} {last}" for day, title, last in
            re.findall(r"(\d+\.\d+\.)(?:\d{4})? klo [\d.]+ · (\w+) \(#\d+\) · (.+)", text)]


def page_of(printed: list[Printed]) -> str | None:
    found = re.search(r"sivu (\d+/\d+)", texts(printed))
    return found.group(1) if found else None


async def test_meeting_list_pages_held_and_coming_times_in_order() -> None:
    async with test_bot(cogs=["meetings"], config=MEETINGS) as bot:
        await bot.say("/help", as_="Aino", roles="student", where="dm")
        await chair(bot, '/meeting add kind=board title=Viikko when="28.11. klo 10" place=Sali to=board '
                         'members=Aino repeat=weekly')
        for day in range(1, 11):
            await chair(bot, f'/meeting add kind=team title=Tiimi{day} when="{day}.12. klo 12" place=Kahvio '
                             'to=board members=Aino')
        first = await chair(bot, "/meeting list")
        assert page_of(first) == "1/3"  # 11 coming: the weekly one once, at its next time
        assert entries(first) == ["28.11. Viikko Sali", "1.12. Tiimi1 Kahvio", "2.12. Tiimi2 Kahvio",
                                  "3.12. Tiimi3 Kahvio"]
        last = await bot.say("/meeting list", as_="Sanni", where="dm")  # anyone may read it
        await bot.press("Seuraava", message=last[0].number, as_="Sanni")
        await bot.press("Seuraava", message=last[0].number, as_="Sanni")
        shown = bot.message(last[0].number)
        assert "sivu 3/3" in shown.text and entries(shown) == ["8.12. Tiimi8 Kahvio", "9.12. Tiimi9 Kahvio",
                                                              "10.12. Tiimi10 Kahvio"]
        assert [label for label, _action in shown.buttons] == ["Edellinen"]

        await bot.wait("35d")  # 31.12.: five weekly times held, the last three listed; every team meeting held
        await chair(bot, "/meeting minutes 3 https://docs.example/t2")
        listing = await chair(bot, "/meeting list")
        assert page_of(listing) == "1/4"  # 3 + 10 held, 1 coming
        assert entries(listing) == ["1.12. Tiimi1 ei vielä pöytäkirjaa",
                                    "2.12. Tiimi2 pöytäkirja: https://docs.example/t2",
                                    "3.12. Tiimi3 ei vielä pöytäkirjaa", "4.12. Tiimi4 ei vielä pöytäkirjaa"]
        every = [*entries(listing)]
        for _turn in range(3):
            await bot.press("Seuraava", message=listing[0].number, as_="Hanna")
            every += entries(bot.message(listing[0].number))
        assert every[-5:] == ["10.12. Tiimi10 ei vielä pöytäkirjaa", "12.12. Viikko ei vielä pöytäkirjaa",
                              "19.12. Viikko ei vielä pöytäkirjaa", "26.12. Viikko ei vielä pöytäkirjaa",
                              "2.1. Viikko Sali"]
        held = await bot.rows("SELECT occurrence_at FROM meeting_held WHERE meeting_id = 1 ORDER BY occurrence_at")
        assert [row["occurrence_at"][:10] for row in held] == ["2026-12-12", "2026-12-19", "2026-12-26"]

        await chair(bot, "/meeting cancel 1")
        await bot.wait("70d")  # 11.3.: the team meetings are more than 90 days ago; the weekly one is cancelled
        assert "Ei kokouksia." in texts(await chair(bot, "/meeting list"))


async def board(bot: ConsoleBot, line: str, as_: str = "Hanna", roles: str = "board") -> list[Printed]:
    return await bot.say(line, as_=as_, roles=roles, where="dm")


def posts(printed: list[Printed] | Printed) -> list[str]:
    """`<day.month.> <hour> <what>` per line of the calendar."""
    text = printed.text if isinstance(printed, Printed) else texts(printed)
    return [f"{day} {hour} {what}" for day, hour, what in
            re.findall(r"(\d+\.\d+\.)(?:\d{4})? klo ([\d.]+) · (?:Tiedote \d+: )?(.+?) · #", text)]


async def test_the_calendar_pages_announcements_with_the_jobs_in_time_order() -> None:
    config = {"scheduler": {"jobs": [{"name": "sauna", "cron": "0 17 * * fri", "destination": "announcements",
                                      "text": "Sauna"}]},
              "announcements": {"page_size": 6, "calendar_weeks": 2, "approval": True}}
    async with test_bot(cogs=["events", "announcements"], config=config) as bot:
        await board(bot, '/announce schedule text=Daily when="27.11. klo 17" to=announcements repeat=rule '
                         'rule=FREQ=DAILY')
        for day in range(1, 6):
            await board(bot, f'/announce schedule text=Once{day} when="{day}.12. klo 9" to=international')
        await board(bot, '/announce schedule text=Waits when="2.12. klo 8" to=announcements', as_="Emma",
                    roles="communications")
        first = await board(bot, "/announce list")
        # Until 10.12. 14.00: 13 daily posts, 5 one-offs, 2 Fridays' sauna, 2 Mondays' digest; 4 pages of 6.
        assert page_of(first) == "1/4" and "1 tiedote odottaa hyväksyntää." in texts(first)
        # At one time, the calendar's order: by source (announce, config), then as scheduled.
        assert posts(first) == ["27.11. 17.00 Daily", "27.11. 17.00 Sauna", "28.11. 17.00 Daily",
                                "29.11. 17.00 Daily", "30.11. 9.00 Tämän viikon tapahtumat", "30.11. 17.00 Daily"]
        await bot.press("Seuraava", message=first[0].number, as_="Hanna")
        assert posts(bot.message(first[0].number)) == [
            "1.12. 9.00 Once1", "1.12. 17.00 Daily", "2.12. 9.00 Once2", "2.12. 17.00 Daily", "3.12. 9.00 Once3",
            "3.12. 17.00 Daily"]
        last = await board(bot, "/announce list")
        for _turn in range(3):
            await bot.press("Seuraava", message=last[0].number, as_="Hanna")
        shown = bot.message(last[0].number)
        assert "sivu 4/4" in shown.text and posts(shown) == [
            "7.12. 9.00 Tämän viikon tapahtumat", "7.12. 17.00 Daily", "8.12. 17.00 Daily", "9.12. 17.00 Daily"]
        stored = await bot.rows("SELECT COUNT(*) AS n FROM announcement_posts WHERE announcement_id = 1")
        assert stored == [{"n": 20}]  # 27.11.-16.12.: the window and a week more, computed again about weekly

        [ask] = bot.sent_to("#board")
        await bot.press("Hyväksy", message=ask.number, as_="Hanna")  # approved: it joins the calendar
        await bot.say("/announce cancel 2", as_="Hanna", roles="board", where="dm")  # a cancelled one leaves it
        listing = await board(bot, "/announce list")
        assert "odottaa" not in texts(listing)
        await bot.press("Seuraava", message=listing[0].number, as_="Hanna")
        assert posts(bot.message(listing[0].number)) == [
            "1.12. 17.00 Daily", "2.12. 8.00 Waits", "2.12. 9.00 Once2", "2.12. 17.00 Daily", "3.12. 9.00 Once3",
            "3.12. 17.00 Daily"]

        await bot.wait("10d")  # 6.12.: the window moved on; the posts past its old end are computed
        moved = await board(bot, "/announce list")
        assert page_of(moved) == "1/3"  # 14 daily, 2 Fridays, 2 Mondays: 18 posts
        assert posts(moved)[:2] == ["6.12. 17.00 Daily", "7.12. 9.00 Tämän viikon tapahtumat"]
        for _turn in range(2):
            await bot.press("Seuraava", message=moved[0].number, as_="Hanna")
        assert posts(bot.message(moved[0].number))[-2:] == ["18.12. 17.00 Sauna", "19.12. 17.00 Daily"]


def watch_statements(bot: ConsoleBot) -> list[str]:
    """Every statement the bot's database runs from now on."""
    seen: list[str] = []
    # fetchval may run fetchone, which may run fetchall: each statement once. Per task (a context variable), so a
    # background statement in flight (the outbox's) does not hide the command's own.
    inside: ContextVar[bool] = ContextVar("inside_a_statement", default=False)
    db = bot.app.db

    def watched(original: Any) -> Any:
        async def run(sql: str, params: Any = ()) -> Any:
            if inside.get():
                return await original(sql, params)
            seen.append(sql)
            token = inside.set(True)
            try:
                return await original(sql, params)
            finally:
                inside.reset(token)
        return run

    for name in ("execute", "fetchall", "fetchone", "fetchval"):
        setattr(db, name, watched(getattr(db, name)))
    return seen


def counts_of_events(seen: list[str]) -> list[str]:
    return [sql for sql in seen if "COUNT(*) FROM events" in sql]


async def test_event_list_keeps_its_count_until_a_write_changes_it() -> None:
    async with test_bot(cogs=["events"]) as bot:
        for day in range(1, 7):
            await bot.say(f'/event create title=Day{day} start="{day}.12. klo 12" where=turku description=x',
                          as_="Olli", roles="organiser", where="dm")
        assert page_of(await bot.say("/event list", as_="Sanni")) == "1/2"
        seen = watch_statements(bot)
        again = await bot.say("/event list sivu=2", as_="Sanni")
        assert page_of(again) == "2/2" and "Day6" in texts(again)
        assert counts_of_events(seen) == []  # kept: no COUNT over the events for a page
        assert page_of(await bot.say("/event list where=turku", as_="Sanni")) == "1/2"
        assert len(counts_of_events(seen)) == 1  # a filter is counted once, then kept too
        await bot.say("/event list where=turku sivu=2", as_="Sanni")
        assert len(counts_of_events(seen)) == 1
        assert {(r["filters"], r["listed"]) for r in await bot.rows("SELECT * FROM event_list_counts")} == {
            ("-|-", 6), ("turku|-", 6)}

        await bot.say("/event cancel event=2", as_="Olli", roles="organiser", where="dm")
        await bot.press("Peru tapahtuma", as_="Olli")
        listed = await bot.say("/event list", as_="Sanni")  # five left: one page
        assert page_of(listed) is None and "Day2" not in texts(listed) and "Day6" in texts(listed)
        await bot.wait("6d")  # 2.12. 12.00: Day1 is over (12.00-14.00 Helsinki time)
        listed = await bot.say("/event list where=turku", as_="Sanni")
        assert page_of(listed) is None and "Day1" not in texts(listed) and "Day3" in texts(listed)
        assert {(r["filters"], r["listed"]) for r in await bot.rows("SELECT * FROM event_list_counts")
                if r["version"] == (await bot.rows("SELECT version FROM event_list_version"))[0]["version"]} == {
            ("turku|-", 4)}
