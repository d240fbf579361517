"""The scheduler: rows survive restarts, run exactly once, late within the grace time, dropped after it;
weekly reminders keep their local hour across daylight saving; config-declared cron jobs post on time."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import Cog
from bot.context import ServiceContext
from bot.scheduler import Due, Planned
from tests.harness import TEST_NOW, ConsoleBot
from tests.harness import test_config as make_config
from tests.personal_helpers import rows

HELSINKI = ZoneInfo("Europe/Helsinki")


async def restart(bot: ConsoleBot, data_dir: Path, now: datetime) -> ConsoleBot:
    await bot.stop()
    return await ConsoleBot.start(data_dir, now=now)


def dms(bot: ConsoleBot, who: str = "@olli") -> list[str]:
    return [p.text for p in bot.sent_to(who)]


async def test_restart_before_due_delivers_exactly_once(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/remind 2026-11-26 16:00 Palauta essee", as_="Olli")  # 14:00 UTC, two hours ahead
    bot = await restart(bot, tmp_path, TEST_NOW + timedelta(hours=1))
    assert dms(bot) == []  # rebuilt from its row, not yet due
    await bot.wait("2h")
    assert len(dms(bot)) == 1 and "Palauta essee" in dms(bot)[0]
    assert "myöhässä" not in dms(bot)[0]
    bot = await restart(bot, tmp_path, TEST_NOW + timedelta(hours=5))
    await bot.wait("1d")
    assert dms(bot) == []  # never twice
    statuses = await rows(bot, "SELECT status FROM scheduled")
    assert statuses == [{"status": "done"}]
    await bot.stop()


async def test_reminder_due_while_stopped_is_sent_late_once(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/remind 2026-11-26 15:00 Soita kotiin", as_="Olli")  # 13:00 UTC
    await bot.stop()
    bot = await ConsoleBot.start(tmp_path, now=TEST_NOW + timedelta(hours=4))  # 3 h late, grace is 6 h
    await bot.app.settle()
    assert len(dms(bot)) == 1
    assert "Soita kotiin" in dms(bot)[0] and "myöhässä" in dms(bot)[0]
    row = (await rows(bot, "SELECT status, late_seconds FROM scheduled"))[0]
    assert row["status"] == "done" and row["late_seconds"] == 3 * 3600
    bot = await restart(bot, tmp_path, TEST_NOW + timedelta(hours=4, minutes=5))
    assert dms(bot) == []
    await bot.stop()


async def test_reminder_past_grace_is_dropped_with_a_record(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/remind 2026-11-26 15:00 Vanhentunut asia", as_="Olli")
    await bot.stop()
    bot = await ConsoleBot.start(tmp_path, now=TEST_NOW + timedelta(hours=8))  # 7 h late > 6 h grace
    await bot.app.settle()
    assert dms(bot) == []
    row = (await rows(bot, "SELECT status, late_seconds FROM scheduled"))[0]
    assert row["status"] == "dropped" and row["late_seconds"] == 7 * 3600
    reminder = (await rows(bot, "SELECT status FROM reminders"))[0]
    assert reminder["status"] == "missed"
    assert "Sinulla ei ole muistutuksia" in (await bot.say("/reminders", as_="Olli"))[0].text
    await bot.stop()


async def test_dropped_repeating_reminder_goes_on_with_the_next_occurrence(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/remind 2026-11-27 09:00 Aamupalaveri repeat=daily", as_="Olli")
    await bot.stop()
    # Down for two days: the missed mornings are dropped, the next one is planned in local time.
    bot = await ConsoleBot.start(tmp_path, now=datetime(2026, 11, 29, 5, 0, tzinfo=UTC))
    await bot.app.settle()
    assert dms(bot) == []
    pending = await rows(bot, "SELECT due_at FROM scheduled WHERE status = 'pending'")
    assert [datetime.fromisoformat(r["due_at"]).astimezone(HELSINKI).strftime("%d.%m. %H:%M")
            for r in pending] == ["29.11. 09:00"]
    await bot.wait("3h")
    assert len(dms(bot)) == 1
    await bot.stop()


async def test_running_row_given_up_after_it_was_interrupted_max_runs_times(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/remind 2026-11-26 15:00 Kesken jäänyt", as_="Olli")
    # The process died inside this task three times: it is what kills it, so it is not started again.
    await bot.app.db.execute("UPDATE scheduled SET status = 'running', runs = 3")
    bot = await restart(bot, tmp_path, TEST_NOW + timedelta(hours=2))
    await bot.wait("1h")
    assert dms(bot) == []
    assert (await rows(bot, "SELECT status FROM scheduled"))[0]["status"] == "interrupted"
    await bot.stop()


async def _weekly_fire_times(data_dir: Path, start: datetime, first: str, weeks: int) -> list[datetime]:
    bot = await ConsoleBot.start(data_dir, now=start)
    await bot.say(f"/remind {first} 09:00 Viikkopalaveri repeat=weekly", as_="Olli")
    for _ in range(weeks):
        await bot.wait("7d")
    fired = await rows(bot, "SELECT created_at FROM outbox WHERE person_id IS NOT NULL ORDER BY id")
    assert len(dms(bot)) == weeks
    await bot.stop()
    return [datetime.fromisoformat(r["created_at"]) for r in fired]


async def test_weekly_reminder_keeps_0900_across_the_march_change(tmp_path: Path) -> None:
    # Summer time starts on Sunday 28 March 2027 (03:00 EET -> 04:00 EEST).
    times = await _weekly_fire_times(tmp_path, datetime(2027, 3, 15, 12, 0, tzinfo=UTC), "2027-03-22", 3)
    local = [t.astimezone(HELSINKI) for t in times]
    assert [t.strftime("%a %d.%m. %H:%M") for t in local] == [
        "Mon 22.03. 09:00", "Mon 29.03. 09:00", "Mon 05.04. 09:00"]
    assert [t.utcoffset() for t in local] == [timedelta(hours=2), timedelta(hours=3), timedelta(hours=3)]
    assert [t.hour for t in times] == [7, 6, 6]  # the UTC hour moves, the local one does not


async def test_weekly_reminder_keeps_0900_across_the_october_change(tmp_path: Path) -> None:
    # Summer time ends on Sunday 31 October 2027 (04:00 EEST -> 03:00 EET).
    times = await _weekly_fire_times(tmp_path, datetime(2027, 10, 18, 12, 0, tzinfo=UTC), "2027-10-25", 3)
    local = [t.astimezone(HELSINKI) for t in times]
    assert [t.strftime("%a %d.%m. %H:%M") for t in local] == [
        "Mon 25.10. 09:00", "Mon 01.11. 09:00", "Mon 08.11. 09:00"]
    assert [t.hour for t in times] == [6, 7, 7]


async def test_daily_reminder_in_the_october_repeated_hour_fires_once(tmp_path: Path) -> None:
    # 03:30 happens twice on 31 October 2027; a reminder there still fires once that day.
    bot = await ConsoleBot.start(tmp_path, now=datetime(2027, 10, 29, 12, 0, tzinfo=UTC))
    await bot.say("/remind 2027-10-30 03:30 Yövuoro repeat=daily", as_="Olli")
    await bot.wait("4d")
    fired = await rows(bot, "SELECT created_at FROM outbox WHERE person_id IS NOT NULL ORDER BY id")
    days = [datetime.fromisoformat(r["created_at"]).astimezone(HELSINKI).strftime("%d.%m. %H:%M")
            for r in fired]
    assert days == ["30.10. 03:30", "31.10. 03:30", "01.11. 03:30", "02.11. 03:30"]
    await bot.stop()


def _config_with_job(cron: str, text: str) -> object:
    config = make_config()
    job = {"name": "weekly_note", "cron": cron, "destination": "dev", "text": text}
    return dataclasses.replace(config, scheduler=dataclasses.replace(config.scheduler, jobs=(job,)))


async def test_config_cron_job_posts_at_local_time_across_dst(tmp_path: Path) -> None:
    config = _config_with_job("0 9 * * mon", "Viikon muistilista")
    bot = await ConsoleBot.start(tmp_path, config=config, now=datetime(2027, 3, 20, 12, 0, tzinfo=UTC))  # type: ignore[arg-type]
    await bot.wait("7d")
    await bot.wait("7d")
    posts = bot.sent_to("#dev")
    assert [p.text for p in posts] == ["Viikon muistilista", "Viikon muistilista"]
    runs = await rows(bot, "SELECT job, last_run_at FROM job_runs WHERE job LIKE 'config.%'")
    assert runs[0]["job"] == "config.weekly_note"
    last = datetime.fromisoformat(runs[0]["last_run_at"]).astimezone(HELSINKI)
    assert last.strftime("%a %d.%m. %H:%M") == "Mon 29.03. 09:00"
    await bot.stop()


async def test_cron_job_missed_while_down_runs_once_on_restart(tmp_path: Path) -> None:
    config = _config_with_job("0 9 * * *", "Huomenta")
    start = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 08:00 Helsinki
    bot = await ConsoleBot.start(tmp_path, config=config, now=start)  # type: ignore[arg-type]
    await bot.wait("2h")
    assert len(bot.sent_to("#dev")) == 1
    await bot.stop()
    # Down over the next morning's run: it runs once, late, on start (2 h late, grace 6 h).
    bot = await ConsoleBot.start(tmp_path, config=config, now=start + timedelta(days=1, hours=3))  # type: ignore[arg-type]
    await bot.app.settle()
    assert len(bot.sent_to("#dev")) == 1
    await bot.stop()
    bot = await ConsoleBot.start(tmp_path, config=config, now=start + timedelta(days=1, hours=4))  # type: ignore[arg-type]
    await bot.app.settle()
    assert bot.sent_to("#dev") == []
    await bot.stop()


async def test_config_job_with_unknown_destination_is_a_config_error(tmp_path: Path) -> None:
    from tests.harness import ROOT

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text += '\n[[scheduler.jobs]]\nname = "x"\ncron = "0 9 * * mon"\ndestination = "nowhere"\ntext = "hi"\n'
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    from bot.config import ConfigError, load_config

    try:
        load_config(path, env={})
    except ConfigError as error:
        assert any("scheduler" in p and "nowhere" in p for p in error.problems)
    else:
        raise AssertionError("an unknown destination must be refused")


async def test_monthly_reminder_keeps_its_day_and_hour_and_skips_months_without_that_day(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, now=datetime(2027, 1, 20, 12, 0, tzinfo=UTC))
    replied = (await bot.say("/remind 2027-01-31 09:00 Vuokra repeat=monthly", as_="Olli"))[0].text
    assert "Toistuu: joka kuukausi" in replied
    assert "joka kuukausi" in (await bot.say("/reminders", as_="Olli"))[0].text
    await bot.wait("193d")  # to 1.8.
    fired = await rows(bot, "SELECT created_at FROM outbox WHERE person_id IS NOT NULL ORDER BY id")
    # No 31 February, April or June (RFC 5545 skips them); 09:00 in winter and in summer time.
    assert [datetime.fromisoformat(r["created_at"]).astimezone(HELSINKI).strftime("%d.%m. %H:%M")
            for r in fired] == ["31.01. 09:00", "31.03. 09:00", "31.05. 09:00", "31.07. 09:00"]
    pending = await rows(bot, "SELECT due_at FROM scheduled WHERE status = 'pending'")
    assert [datetime.fromisoformat(r["due_at"]).astimezone(HELSINKI).strftime("%d.%m. %H:%M")
            for r in pending] == ["31.08. 09:00"]
    await bot.stop()


# ------------------------------------------------------------------ issue 26: the wake-up path under a burst

probe = Cog("probe", "Scheduler probe")
RUNS: list[tuple[str, int | None, int]] = []  # ("start" | "end", person, n)


RUNNING: set[int] = set()
TOGETHER: dict[str, asyncio.Condition] = {}  # made per test: a condition belongs to one event loop


@probe.task("step")
async def step(ctx: ServiceContext, due: Due) -> None:
    RUNS.append(("start", due.person_id, due.payload["n"]))
    together = TOGETHER["now"]
    async with together:  # wait (a second at most) for another row to be running beside this one
        RUNNING.add(due.payload["n"])
        together.notify_all()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(together.wait_for(lambda: len(RUNNING) > 1), 1)
    RUNS.append(("end", due.person_id, due.payload["n"]))
    await asyncio.sleep(0)
    RUNNING.discard(due.payload["n"])
    if due.payload.get("then"):  # time passes while it runs, and another row falls due meanwhile
        ctx.app.clock.pin(ctx.now() + timedelta(seconds=1))
        await ctx.schedule("step", ctx.now(), key="probe:later", payload={"n": 99}, person_id=9)


async def probe_bot(tmp_path: Path) -> ConsoleBot:
    RUNS.clear()
    RUNNING.clear()
    TOGETHER["now"] = asyncio.Condition()
    bot = await ConsoleBot.start(tmp_path, extra_cogs=(probe,))
    await bot.app.db.executemany("INSERT INTO people (id, display_name, created_at) VALUES (?, ?, ?)",
                                 [(n, f"P{n}", "2026-11-26T12:00:00.000000+00:00") for n in (1, 2, 3, 4, 5, 9)])
    return bot


def overlaps(first: tuple[int | None, int], second: tuple[int | None, int]) -> bool:
    """Did `second` start before `first` ended?"""
    return RUNS.index(("start", *second)) < RUNS.index(("end", *first))


async def test_due_rows_of_different_people_run_side_by_side_and_each_persons_in_order(tmp_path: Path) -> None:
    bot = await probe_bot(tmp_path)
    try:
        due = TEST_NOW - timedelta(seconds=1)
        planned = [(1, 1), (2, 2), (1, 3), (3, 4), (None, 5), (4, 6), (5, 7)]  # (person, n) in due order
        await bot.app.scheduler.schedule_many(
            Planned("step", due + timedelta(microseconds=n), f"probe:{n}", {"n": n}, person) for person, n in planned)
        assert await bot.app.scheduler.run_due() == 7  # the real wake-up
        assert overlaps((1, 1), (2, 2))  # two people at once
        assert not overlaps((1, 1), (1, 3))  # one person's rows one after another, in order
        assert RUNS.index(("end", 1, 1)) < RUNS.index(("start", 1, 3))
        assert not overlaps((3, 4), (None, 5)) and not overlaps((None, 5), (4, 6))  # no one person's: alone
        assert overlaps((4, 6), (5, 7))
        statuses = await rows(bot, "SELECT status FROM scheduled")
        assert statuses == [{"status": "done"}] * 7
    finally:
        await bot.stop()


async def test_a_row_falling_due_during_a_wake_up_runs_in_it(tmp_path: Path) -> None:
    bot = await probe_bot(tmp_path)
    try:
        await bot.app.scheduler.schedule("step", TEST_NOW, key="probe:first", payload={"n": 1, "then": True},
                                         person_id=1)
        assert await bot.app.scheduler.run_due() == 2  # no second wake-up to wait for
        assert [entry for entry in RUNS if entry[0] == "end"] == [("end", 1, 1), ("end", 9, 99)]
    finally:
        await bot.stop()


@pytest.mark.sqlite_only  # SQLite's query plans
async def test_the_next_wake_up_is_read_off_the_index_whatever_is_pending(tmp_path: Path) -> None:
    """Every wake-up asks when the next row is due and when another worker's lease ends. With 100,000 reminders
    pending that must be an index read, not a pass over every pending row (it was one: 20 ms per wake-up)."""
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/remind 2026-11-27 16:00 Toinen", as_="Olli")
    await bot.say("/remind 2026-11-26 18:00 Ensin", as_="Olli")
    await bot.app.db.execute(  # a row another worker runs: its lease end is the other time asked for
        "UPDATE scheduled SET status = 'running', claimed_by = 'elsewhere', lease_until = '2026-11-26T12:05:00+00:00'"
        " WHERE due_at > '2026-11-27'")
    asked: list[str] = []
    fetchone = bot.app.db.fetchone

    async def recording(sql: str, params: Any = ()) -> Any:
        asked.append(sql)
        return await fetchone(sql, params)

    bot.app.db.fetchone = recording  # type: ignore[method-assign]
    due, lapse = await bot.app.scheduler.rows.earliest_pending(bot.app.worker.id)
    bot.app.db.fetchone = fetchone  # type: ignore[method-assign]
    assert (due, lapse) == (datetime(2026, 11, 26, 16, 0, tzinfo=UTC), datetime(2026, 11, 26, 12, 5, tzinfo=UTC))
    [sql] = asked
    plan = [row[3] for row in await bot.app.db.fetchall(f"EXPLAIN QUERY PLAN {sql}", (bot.app.worker.id,))]
    assert not [step for step in plan if step.startswith("SCAN scheduled")], plan
    assert any("COVERING INDEX scheduled_due" in step for step in plan), plan  # MIN(due_at) off the index
    await bot.stop()
