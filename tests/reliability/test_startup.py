"""A start-up failure ends the process with exit code 1 and one line naming the cause, never a hang (a
supervisor restarts a process that exits, not one that hangs): Telegram unreachable, the database locked by
another process, the database file read-only. Each is a real `python -m bot` process."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.reliability.procs import BotProcess, write_config

# The bot as its own process on its SQLite file (read here directly): PostgreSQL runs are bench/scale.py's.
pytestmark = pytest.mark.sqlite_only


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when this returns: nothing listens there


def one_line(log: str) -> str:
    """The one line that says what went wrong (INFO lines about what did start may come before it)."""
    lines = [line for line in log.splitlines() if " CRITICAL " in line or " ERROR " in line]
    assert len(lines) == 1, log
    assert "Traceback" not in log, log
    return lines[0]


async def created_database(tmp_path: Path) -> Path:
    """A data directory with the bot's database in it (made by a console run)."""
    data = tmp_path / "data"
    console = BotProcess(write_config(tmp_path, ""), data)
    await console.start("console", stdin=b"/ping\n")
    assert await console.exit_code() == 0, console.log()
    return data


async def test_telegram_unreachable_exits_with_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"http://127.0.0.1:{closed_port()}/bot")
    bot = BotProcess(config, tmp_path / "data")
    await bot.start()
    assert await bot.exit_code() == 1
    line = one_line(bot.log())
    assert "cannot start" in line and "telegram" in line and "ClientConnectorError" in line


async def test_database_locked_by_another_process_exits_with_one_line(tmp_path: Path) -> None:
    data = await created_database(tmp_path)
    holder = sqlite3.connect(data / "humako.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock the whole time
    try:
        async with FakeTelegram() as fake:  # Telegram is fine: the database is what fails, after it started
            bot = BotProcess(write_config(tmp_path, fake.bot_api_url), data)
            await bot.start()
            assert await bot.exit_code() == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    line = one_line(bot.log())
    assert "cannot start" in line and "humako.sqlite3" in line and "database is locked" in line


async def test_read_only_database_file_exits_with_one_line(tmp_path: Path) -> None:
    data = await created_database(tmp_path)
    database = data / "humako.sqlite3"
    for name in ("humako.sqlite3-wal", "humako.sqlite3-shm"):
        (data / name).unlink(missing_ok=True)
    database.chmod(0o444)
    # root ignores file modes: there the file is made immutable instead (root obeys that).
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(database)], check=True)
    try:
        bot = BotProcess(write_config(tmp_path, ""), data)
        await bot.start("console", stdin=b"/ping\n")
        assert await bot.exit_code() == 1
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(database)], check=True)
    line = one_line(bot.log())
    assert "cannot start" in line and "humako.sqlite3" in line and "readonly" in line
