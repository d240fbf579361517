"""Several workers (bots) on one database: each outbox row and each scheduled row is delivered once, in order per
chat, and the rows of a worker that died are taken over after its lease (bot/workers.py, storage/claims.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.live
import bot.outbox
import bot.scheduler
import bot.workers
from bot.clock import Clock
from bot.commands import Cog, Reply
from bot.context import ServiceContext
from bot.frontends.base import Sent, Target
from bot.scheduler import Due, Planned
from bot.testing import TEST_DATABASES, TEST_NOW, ConsoleBot, make_config
from bot.workers import take_slot
from storage.db import Database
from storage.outbox import OutboxQueries

PEOPLE = 40
HANG_GUARD = 30.0  # a hang guard, not a timing assertion


class LeaseTime:
    """Lease time for the test (bot/workers.py measures leases in real time, not on the bot's clock)."""

    def __init__(self) -> None:
        self.at = TEST_NOW

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def lease_time(monkeypatch: pytest.MonkeyPatch) -> LeaseTime:
    fake = LeaseTime()
    monkeypatch.setattr(bot.workers, "lease_now", fake.now)
    return fake


@asynccontextmanager
async def workers(tmp_path: Path, count: int, clock: Clock | None = None) -> AsyncIterator[list[ConsoleBot]]:
    """`count` bots on one data directory (one SQLite file in WAL mode), each a worker of its own."""
    config = make_config(["ping"], {"workers": {"lease_seconds": 30}})
    shared = clock or Clock(frozen_at=TEST_NOW)
    bots = [await ConsoleBot.start(tmp_path, config, clock=shared) for _ in range(count)]
    try:
        yield bots
    finally:
        for each in bots:
            await each.stop()


async def queue_dms(bot_: ConsoleBot, people: int = PEOPLE, each: int = 1) -> list[str]:
    """`each` numbered DMs to each of `people` console people, queued by `bot_`; the names, in order."""
    names = [f"member{n}" for n in range(people)]
    ids = [(await bot_.app.people.get_or_create("console", name, name, "en")).id for name in names]
    for number in range(each):
        await bot_.app.outbox.to_people([(pid, f"t{number}:{pid}") for pid in ids], Reply(f"message {number}"))
    return names


def delivered(bots: list[ConsoleBot]) -> Counter[tuple[str, str]]:
    """(chat, text) of every message sent, over all the bots."""
    return Counter((p.where, p.text) for b in bots for p in b.console.printed if p.kind == "sent")


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    async def poll() -> None:
        while not await condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), HANG_GUARD)


async def pending(bot_: ConsoleBot) -> int:
    return int(await bot_.app.db.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"))


def gate(bot_: ConsoleBot, started: asyncio.Event, go: asyncio.Event, log: list[tuple[str, str]]) -> None:
    """The bot's sends start, then wait for `go`; each one sent is logged (chat, text) in the order sent."""
    real = bot_.console.send

    async def send(target: Target, message: Any) -> Sent:
        started.set()
        await go.wait()
        log.append((target.id, message.plain_text()))
        return await real(target, message)

    bot_.console.send = send  # type: ignore[method-assign]


async def test_two_workers_deliver_every_row_once_and_both_deliver(tmp_path: Path) -> None:
    async with workers(tmp_path, 2) as (first, second):
        started = [asyncio.Event(), asyncio.Event()]
        both = asyncio.Event()
        sent: list[tuple[str, str]] = []
        gate(first, started[0], both, sent)
        gate(second, started[1], both, sent)
        names = await queue_dms(first, each=3)  # queued by the first: the second finds them in the database
        second.app.outbox.wake()
        # Neither sends until both are sending: the rows are shared between them, not taken by one.
        await asyncio.wait_for(asyncio.gather(started[0].wait(), started[1].wait()), HANG_GUARD)
        both.set()
        await until(lambda: _none_pending(first))
        got = delivered([first, second])
        assert sorted(got) == sorted((f"@{n}", f"message {i}") for n in names for i in range(3))
        assert set(got.values()) == {1}
        # Each person's three messages were sent in the order they were queued, whichever worker sent them.
        for name in names:
            assert [text for chat, text in sent if chat == name] == ["message 0", "message 1", "message 2"]
        assert await first.app.worker.claims.held(first.app.worker.id) == 0
        assert await second.app.worker.claims.held(second.app.worker.id) == 0


async def _none_pending(bot_: ConsoleBot) -> bool:
    return await pending(bot_) == 0


# A task that counts its runs in this process (whichever bot runs it) and DMs the row's person; a view of a
# counter kept here, for live copies.
tasks = Cog("scale_tasks", "Scheduled rows for the workers tests")
RUNS: Counter[int] = Counter()
COUNTER = {"value": 0}


@tasks.view("counter")
async def counter_card(ctx: object, counter_id: int) -> Reply:
    return Reply(f"count {COUNTER['value']}")


@tasks.task("ping_later")
async def ping_later(ctx: ServiceContext, due: Due) -> None:
    RUNS[due.id] += 1
    await asyncio.sleep(0)  # let the other worker's wake-ups interleave
    assert due.person_id is not None
    await ctx.notify(due.person_id, Reply(f"later {due.payload['n']}"))


async def test_two_workers_run_every_due_row_once(tmp_path: Path) -> None:
    RUNS.clear()
    config = make_config(["ping"])
    clock = Clock(frozen_at=TEST_NOW)
    first = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    second = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    try:
        ids = [(await first.app.people.get_or_create("console", f"m{n}", f"m{n}", "en")).id for n in range(PEOPLE)]
        await first.app.scheduler.schedule_many(
            Planned("ping_later", TEST_NOW + timedelta(minutes=1), f"later:{n}", {"n": n}, pid)
            for n, pid in enumerate(ids))
        clock.advance(120)
        # Both wake at once, as two processes polling would: they share the due rows.
        ran = await asyncio.gather(first.app.scheduler.run_due(), second.app.scheduler.run_due())
        assert sum(ran) == PEOPLE and all(ran)
        assert sorted(RUNS) == sorted(int(r["id"]) for r in await first.rows("SELECT id FROM scheduled"))
        assert set(RUNS.values()) == {1}
        await until(lambda: _none_pending(first))
        got = delivered([first, second])
        assert sorted(got) == sorted((f"@m{n}", f"later {n}") for n in range(PEOPLE)) and set(got.values()) == {1}
    finally:
        await first.stop()
        await second.stop()


async def test_a_dead_workers_rows_are_taken_over_after_its_lease(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lease_time: LeaseTime) -> None:
    monkeypatch.setattr(bot.outbox, "STOP_WAIT_SECONDS", 0.01)
    clock = Clock(frozen_at=TEST_NOW)
    async with workers(tmp_path, 1, clock) as (dying,):
        hung, never = asyncio.Event(), asyncio.Event()
        gate(dying, hung, never, [])  # its sends never finish: it "dies" holding its rows
        names = await queue_dms(dying, people=4)
        await asyncio.wait_for(hung.wait(), HANG_GUARD)
        await dying.app.worker.stop()  # no heartbeat from here on: the process is gone
        held = await dying.app.worker.claims.held(dying.app.worker.id)
        assert held == 4
        async with workers(tmp_path, 1, clock) as (survivor,):
            await survivor.app.outbox.drain()
            assert delivered([survivor]) == Counter()  # not before the lease runs out
            await survivor.app.worker.beat()  # the survivor's own lease renewal does not touch the others' rows
            assert await pending(survivor) == 4
            lease_time.advance(31)  # the lease (30 s) ran out
            await survivor.app.outbox.drain()
            await until(lambda: _none_pending(survivor))
            got = delivered([survivor, dying])
            assert sorted(got) == sorted((f"@{n}", "message 0") for n in names) and set(got.values()) == {1}


async def test_a_live_worker_keeps_its_rows_past_the_lease(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           lease_time: LeaseTime) -> None:
    monkeypatch.setattr(bot.outbox, "STOP_WAIT_SECONDS", 0.01)
    clock = Clock(frozen_at=TEST_NOW)
    async with workers(tmp_path, 2, clock) as (slow, other):
        hung, go = asyncio.Event(), asyncio.Event()
        gate(slow, hung, go, [])
        await queue_dms(slow, people=3)
        await asyncio.wait_for(hung.wait(), HANG_GUARD)
        for _minute in range(4):  # two minutes of a slow send: the heartbeat renews the lease meanwhile
            lease_time.advance(30)
            assert await slow.app.worker.beat() == 3
            other.app.outbox.wake()
            await other.app.outbox.drain()
        assert delivered([other]) == Counter()  # never taken from the live worker
        go.set()
        await until(lambda: _none_pending(slow))
        assert set(delivered([slow, other]).values()) == {1}
        await until(lambda: _nothing_followed(slow))  # the lease ends it kept are gone with the rows


async def _nothing_followed(bot_: ConsoleBot) -> bool:
    return not bot_.app.worker.lease_ends


async def test_a_restarted_worker_takes_back_its_own_rows_at_once(tmp_path: Path) -> None:
    """A process that restarts in its slot retries what it was sending when it died, without waiting for the
    lease (as a single process always did)."""
    clock = Clock(frozen_at=TEST_NOW)
    async with workers(tmp_path, 1, clock) as (dying,):
        hung, never = asyncio.Event(), asyncio.Event()
        gate(dying, hung, never, [])
        await queue_dms(dying, people=2)
        await asyncio.wait_for(hung.wait(), HANG_GUARD)
        dead = dying.app.worker.id
        await dying.app.worker.stop()
        dying.app.worker.close()  # the process is gone: its slot is free
        restarted = await ConsoleBot.start(tmp_path, make_config(["ping"]), clock=clock)
        try:
            assert restarted.app.worker.id == dead
            await until(lambda: _none_pending(restarted))
            assert len(delivered([restarted])) == 2
        finally:
            await restarted.stop()


def test_each_process_of_a_data_directory_gets_a_slot_of_its_own(tmp_path: Path) -> None:
    first, handle = take_slot(tmp_path)
    second, other = take_slot(tmp_path)
    assert (first, second) == (0, 1)
    handle.close()  # the first process ended
    third, last = take_slot(tmp_path)
    assert third == 0
    other.close()
    last.close()


async def test_a_row_scheduled_by_another_process_runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process looks for due rows every POLL_SECONDS: a row planned by a process that died before it was
    due is run by another, which was never told about it."""
    monkeypatch.setattr(bot.scheduler, "POLL_SECONDS", 0.05)
    RUNS.clear()
    config = make_config(["ping"])
    clock = Clock(frozen_at=TEST_NOW)
    planner = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    runner = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    try:
        person = (await planner.app.people.get_or_create("console", "m0", "m0", "en")).id
        await planner.app.scheduler.stop()  # it dies before the row is due
        await planner.app.scheduler.schedule("ping_later", TEST_NOW + timedelta(minutes=1), key="later:0",
                                             payload={"n": 0}, person_id=person)
        clock.advance(120)
        await until(lambda: _any_sent([runner, planner]))
        await runner.app.outbox.drain()
        assert list(RUNS.values()) == [1]
        assert delivered([runner, planner]) == Counter({("@m0", "later 0"): 1})
    finally:
        await planner.stop()
        await runner.stop()


async def _any_sent(bots: list[ConsoleBot]) -> bool:
    return bool(delivered(bots))


async def test_copies_another_worker_is_editing_are_left_to_it_and_end_showing_the_last_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thing changes in one process, and again in another while the first is still editing its copies: the
    second leaves the copies to the first (it holds them), and each copy's last edit shows the second change."""
    monkeypatch.setattr(bot.live, "ELSEWHERE_SECONDS", 0.01)
    config = make_config(["ping"])
    clock = Clock(frozen_at=TEST_NOW)
    first = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    second = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    edits: list[tuple[str, str, str]] = []  # (bot, chat, text) in the order the edits were made
    started, go = asyncio.Event(), asyncio.Event()

    def record(name: str, each: ConsoleBot, gated: bool) -> None:
        real = each.console.edit

        async def edit(sent: Sent, message: Any) -> None:
            if gated and not go.is_set():
                started.set()
                await go.wait()
            edits.append((name, sent.chat_id, message.plain_text()))
            await real(sent, message)

        each.console.edit = edit  # type: ignore[method-assign]

    record("first", first, gated=True)
    record("second", second, gated=False)
    try:
        for number in range(1, 6):
            await first.app.live.remember(("counter", 1), "console", Sent(f"@m{number}", str(number)), "en", None)
        COUNTER["value"] = 1
        await first.app.live.changed("counter", 1)
        await asyncio.wait_for(started.wait(), HANG_GUARD)  # the first is editing: it holds every copy
        COUNTER["value"] = 2
        await second.app.live.changed("counter", 1)
        await asyncio.sleep(0.1)  # the second looks a few times meanwhile
        assert [e for e in edits if e[0] == "second"] == []
        go.set()
        await asyncio.gather(first.app.live.settle(), second.app.live.settle())
        for number in range(1, 6):
            mine = [text for _bot, chat, text in edits if chat == f"@m{number}"]
            assert mine == ["count 1", "count 2"]  # once per change, the last one showing the last change
        stale = await first.rows("SELECT COUNT(*) AS n FROM live_copies WHERE wanted > shown OR claimed_by IS NOT NULL")
        assert stale == [{"n": 0}]
    finally:
        go.set()
        await first.stop()
        await second.stop()


async def test_a_jump_of_the_bots_clock_does_not_hand_a_live_workers_rows_to_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leases run in real time: `:wait 1d` (or a test's clock) moving the bot's clock a day on is not a day of
    silence from the worker, and its rows stay its own."""
    monkeypatch.setattr(bot.outbox, "STOP_WAIT_SECONDS", 0.01)
    clock = Clock(frozen_at=TEST_NOW)
    async with workers(tmp_path, 2, clock) as (slow, other):
        hung, go = asyncio.Event(), asyncio.Event()
        gate(slow, hung, go, [])
        await queue_dms(slow, people=3)
        await asyncio.wait_for(hung.wait(), HANG_GUARD)
        clock.advance(24 * 3600)
        other.app.outbox.wake()
        await other.app.outbox.drain()
        assert delivered([other]) == Counter()
        go.set()
        await until(lambda: _none_pending(slow))
        assert set(delivered([slow, other]).values()) == {1}


def stall_after(queries: Any, method: str, claimed: asyncio.Event, resume: asyncio.Event) -> None:
    """`queries.method` (a claim) returns its rows only after `resume`: the process stalled right after it."""
    real = getattr(queries, method)

    async def claim_then_stall(*args: Any, **kwargs: Any) -> Any:
        rows = await real(*args, **kwargs)
        if rows:
            claimed.set()
            await resume.wait()
        return rows

    setattr(queries, method, claim_then_stall)


async def test_a_worker_whose_lease_ran_out_before_sending_leaves_the_rows_to_their_new_holder(
        tmp_path: Path, lease_time: LeaseTime) -> None:
    """A process stalled between its claim and its sends (its heartbeat late too): once its lease has run out
    another worker takes the rows and sends them; the stalled one, resuming, sends none of them again."""
    async with workers(tmp_path, 2) as (stalled, other):
        await other.app.outbox.stop()  # the other starts looking once the stalled one holds the rows
        claimed, resume = asyncio.Event(), asyncio.Event()
        stall_after(stalled.app.outbox.rows, "claim", claimed, resume)
        await stalled.app.worker.stop()  # no renewal while it stalls
        names = await queue_dms(stalled, people=3)
        await asyncio.wait_for(claimed.wait(), HANG_GUARD)
        assert await stalled.app.worker.claims.held(stalled.app.worker.id) == 3
        lease_time.advance(31)  # the lease (30 s) ran out
        other.app.outbox.start()
        await until(lambda: _none_pending(other))
        assert delivered([other]) == Counter((f"@{n}", "message 0") for n in names)
        resume.set()
        await stalled.app.outbox.drain()
        await until(lambda: _idle(stalled))
        assert delivered([stalled]) == Counter()


async def test_a_late_heartbeat_does_not_win_back_rows_another_worker_took(
        tmp_path: Path, lease_time: LeaseTime) -> None:
    """The stalled worker's heartbeat comes after another worker took its rows (and is still sending them): the
    renewal covers only the rows it still holds, so resuming it sends none of the taken ones."""
    async with workers(tmp_path, 2) as (stalled, other):
        await other.app.outbox.stop()
        claimed, resume = asyncio.Event(), asyncio.Event()
        stall_after(stalled.app.outbox.rows, "claim", claimed, resume)
        await stalled.app.worker.stop()
        names = await queue_dms(stalled, people=3)
        await asyncio.wait_for(claimed.wait(), HANG_GUARD)
        lease_time.advance(31)
        started, go = asyncio.Event(), asyncio.Event()
        sent: list[tuple[str, str]] = []
        gate(other, started, go, sent)
        other.app.outbox.start()
        await asyncio.wait_for(started.wait(), HANG_GUARD)  # the other holds them and is sending
        assert await stalled.app.worker.beat() == 0  # the late heartbeat: nothing of the stalled one's is left
        resume.set()
        await stalled.app.outbox.drain()
        await until(lambda: _idle(stalled))
        go.set()
        await until(lambda: _none_pending(other))
        assert delivered([stalled]) == Counter()
        assert delivered([other]) == Counter((f"@{n}", "message 0") for n in names)


async def test_a_worker_near_the_end_of_its_lease_renews_it_and_sends(tmp_path: Path, lease_time: LeaseTime) -> None:
    """Stalled past its lease but nobody took the rows: it renews them (they are still its own) and sends them."""
    async with workers(tmp_path, 1) as (stalled,):
        claimed, resume = asyncio.Event(), asyncio.Event()
        stall_after(stalled.app.outbox.rows, "claim", claimed, resume)
        await stalled.app.worker.stop()
        names = await queue_dms(stalled, people=3)
        await asyncio.wait_for(claimed.wait(), HANG_GUARD)
        lease_time.advance(25)  # less than the margin (a third of 30 s) left
        resume.set()
        await until(lambda: _none_pending(stalled))
        assert delivered([stalled]) == Counter((f"@{n}", "message 0") for n in names)


async def _idle(bot_: ConsoleBot) -> bool:
    return not bot_.app.outbox._in_flight


async def test_a_due_row_whose_lease_ran_out_before_it_ran_is_left_to_its_new_holder(
        tmp_path: Path, lease_time: LeaseTime) -> None:
    """The scheduler's side: a stalled worker's claimed rows are run by another after the lease; the stalled one,
    resuming, does not run them again."""
    RUNS.clear()
    config = make_config(["ping"], {"workers": {"lease_seconds": 30}})
    clock = Clock(frozen_at=TEST_NOW)
    stalled = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    other = await ConsoleBot.start(tmp_path, config, extra_cogs=[tasks], clock=clock)
    try:
        await stalled.app.worker.stop()  # no renewal while it stalls
        claimed, resume = asyncio.Event(), asyncio.Event()
        stall_after(stalled.app.scheduler.rows, "claim_due", claimed, resume)
        ids = [(await stalled.app.people.get_or_create("console", f"m{n}", f"m{n}", "en")).id for n in range(3)]
        await stalled.app.scheduler.schedule_many(
            Planned("ping_later", TEST_NOW + timedelta(minutes=1), f"later:{n}", {"n": n}, pid)
            for n, pid in enumerate(ids))
        clock.advance(61)
        running = asyncio.create_task(stalled.app.scheduler.run_due())
        await asyncio.wait_for(claimed.wait(), HANG_GUARD)
        lease_time.advance(31)  # the lease (30 s) ran out
        assert await other.app.scheduler.run_due() == 3
        resume.set()
        assert await asyncio.wait_for(running, HANG_GUARD) == 0
        assert len(RUNS) == 3 and set(RUNS.values()) == {1}
        await until(lambda: _none_pending(other))
        got = delivered([stalled, other])
        assert sorted(got) == sorted((f"@m{n}", f"later {n}") for n in range(3)) and set(got.values()) == {1}
    finally:
        await stalled.stop()
        await other.stop()


@pytest.mark.postgresql
async def test_a_fan_out_brings_postgresqls_statistics_up_to_date_for_the_claims() -> None:
    """Right after a fan-out, PostgreSQL's statistics still said "a few rows" and each claim read and sorted every
    pending row (120-280 ms at 20,000) until autovacuum came by: the outbox is analyzed after many rows are added."""
    assert TEST_DATABASES is not None
    db = await Database.open(await TEST_DATABASES.blank())
    try:
        rows = [{"now": TEST_NOW, "person_id": None, "destination": "general", "platform": "telegram",
                 "target_kind": "chat", "target_id": str(n % 50), "language": "fi", "body": {"text": f"d{n}"},
                 "shows": None, "urgent": True} for n in range(1_200)]
        queries = OutboxQueries(db)
        for start in range(0, len(rows), 200):  # as to_people queues them
            await queries.add_many(rows[start:start + 200])
        assert await db.fetchval("SELECT reltuples FROM pg_class WHERE relname = 'outbox'") >= 1_000
    finally:
        await db.close()
