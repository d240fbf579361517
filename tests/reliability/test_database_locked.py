"""Another process holds the database locked (BEGIN EXCLUSIVE) while reminders go out and a newcomer writes:
the newcomer is told the bot is busy (in Finnish), nothing queued or scheduled is lost, and once the lock is
gone the same process delivers everything and answers again. The real bot as its own process against the
fake Telegram, with a short busy timeout; bench/reliability.py holds the lock for the full 30 s."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.reliability.procs import FIRST_USER, BotProcess, Observer, seed, wait_until, write_config

# The bot as its own process on its SQLite file (read here directly): PostgreSQL runs are bench/scale.py's.
pytestmark = pytest.mark.sqlite_only

MEMBERS = 300
BUSY = "Minulla on juuri nyt kiire; yritä hetken päästä uudelleen."
NEWCOMER = 9_100_000


def with_busy_timeout(config: Path, seconds: float) -> Path:
    config.write_text(config.read_text(encoding="utf-8").replace(
        "busy_timeout_seconds = 5.0", f"busy_timeout_seconds = {seconds}", 1), encoding="utf-8")
    return config


async def test_a_locked_database_says_busy_loses_nothing_and_recovers_without_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await seed(data, MEMBERS, hours=(24, 1))
    async with FakeTelegram() as fake:
        bot = BotProcess(with_busy_timeout(write_config(tmp_path, fake.bot_api_url), 0.3), data)
        await bot.start()
        observer = Observer(data)
        await wait_until(lambda: observer.queued() > 0, step=0.001)  # the first fan-out is under way
        lock = sqlite3.connect(data / "humako.sqlite3", timeout=30, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            held_from = len(fake.calls_of("sendMessage"))
            newcomer = fake.user(NEWCOMER, "Uusi", "fi")
            fake.send_text(newcomer, "/ping")  # a new person: the bot must write them down, and cannot
            await wait_until(lambda: any(m.from_bot for m in fake.messages.get(NEWCOMER, [])))
            # The outbox and the scheduler meet the lock too (a few sends at most go out, unrecorded yet).
            await asyncio.sleep(2)
        finally:
            lock.execute("COMMIT")
            lock.close()
        told = [m.text for m in fake.messages.get(NEWCOMER, []) if m.from_bot]
        assert told == [BUSY], told
        assert len(fake.calls_of("sendMessage")) - held_from <= 16 + 1  # at most the sends already under way
        await wait_until(lambda: observer.queued() == 2 * MEMBERS and observer.pending() == 0, step=0.1)
        fake.send_text(newcomer, "/ping")  # the same process answers again
        await wait_until(lambda: len([m for m in fake.messages.get(NEWCOMER, []) if m.from_bot]) == 2)
        bot.signal(signal.SIGTERM)
        assert await bot.exit_code() == 0, bot.log()
        second = [m.text for m in fake.messages.get(NEWCOMER, []) if m.from_bot][1]
        got = {user: [m.text or "" for m in fake.messages.get(user, []) if m.from_bot]
               for user in range(FIRST_USER, FIRST_USER + MEMBERS)}
    assert second != BUSY
    assert [len(texts) for texts in got.values()] == [2] * MEMBERS
    assert all("24 tuntia" in texts[0] and "1 tunti " in texts[1] for texts in got.values())
    log = bot.log()
    assert "database is locked" in log  # the lock was met, not missed
    assert not any(failure in log for failure in ("outbox worker error", "scheduler wake-up failed",
                                                   "scheduled task ev_reminder")), log
