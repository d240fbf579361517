"""The bot killed (SIGKILL) or stopped (SIGTERM) while an event reminder fans out to its members, then
started again: every member gets the reminder; after SIGKILL at most the sends that were in flight (reached
Telegram, not yet recorded as sent) come twice; after SIGTERM nothing comes twice. Real processes against
the fake Telegram in this one; 2,000 members and more moments are in bench/reliability.py."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.reliability.procs import (
    BotProcess,
    Observer,
    finish,
    lost_and_duplicated,
    received,
    seed,
    wait_until,
    write_config,
)

# The bot as its own process on its SQLite file (read here directly): PostgreSQL runs are bench/scale.py's.
pytestmark = pytest.mark.sqlite_only

MEMBERS = 60  # at Telegram's 30 messages/s: about 2 s of sending per run


def mid_fan_out(observer: Observer) -> Callable[[], bool]:
    """The reminder's row is claimed and its fan-out has not queued everyone yet."""
    def moment() -> bool:
        try:
            running = observer.value("SELECT COUNT(*) FROM scheduled WHERE status = 'running'")
            return bool(running) and observer.queued() < MEMBERS
        except Exception:  # the bot is still creating its tables
            return False
    return moment


async def run_and_stop(tmp_path: Path, sig: signal.Signals, moment: str) -> tuple[list[int], list[int], set[int]]:
    """Start, send `sig` at `moment`, restart and finish; returns (lost, duplicated, in flight at the kill)."""
    data = tmp_path / "data"
    await seed(data, MEMBERS)
    async with FakeTelegram() as fake:
        config = write_config(tmp_path, fake.bot_api_url)
        observer = Observer(data)
        bot = BotProcess(config, data)
        await bot.start()
        if moment == "fan-out":
            await wait_until(mid_fan_out(observer), step=0.001)
        else:
            await wait_until(lambda: sum(received(fake, MEMBERS).values()) >= int(moment))
        bot.signal(sig)
        code = await bot.exit_code()
        assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 0), bot.log()
        # Reached Telegram but not recorded as sent: the only ones that may come twice.
        got = {user for user, count in received(fake, MEMBERS).items() if count}
        in_flight = observer.unsent_users() & got
        await finish(config, data, fake, MEMBERS)
        lost, duplicated = lost_and_duplicated(fake, MEMBERS)
    return lost, duplicated, in_flight


@pytest.mark.parametrize("moment", ["fan-out", "20"])
async def test_sigkill_loses_nothing_and_repeats_only_what_was_in_flight(tmp_path: Path, moment: str) -> None:
    lost, duplicated, in_flight = await run_and_stop(tmp_path, signal.SIGKILL, moment)
    assert lost == []
    assert set(duplicated) <= in_flight


@pytest.mark.parametrize("moment", ["fan-out", "20"])
async def test_sigterm_loses_nothing_and_repeats_nothing(tmp_path: Path, moment: str) -> None:
    lost, duplicated, in_flight = await run_and_stop(tmp_path, signal.SIGTERM, moment)
    assert (lost, duplicated, in_flight) == ([], [], set())
