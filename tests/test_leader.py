"""Telegram long polling runs in one process of several on one PostgreSQL database (bot/leader.py): the one holding
the advisory lock polls, the others send and stand by, and one of them takes over when the leader stops."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

import bot.leader
from bot.config import DatabaseSettings
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.telegram_driver import TelegramBot, telegram_config

HANG_GUARD = 30.0  # a hang guard, not a timing assertion


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL server's URL: HUMAKO_TEST_DATABASE_URL's, else a throwaway pgserver (pip) for this module."""
    given = os.environ.get("HUMAKO_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
        import pgserver

    with tempfile.TemporaryDirectory(prefix="humako-pg-") as scratch:
        server = pgserver.get_server(Path(scratch) / "pg", cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


@pytest.fixture
async def database(postgres: str, tmp_path: Path) -> str:
    """A fresh database on that server, its URL."""
    name = f"leader_{abs(hash(tmp_path)) % 10**12}"
    conn = await asyncpg.connect(postgres)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, query = postgres.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_one_process_polls_and_another_takes_over_when_it_stops(
        fake: FakeTelegram, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.leader, "RETRY_SECONDS", 0.05)
    config = telegram_config(fake)
    config = dataclasses.replace(config, database=DatabaseSettings(url=database))
    first = await TelegramBot.start(tmp_path / "a", fake, config)
    second = await TelegramBot.start(tmp_path / "b", fake, config)
    stopped = False
    try:
        leaders = [b.frontend.leader for b in (first, second)]
        assert all(leader is not None for leader in leaders)
        assert [leader.leading for leader in leaders if leader is not None] == [True, False]
        assert second.frontend.health() is None  # standing by is healthy: it sends, and is ready to take over
        user = fake.user(501, "Olli", "en")
        fake.send_text(user, "/ping")
        first.queued()
        await first.settle()
        assert [m.text for m in fake.bot_messages(user.id)] == ["Pong!"]
        await first.stop()
        stopped = True
        leader = second.frontend.leader
        assert leader is not None

        async def elected() -> None:
            while not leader.leading:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(elected(), HANG_GUARD)
        fake.send_text(user, "/ping")
        second.queued()
        await second.settle()
        assert [m.text for m in fake.bot_messages(user.id)] == ["Pong!", "Pong!"]
        # Never two pollers at once: Telegram would have answered one of them 409 Conflict.
        assert not [c for c in fake.calls_of("getUpdates") if c.error_code == 409]
    finally:
        if not stopped:
            await first.stop()
        await second.stop()


async def test_on_sqlite_the_one_process_polls_at_once(fake: FakeTelegram, tmp_path: Path) -> None:
    tg = await TelegramBot.start(tmp_path, fake)
    try:
        assert tg.frontend.leader is not None and tg.frontend.leader.leading
        assert tg.frontend.ptb.updater is not None and tg.frontend.ptb.updater.running
    finally:
        await tg.stop()
