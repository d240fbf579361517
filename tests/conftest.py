from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.testing import TEST_DATABASES, ConsoleBot, release_test_databases
from tests.fakes.telegram_api import FakeTelegram

POSTGRESQL = TEST_DATABASES is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`sqlite_only` tests are skipped on a PostgreSQL run, `postgresql` ones without a server."""
    for item in items:
        if POSTGRESQL and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite only (this run is on PostgreSQL)"))
        if not POSTGRESQL and item.get_closest_marker("postgresql"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set HUMAKO_TEST_DATABASE_URL)"))


def _in_own_loop(work: Any) -> None:
    # Outside the test's event loop (closed by now) and without touching the loop pytest-asyncio set up.
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture(autouse=True)
def _postgresql_databases() -> Iterator[None]:
    """On PostgreSQL: the databases the test's bots used are emptied for the next test."""
    yield
    if POSTGRESQL:
        _in_own_loop(release_test_databases)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if TEST_DATABASES is not None:
        _in_own_loop(TEST_DATABASES.drop_all)


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
