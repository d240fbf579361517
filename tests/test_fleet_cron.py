"""Cron jobs with several processes on one database (bot/scheduler.py): each fire runs in one process only, and a
fire cut short by a stop runs again when its process comes back (as with one process)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot.scheduler
import bot.workers
from bot.clock import Clock
from bot.commands import Cog
from bot.context import ServiceContext
from bot.testing import ConsoleBot, make_config

HANG_GUARD = 30.0  # a hang guard, not a timing assertion
START = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 08:00 in Helsinki; the job fires at 09:00 every day


def counting_cog(runs: list[tuple[str, datetime]], hold: asyncio.Event | None = None) -> Cog:
    """A cog whose daily job has an effect outside the outbox: it appends (worker, time) to `runs`."""
    cog = Cog("tally", "tally")

    @cog.job(cron="0 9 * * *")
    async def tally(ctx: ServiceContext) -> None:
        runs.append((ctx.app.worker.id, ctx.now()))
        if hold is not None:
            await hold.wait()  # never set: the fire is still under way when its process stops

    return cog


async def test_each_fire_of_a_cron_job_runs_in_one_process_only(tmp_path: Path) -> None:
    clock = Clock(frozen_at=START)
    runs: list[tuple[str, datetime]] = []
    config = make_config(["ping"])
    first = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    second = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    try:
        for day in range(3):
            # Both processes wake at each fire (the clock is shared): the first to claim it runs it.
            ahead, behind = (first, second) if day % 2 == 0 else (second, first)
            await ahead.app.scheduler.advance(2 * 3600)  # to 10:00: the 09:00 fire ran
            await behind.app.scheduler.run_due()  # an hour late, inside the grace time: it tries the same fire
            await ahead.app.scheduler.advance(22 * 3600)
            await behind.app.scheduler.run_due()
        assert len(runs) == 3
        assert sorted({at for _worker, at in runs}) == [START + timedelta(days=d, hours=1) for d in range(3)]
        assert len({worker for worker, _at in runs}) == 2  # each process ran some: not one process alone
        # A fire's record is dropped only once no process could run it again (twice the grace time after it).
        kept = await first.rows("SELECT job, done, claimed_by FROM cron_fires ORDER BY fire_at")
        assert [(r["job"], r["done"], r["claimed_by"]) for r in kept] == [("tally.tally", 1, None)]
    finally:
        await first.stop()
        await second.stop()


async def test_a_fire_cut_short_runs_again_when_its_process_restarts_and_not_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.scheduler, "STOP_WAIT_SECONDS", 0.05)
    clock = Clock(frozen_at=START)
    runs: list[tuple[str, datetime]] = []
    config = make_config(["ping"])
    first = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs, asyncio.Event())])
    second = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    restarted: ConsoleBot | None = None
    try:
        clock.pin(START + timedelta(hours=1, minutes=30))
        held = asyncio.create_task(first.app.scheduler.run_due())

        async def started() -> None:
            while not runs:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(started(), HANG_GUARD)
        await second.app.scheduler.run_due()  # the first process holds this fire: not run here
        assert [worker for worker, _at in runs] == [first.app.worker.id]
        await first.stop()  # the fire is cut short (its task cancelled after the stop's wait)
        await asyncio.gather(held, return_exceptions=True)
        await second.app.scheduler.run_due()
        assert len(runs) == 1  # still the first process's: its lease has not run out
        restarted = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
        assert restarted.app.worker.id == first.app.worker.id  # the same slot: the same worker
        await restarted.app.settle()
        assert runs == [(first.app.worker.id, START + timedelta(hours=1, minutes=30))] * 2
        [fire] = await restarted.rows("SELECT done FROM cron_fires")
        assert fire["done"] == 1
    finally:
        if first.app.started:
            await first.stop()
        await second.stop()
        if restarted is not None:
            await restarted.stop()


async def test_a_fire_whose_process_stopped_renewing_its_lease_is_taken_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.scheduler, "STOP_WAIT_SECONDS", 0.05)
    clock = Clock(frozen_at=START)
    monkeypatch.setattr(bot.workers, "lease_now", clock.now)  # leases run in real time: here, the test's
    runs: list[tuple[str, datetime]] = []
    config = make_config(["ping"], {"workers": {"lease_seconds": 30}})
    hold = asyncio.Event()
    first = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs, hold)])
    second = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    held: asyncio.Task[int] | None = None
    try:
        clock.pin(START + timedelta(hours=1, minutes=30))
        held = asyncio.create_task(first.app.scheduler.run_due())

        async def started() -> None:
            while not runs:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(started(), HANG_GUARD)
        await second.app.scheduler.run_due()
        assert len(runs) == 1  # held by the first process, whose lease is alive
        await first.app.worker.stop()  # the first process hangs: its lease is no longer renewed
        clock.advance(31)
        await second.app.scheduler.run_due()  # the lease ran out: the second process runs the fire
        assert [worker for worker, _at in runs] == [first.app.worker.id, second.app.worker.id]
        [fire] = await second.rows("SELECT done FROM cron_fires")
        assert fire["done"] == 1
        await second.app.scheduler.run_due()
        assert len(runs) == 2  # once taken over, not again
    finally:
        hold.set()
        if held is not None:
            await asyncio.gather(held, return_exceptions=True)
        await first.stop()
        await second.stop()


async def test_a_fire_missed_while_every_process_was_down_runs_once_when_they_start(tmp_path: Path) -> None:
    runs: list[tuple[str, datetime]] = []
    config = make_config(["ping"])
    clock = Clock(frozen_at=START)
    alone = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    await alone.app.scheduler.advance(2 * 3600)
    await alone.stop()
    assert len(runs) == 1
    # Down over the next morning's fire; two processes start 2 h after it (grace 6 h): it runs once, late.
    clock.pin(START + timedelta(days=1, hours=3))
    first = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    second = await ConsoleBot.start(tmp_path, config, clock=clock, extra_cogs=[counting_cog(runs)])
    try:
        await first.app.scheduler.run_due()
        await second.app.scheduler.run_due()
        assert len(runs) == 2
    finally:
        await first.stop()
        await second.stop()
