"""Telegram answering 500 to half of the sends for a while, then recovering: every reminder is delivered
once, and each member gets theirs in the order they were queued (the 24-hour one before the 1-hour one).
The real bot as its own process against the fake Telegram; a minute of it is in bench/reliability.py."""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.reliability.procs import FIRST_USER, BotProcess, Observer, seed, wait_until, write_config

# The bot as its own process on its SQLite file (read here directly): PostgreSQL runs are bench/scale.py's.
pytestmark = pytest.mark.sqlite_only

MEMBERS = 40


async def test_half_the_sends_failing_for_a_while_delivers_everything_once_in_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await seed(data, MEMBERS, hours=(24, 1))
    rng = random.Random(18)
    failing = True
    async with FakeTelegram() as fake:
        fake.fail_next("sendMessage", 500, "Internal Server Error", times=10**9,
                       predicate=lambda call: failing and rng.random() < 0.5)
        bot = BotProcess(write_config(tmp_path, fake.bot_api_url), data)
        await bot.start()
        await wait_until(lambda: sum(1 for c in fake.calls_of("sendMessage") if c.error_code == 500) >= 20)
        await asyncio.sleep(1)  # a little longer of it
        failing = False
        observer = Observer(data)
        await wait_until(lambda: observer.queued() == 2 * MEMBERS and observer.pending() == 0, step=0.1)
        bot.signal(signal.SIGTERM)
        assert await bot.exit_code() == 0, bot.log()
        got = {user: [m.text or "" for m in fake.messages.get(user, []) if m.from_bot]
               for user in range(FIRST_USER, FIRST_USER + MEMBERS)}
    assert [len(texts) for texts in got.values()] == [2] * MEMBERS
    assert all("24 tuntia" in texts[0] and "1 tunti " in texts[1] for texts in got.values()), got


async def test_a_tenth_of_the_sends_timing_out_delivers_everything_in_order(tmp_path: Path) -> None:
    """Telegram holding back a tenth of its answers past the client's 5 s timeout for a while: half of those sends
    reached Telegram (only the answer was lost), half never did. Each member gets both reminders, the 24-hour
    one first; a send that reached Telegram and timed out is sent again, which is the one kind of duplicate
    (inherent: the bot cannot know it arrived), and exactly those are duplicated."""
    data = tmp_path / "data"
    await seed(data, MEMBERS, hours=(24, 1))
    rng = random.Random(18)
    holding = True

    def tenth(call: object) -> bool:
        return holding and rng.random() < 0.1

    async with FakeTelegram() as fake:
        fake.hold_next("sendMessage", 6.0, times=10**9, predicate=lambda call: tenth(call) and rng.random() < 0.5)
        fake.hold_next("sendMessage", 6.0, times=10**9, predicate=tenth, reached=False)
        bot = BotProcess(write_config(tmp_path, fake.bot_api_url), data)
        await bot.start()
        await wait_until(lambda: sum(1 for c in fake.calls_of("sendMessage") if c.held) >= 4)
        holding = False
        observer = Observer(data)
        await wait_until(lambda: observer.queued() == 2 * MEMBERS and observer.pending() == 0, step=0.1)
        bot.signal(signal.SIGTERM)
        assert await bot.exit_code() == 0, bot.log()
        held = [c for c in fake.calls_of("sendMessage") if c.held]
        reached = [c for c in held if c.ok]
        got = {user: [m.text or "" for m in fake.messages.get(user, []) if m.from_bot]
               for user in range(FIRST_USER, FIRST_USER + MEMBERS)}
    assert len(held) >= 4 and len(held) > len(reached)  # both kinds happened
    firsts = {user: list(dict.fromkeys(texts)) for user, texts in got.items()}  # each text where it first came
    assert [len(texts) for texts in firsts.values()] == [2] * MEMBERS
    assert all("24 tuntia" in texts[0] and "1 tunti " in texts[1] for texts in firsts.values()), firsts
    duplicated = sum(len(texts) - 2 for texts in got.values())
    assert duplicated == len(reached)
