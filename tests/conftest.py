from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing import ConsoleBot
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    """The real application with the console frontend, a file database and a frozen clock."""
    harness = await ConsoleBot.start(tmp_path)
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake Telegram Bot API on 127.0.0.1 (a test module may define its own `tg`)."""
    async with FakeTelegram() as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    """Tables tests produced for the report (the permission matrix), printed after the run."""
    from tests.report import SECTIONS

    for title, text in config.stash.get(SECTIONS, {}).items():
        terminalreporter.write_sep("=", title)
        terminalreporter.write_line(text)
