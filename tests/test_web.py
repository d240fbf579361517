"""The web server (bot/web.py) through a real HTTP client on 127.0.0.1: calendar feeds with ETag and 304,
/event subscribe and its reset, public feeds without links, /healthz and /metrics."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import icalendar
import pytest
from multidict import CIMultiDict
from prometheus_client.parser import text_string_to_metric_families

from bot.context import ServiceContext
from bot.testing import ConsoleBot, test_bot, texts
from tests.test_events import card, create, going

WEB = {"web": {"enabled": True, "port": 0, "base_url": "https://cal.example/bot",
               "organizer_email": "hallitus@humako.example"}}
ONLINE = ('/event create title="Online coffee" start="5.12. klo 18" where=online link=https://meet.example/c '
          'description=Coffee language=en')
QUIZ = '/event create title="Quiz night" start="4.12. klo 18" where=helsinki description="Fun quiz" language=fi'


@asynccontextmanager
async def web_bot(cogs: list[str] | None = None, web: dict | None = None) -> AsyncIterator[tuple[ConsoleBot, str]]:  # type: ignore[type-arg]
    async with test_bot(cogs=cogs or ["events"], config={"web": {**WEB["web"], **(web or {})}}) as bot:
        server = bot.app.web
        assert server is not None and server.port
        yield bot, f"http://127.0.0.1:{server.port}"


async def subscribe(bot: ConsoleBot, who: str, extra: str = "") -> str:
    """The feed's path, from the URL /event subscribe gave (the proxy's base URL stripped)."""
    out = texts(await bot.say(f"/event subscribe {extra}".strip(), as_=who, where="dm"))
    found = re.search(r"https://cal\.example/bot(/calendar/\S+\.ics)", out)
    assert found, out
    return found.group(1)


async def fetch(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, CIMultiDict[str]]:
    async with aiohttp.ClientSession() as session, session.get(base + path, headers=headers or {}) as response:
        return response.status, await response.read(), response.headers.copy()


def vevents(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(item["summary"]): item for item in calendar.walk("VEVENT")}


async def test_feed_follows_rsvps_edits_change_sequence_and_etag_and_304_when_unchanged() -> None:
    async with web_bot() as (bot, base):
        await create(bot, ONLINE)
        await create(bot, QUIZ)
        await going(bot, "Sanni", card(bot))  # the online coffee
        path = await subscribe(bot, "Sanni")
        status, body, headers = await fetch(base, path)
        assert status == 200 and headers["Content-Type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(body)
        assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
        [coffee] = vevents(body).values()  # only what she is going to
        assert str(coffee["url"]) == "https://meet.example/c" and coffee["sequence"] == 0
        assert str(coffee["organizer"]) == "mailto:hallitus@humako.example"
        assert coffee["dtstart"].params["TZID"] == "Europe/Helsinki"
        etag = headers["ETag"]

        # Unchanged: the same ETag, and a conditional request (either kind) gets 304 without a body.
        again = await fetch(base, path, {"If-None-Match": etag})
        assert again[0] == 304 and again[1] == b""
        assert (await fetch(base, path, {"If-Modified-Since": headers["Last-Modified"]}))[0] == 304
        assert (await fetch(base, path))[2]["ETag"] == etag

        await bot.wait("1h")
        await bot.say('/event edit event=1 title="Online coffee and tea"', as_="Olli")
        status, body, headers = await fetch(base, path, {"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        assert vevents(body)["Online coffee and tea"]["sequence"] == 1
        await bot.say('/event edit event=1 start="5.12. klo 19"', as_="Olli")
        assert vevents((await fetch(base, path))[1])["Online coffee and tea"]["sequence"] == 2


async def test_subscribe_reset_makes_the_old_url_404_and_a_new_one_works() -> None:
    async with web_bot() as (bot, base):
        old = await subscribe(bot, "Sanni")
        assert await subscribe(bot, "Sanni") == old  # asking again gives the same address
        new = await subscribe(bot, "Sanni", "reset")
        assert new != old
        assert (await fetch(base, old))[0] == 404
        assert (await fetch(base, new))[0] == 200
        newest = await subscribe(bot, "Sanni", "uusi")  # the Finnish word the Finnish reply names
        assert (await fetch(base, new))[0] == 404 and (await fetch(base, newest))[0] == 200
        assert (await fetch(base, "/calendar/not-a-token.ics"))[0] == 404
        # /mydata tells when the address was made, not the token; /forgetme takes the address with the person.
        [sanni] = await bot.app.people.find_by_name("Sanni")
        ctx = ServiceContext(bot.app)
        assert len((await ctx.export_person(sanni.id))["calendar_feed_made_at"]) == 1
        await ctx.forget_person(sanni.id)
        assert (await fetch(base, newest))[0] == 404


async def test_public_feeds_per_campus_online_and_language_carry_no_links() -> None:
    async with web_bot() as (bot, base):
        await create(bot, ONLINE)
        await create(bot, QUIZ)
        status, body, _ = await fetch(base, "/calendar/public/all/fi.ics")
        assert status == 200 and set(vevents(body)) == {"Quiz night"}  # the English coffee is in the English feed
        status, body, _ = await fetch(base, "/calendar/public/online/en.ics")
        assert status == 200 and set(vevents(body)) == {"Online coffee"}
        assert b"meet.example" not in body and "url" not in vevents(body)["Online coffee"]
        status, body, _ = await fetch(base, "/calendar/public/helsinki/fi.ics")
        assert set(vevents(body)) == {"Quiz night"}
        assert (await fetch(base, "/calendar/public/joensuu/fi.ics"))[0] == 200
        assert (await fetch(base, "/calendar/public/atlantis/fi.ics"))[0] == 404
        assert (await fetch(base, "/calendar/public/all/sv.ics"))[0] == 404


async def test_a_members_meetings_are_in_their_feed() -> None:
    async with web_bot(cogs=["events", "meetings"]) as (bot, base):
        for name in ("Aino", "Bertta"):
            await bot.say("/help", as_=name, roles="student", where="dm")
        await bot.say('/meeting add kind=board title=Hallitus when="28.11. klo 18" place="Toimisto" to=board '
                      'members="Aino,Bertta"', as_="Hanna", roles="board", where="dm")
        body = (await fetch(base, await subscribe(bot, "Aino")))[1]
        meeting = vevents(body)["Hallitus"]
        assert str(meeting["location"]) == "Toimisto" and meeting["dtstart"].params["TZID"] == "Europe/Helsinki"
        assert "Hallitus" not in vevents((await fetch(base, "/calendar/public/all/fi.ics"))[1])


async def test_a_mentoring_pairs_planned_meetings_are_in_its_members_feeds() -> None:
    from tests.test_mentoring import paired

    async with web_bot(cogs=["events", "mentoring"]) as (bot, base):
        await paired(bot)
        await bot.say('/mentor meeting_plan when="3.12.2026 klo 17" place=Kahvila', as_="Matti")
        aino = vevents((await fetch(base, await subscribe(bot, "Aino")))[1])
        assert str(aino["Mentorointitapaaminen"]["location"]) == "Kahvila"
        assert "Mentorointitapaaminen" not in vevents((await fetch(base, await subscribe(bot, "Elli")))[1])
        assert "Mentorointitapaaminen" not in vevents((await fetch(base, "/calendar/public/all/fi.ics"))[1])


async def test_subscribe_without_the_web_server_says_so_and_stores_nothing() -> None:
    async with test_bot(cogs=["events"]) as bot:
        out = texts(await bot.say("/event subscribe", as_="Sanni", where="dm"))
        assert "Kalenteritilaukset eivät ole täällä käytössä." in out
        assert await bot.app.db.fetchval("SELECT COUNT(*) FROM calendar_feeds") == 0


@pytest.mark.sqlite_only  # SQLite's file lock; PostgreSQL: the next test
async def test_health_flips_to_503_while_the_database_is_locked_and_back() -> None:
    async with web_bot() as (bot, base):
        status, body, _ = await fetch(base, "/healthz")
        assert (status, body) == (200, b"ok\n")
        locker = sqlite3.connect(bot.app.db.path, isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")
            status, body, _ = await fetch(base, "/healthz")
            assert status == 503 and b"database" in body and b"locked" in body
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert (await fetch(base, "/healthz"))[0] == 200


@pytest.mark.postgresql
async def test_health_flips_to_503_while_another_process_holds_the_writer_lock_and_back() -> None:
    import asyncpg

    from storage.postgres import WRITER_LOCK

    async with web_bot() as (bot, base):
        assert (await fetch(base, "/healthz"))[:2] == (200, b"ok\n")
        other = await asyncpg.connect(bot.app.database_path)  # another bot process, mid-transaction
        try:
            async with other.transaction():
                await other.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
                status, body, _ = await fetch(base, "/healthz")
                assert status == 503 and body.startswith(b"database")
        finally:
            await other.close()
        assert (await fetch(base, "/healthz"))[0] == 200


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_parse_and_move_when_commands_run() -> None:
    async with web_bot(cogs=["ping", "events"]) as (bot, base):
        status, body, headers = await fetch(base, "/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        handled = ("humako_commands_total", (("command", "ping"), ("frontend", "console"), ("outcome", "handled")))
        assert handled not in samples(body.decode())
        await bot.say("/ping", as_="Sanni")
        await bot.say("/ping", as_="Sanni")
        await bot.say("/event edit event=99 title=x", as_="Sanni")  # refused: no such event / not allowed
        await create(bot, QUIZ)  # announces: outbox rows and live copies
        found = samples((await fetch(base, "/metrics"))[1].decode())
        assert found[handled] == 2
        refused = [k for k, v in found.items() if k[0] == "humako_commands_total" and ("outcome", "refused") in k[1]]
        assert refused and all(found[k] == 1 for k in refused)
        latency = ("humako_command_seconds_count", (("command", "ping"), ("frontend", "console")))
        assert found[latency] == 2
        assert found[("humako_outbox_oldest_pending_seconds", ())] >= 0
        assert any(k[0] == "humako_outbox_rows" for k in found)
        assert any(k[0] == "humako_live_copies" and v >= 1 for k, v in found.items())
        assert found[("humako_scheduler_rows", (("status", "pending"),))] >= 1  # the quiz's reminders
        assert found[("humako_scheduler_late_seconds", ())] == 0


def test_command_latency_buckets_are_cumulative_with_prometheus_bounds() -> None:
    """The core's tally (plain numbers, no lock per command) reads as a Prometheus histogram: each `le` bucket
    counts the commands at or under its bound, +Inf all of them, with their sum."""
    from prometheus_client import generate_latest

    from bot.metrics import Metrics

    metrics = Metrics()
    for seconds in (0.005, 0.004, 0.3, 20.0):  # 0.005 is on a bound: counted in it (le is "at most")
        metrics.command("ping", "discord", "handled", seconds)
    metrics.command("ping", "discord", "refused", 0.001)
    found = samples(generate_latest(metrics.registry).decode())
    labels = (("command", "ping"), ("frontend", "discord"))

    def bucket(le: str) -> float:
        return found[("humako_command_seconds_bucket", tuple(sorted((*labels, ("le", le)))))]

    assert [bucket(le) for le in ("0.005", "0.01", "0.25", "0.5", "10.0", "+Inf")] == [3, 3, 3, 4, 4, 5]
    assert found[("humako_command_seconds_count", labels)] == 5
    assert found[("humako_command_seconds_sum", labels)] == pytest.approx(20.31)
    assert found[("humako_commands_total", (*labels, ("outcome", "handled")))] == 4
    assert found[("humako_commands_total", (*labels, ("outcome", "refused")))] == 1
