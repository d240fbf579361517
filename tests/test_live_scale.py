"""Live copies at scale (bot/live.py): one render per language per version, a cap on edits in flight, copies
claimed and recorded a chunk at a time, and several processes sharing the copies.

Counts only: the view handler's calls, `render_reply`'s calls per language, the edits the frontend is asked
for and how many are under way at once (the console frontend's edit, held open until released).
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.live
from bot.clock import Clock
from bot.commands import Cog, Rendered, Reply
from bot.context import ServiceContext
from bot.frontends.base import Sent
from bot.live import LiveMessages
from bot.testing import TEST_NOW, ConsoleBot, make_config, test_bot
from storage.db import DEFAULT_MIGRATIONS_DIR, Database
from storage.outbox import LiveQueries

COPIES = 60
views = Cog("livescale", "Live scale test")
STATE = {"version": 0, "views": 0}


@views.view("thing")
async def thing_view(ctx: ServiceContext, thing_id: int) -> Reply:
    STATE["views"] += 1
    return Reply(f"Thing {thing_id} at version {STATE['version']}", title="Thing")


class HeldEdits:
    """Replaces the console's edit: counts edits and how many run at once; each waits until released."""

    def __init__(self, bot: ConsoleBot) -> None:
        self.in_flight = 0
        self.most = 0
        self.shown: dict[str, str] = {}  # message id -> the text its last edit showed
        self.edits = 0
        self.gate = asyncio.Event()
        self.full = asyncio.Event()  # set once `concurrency` edits are under way
        self.cap = bot.app.live.concurrency
        bot.app.frontends["console"].edit = self.edit  # type: ignore[method-assign]

    async def edit(self, sent: Sent, message: Rendered) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight == self.cap:
            self.full.set()
        try:
            await self.gate.wait()
            self.shown[sent.message_id] = message.plain_text()
            self.edits += 1
        finally:
            self.in_flight -= 1


@pytest.fixture
async def lbot() -> AsyncIterator[ConsoleBot]:
    STATE.update(version=0, views=0)
    config = make_config(["ping"], live_edit_seconds=0.0, live_dm_copies=1000)
    async with test_bot(config=config, extra_cogs=(views,)) as console:
        for number in range(COPIES):  # copies in direct chats, every other one read in English
            await console.app.live.remember(("thing", 1), "console", Sent(f"@p{number}", str(1000 + number)),
                                            ("fi", "en")[number % 2], None, direct=True)
        yield console


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counted: Counter[str] = Counter()
    original = bot.live.render_reply

    def counting(reply: Reply, language: str) -> Rendered:
        counted[language] += 1
        return original(reply, language)

    monkeypatch.setattr(bot.live, "render_reply", counting)
    return counted


async def test_one_render_per_language_per_version_whatever_the_copies(lbot: ConsoleBot,
                                                                       renders: Counter[str]) -> None:
    held = HeldEdits(lbot)
    held.gate.set()
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await lbot.app.live.settle()
    assert held.edits == COPIES
    assert set(held.shown.values()) == {"Thing\nThing 1 at version 1"}
    assert STATE["views"] == 1 and renders == {"fi": 1, "en": 1}


async def test_at_most_concurrency_edits_in_flight(lbot: ConsoleBot) -> None:
    held = HeldEdits(lbot)
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await asyncio.wait_for(held.full.wait(), 10)
    for _turn in range(20):  # a chance to launch more, which it must not take
        await asyncio.sleep(0)
    assert held.in_flight == lbot.app.live.concurrency == 8
    held.gate.set()
    await lbot.app.live.settle()
    assert held.most == 8 and held.edits == COPIES


async def test_a_change_while_edits_run_is_shown_on_every_copy(lbot: ConsoleBot, renders: Counter[str]) -> None:
    held = HeldEdits(lbot)
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await asyncio.wait_for(held.full.wait(), 10)
    # Every copy is claimed in its chunk (the render and the changes heard taken with it) before the change: a
    # change that lands while a claim still awaits the database lets that chunk show version 1 first too.
    live = lbot.app.live
    for _ in range(1000):
        claimed = await lbot.app.db.fetchval("SELECT COUNT(*) FROM live_copies WHERE claimed_by IS NOT NULL")
        if claimed == min(COPIES, live.chunk * live.chunks_in_flight) and held.in_flight == held.cap:
            break
        await asyncio.sleep(0.01)
    STATE["version"] = 2  # 8 copies are being edited with version 1; the other 52 have not started
    await live.changed("thing", 1)
    held.gate.set()
    await lbot.app.live.settle()
    assert set(held.shown.values()) == {"Thing\nThing 1 at version 2"} and len(held.shown) == COPIES
    # The 52 waiting copies skip version 1: only the 8 under way show it first.
    assert held.edits == COPIES + 8
    assert STATE["views"] == 2 and renders == {"fi": 2, "en": 2}


async def test_copies_are_claimed_and_recorded_a_chunk_at_a_time(lbot: ConsoleBot,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A change costs one claim and one record of what the edits show per chunk of copies, not a write per copy."""
    writes: list[str] = []
    db = lbot.app.db
    for name in ("execute", "fetchall"):
        real = getattr(db, name)

        async def counted(sql: str, params: tuple[object, ...] = (), _real: Any = real) -> Any:
            if "UPDATE live_copies" in sql and "claimed_by" in sql:
                writes.append(sql)
            return await _real(sql, params)

        monkeypatch.setattr(db, name, counted)
    held = HeldEdits(lbot)
    held.gate.set()
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await lbot.app.live.settle()
    assert held.edits == COPIES and set(held.shown.values()) == {"Thing\nThing 1 at version 1"}
    chunks = math.ceil(COPIES / LiveMessages.chunk)
    assert chunks < COPIES and len(writes) == 2 * chunks  # a claim and a record per chunk
    assert await lbot.rows("SELECT COUNT(*) AS n FROM live_copies WHERE wanted > shown OR claimed_by IS NOT NULL") \
        == [{"n": 0}]


async def test_only_the_chunks_being_edited_are_claimed(lbot: ConsoleBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of copies never become thousands of waiting tasks, and the copies not yet claimed stay free for
    another process to share the work."""
    monkeypatch.setattr(LiveMessages, "chunk", 8)
    held = HeldEdits(lbot)
    before = len(asyncio.all_tasks())
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await asyncio.wait_for(held.full.wait(), 10)
    claimed = LiveMessages.chunk * LiveMessages.chunks_in_flight

    async def holding() -> int:
        return int((await lbot.rows("SELECT COUNT(*) AS n FROM live_copies WHERE claimed_by IS NOT NULL"))[0]["n"])

    async def second_chunk() -> None:  # claimed while the first one's edits wait (PostgreSQL answers later)
        while await holding() < claimed:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(second_chunk(), 10)
    for _turn in range(20):  # a chance to claim and start more, which it must not take
        await asyncio.sleep(0)
    assert await holding() == claimed
    # an edit per claimed copy, a task per chunk, the refresh and its wait for a change
    assert len(asyncio.all_tasks()) - before <= claimed + LiveMessages.chunks_in_flight + 2
    held.gate.set()
    await lbot.app.live.settle()
    assert held.edits == COPIES and held.most == LiveMessages.concurrency



async def test_a_copy_whose_render_fails_waits_for_the_next_change(lbot: ConsoleBot,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error while rendering one language's copies is logged and those copies wait for the next
    change: the others are edited, and the refresh ends instead of trying them again and again."""
    original = bot.live.render_reply

    def failing(reply: Reply, language: str) -> Rendered:
        if language == "en":
            raise ValueError("a broken translation")
        return original(reply, language)

    monkeypatch.setattr(bot.live, "render_reply", failing)
    held = HeldEdits(lbot)
    held.gate.set()
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await asyncio.wait_for(lbot.app.live.settle(), 30)
    assert held.edits == COPIES // 2  # the Finnish copies
    assert await lbot.rows("SELECT COUNT(*) AS n FROM live_copies WHERE wanted > shown OR claimed_by IS NOT NULL") \
        == [{"n": 0}]

async def test_an_edit_never_takes_a_copy_back_to_an_older_version(lbot: ConsoleBot) -> None:
    """A process holding an older render of a thing cannot claim copies another process already edited with a
    newer one (they are stale again only for an even newer change, which it has not rendered)."""
    copies, now = lbot.app.live.copies, lbot.app.clock.now()
    lease = now + timedelta(seconds=60)
    older = await copies.want("thing", 1)
    version, stale = await copies.stale("thing", 1, now)
    ids = [c.id for c in stale]
    assert version == older and len(ids) == COPIES
    newer = await copies.want("thing", 1)  # the other process renders this one and edits every copy
    assert len(await copies.claim(ids, "other", lease, now, newer)) == COPIES
    await copies.done(ids, "other", ids, newer)
    newest = await copies.want("thing", 1)
    assert await copies.claim(ids, "here", lease, now, older) == []
    assert len(await copies.claim(ids, "here", lease, now, newest)) == COPIES


async def test_a_dead_workers_copies_are_edited_by_another_after_its_lease(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process dies while its edits are under way: another process leaves those copies alone while the lease
    runs, then claims them and shows the last change on each."""
    monkeypatch.setattr(bot.live, "ELSEWHERE_SECONDS", 0.01)
    STATE.update(version=0, views=0)
    config = make_config(["ping"], {"workers": {"lease_seconds": 30}}, live_edit_seconds=0.0)
    clock = Clock(frozen_at=TEST_NOW)
    dying = await ConsoleBot.start(tmp_path, config, extra_cogs=[views], clock=clock)
    survivor = await ConsoleBot.start(tmp_path, config, extra_cogs=[views], clock=clock)
    edits: list[tuple[str, str]] = []  # (chat, text) of the survivor's edits
    hung = asyncio.Event()

    async def hang(sent: Sent, message: Rendered) -> None:
        hung.set()
        await asyncio.Event().wait()  # never answered: the process is gone

    async def record(sent: Sent, message: Rendered) -> None:
        edits.append((sent.chat_id, message.plain_text()))

    dying.console.edit = hang  # type: ignore[method-assign]
    survivor.console.edit = record  # type: ignore[method-assign]
    try:
        for number in range(5):
            await dying.app.live.remember(("thing", 7), "console", Sent(f"@d{number}", str(number)), "en", None)
        STATE["version"] = 1
        await dying.app.live.changed("thing", 7)
        await asyncio.wait_for(hung.wait(), 10)
        await dying.app.worker.stop()  # no heartbeat from here on
        STATE["version"] = 2
        await survivor.app.live.changed("thing", 7)
        await asyncio.sleep(0.1)  # the survivor looks a few times meanwhile
        assert edits == []
        clock.advance(31)  # the lease (30 s) ran out
        await asyncio.wait_for(survivor.app.live.settle(), 30)
        assert sorted(edits) == [(f"@d{n}", "Thing\nThing 7 at version 2") for n in range(5)]
        assert await survivor.rows("SELECT COUNT(*) AS n FROM live_copies WHERE wanted > shown") == [{"n": 0}]
    finally:
        await survivor.stop()
        await dying.stop()


async def test_copies_stored_before_versions_keep_their_stale_mark(tmp_path: Path) -> None:
    """0031_live_versions.sql on copies whose `wanted`/`shown` were counters per copy: the highest counter is the
    thing's version, a stale copy stays stale (and is edited to that version), a fresh one is stale at the next
    change."""
    older = tmp_path / "migrations"
    older.mkdir()
    for path in DEFAULT_MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name[:4]) <= 27:
            (older / path.name).write_text(path.read_text())
    db = await Database.open(tmp_path / "bot.db", older)
    for message, wanted, shown in (("1", 5, 5), ("2", 3, 2)):
        await db.execute("INSERT INTO live_copies (kind, ref_id, platform, chat_id, message_id, language, created_at,"
                         " wanted, shown) VALUES ('event', 1, 'console', '@a', ?, 'fi', '2026-11-26T10:00:00+00:00',"
                         " ?, ?)", (message, wanted, shown))
    await db.close()
    db = await Database.open(tmp_path / "bot.db")
    try:
        copies, now = LiveQueries(db), TEST_NOW
        version, stale = await copies.stale("event", 1, now)
        assert version == 5 and [c.message_id for c in stale] == ["2"]
        assert [c.message_id for c in await copies.claim([c.id for c in stale], "w", now, now, version)] == ["2"]
        await copies.done([c.id for c in stale], "w", [c.id for c in stale], version)
        assert (await copies.stale("event", 1, now))[1] == []
        assert await copies.want("event", 1) == 6
        assert [c.message_id for c in (await copies.stale("event", 1, now))[1]] == ["1", "2"]
    finally:
        await db.close()
