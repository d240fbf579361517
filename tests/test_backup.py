"""`humako-bot backup PATH`: a consistent copy of the live database while the bot runs, and restoring it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.harness import ConsoleBot, texts
from tests.harness import test_config as example_config
from tests.test_cli import run

# SQLite's online backup of the file; PostgreSQL is backed up with pg_dump (docs/operations.md).
pytestmark = pytest.mark.sqlite_only


async def test_backup_while_the_bot_runs_and_a_write_is_open_then_restore(tmp_path: Path) -> None:
    live_dir, restored_dir = tmp_path / "live", tmp_path / "restored"
    bot = await ConsoleBot.start(live_dir, example_config(cogs=["ping", "events"]))
    try:
        create = '/event create title=Sitsit start="4.12. klo 18" where=helsinki description=Tervetuloa'
        created = texts(await bot.say(create, as_="Olli", roles="organiser"))
        assert "Sitsit" in created
        # Another writer is in the middle of a transaction (the bot keeps its database open throughout).
        writer = sqlite3.connect(live_dir / "humako.sqlite3", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE events SET title = 'not committed'")
        copy = tmp_path / "backups" / "humako-copy.sqlite3"
        copy.parent.mkdir()
        result = run("backup", str(copy), "--data", str(live_dir))
        writer.execute("ROLLBACK")
        writer.close()
        assert result.returncode == 0, result.stderr
        assert "backed up to" in result.stdout
        assert texts(await bot.say("/event list")).count("Sitsit") == 1  # the bot went on unharmed
    finally:
        await bot.stop()

    with sqlite3.connect(copy) as check:
        assert check.execute("SELECT title FROM events").fetchall() == [("Sitsit",)]  # committed rows only
        assert check.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not list(copy.parent.glob(".*partial"))

    # Restoring: the copy becomes the database of a (stopped) bot's data directory.
    restored_dir.mkdir()
    shutil.copyfile(copy, restored_dir / "humako.sqlite3")
    restored = await ConsoleBot.start(restored_dir, example_config(cogs=["ping", "events"]))
    try:
        assert "Sitsit" in texts(await restored.say("/event list", as_="Olli"))
    finally:
        await restored.stop()


def test_backup_of_a_missing_database_fails_with_one_line(tmp_path: Path) -> None:
    result = run("backup", str(tmp_path / "copy.sqlite3"), "--data", str(tmp_path / "nothing"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"humako-bot backup: no database at {tmp_path / 'nothing'}"
                                                  "/humako.sqlite3"]
    assert not (tmp_path / "copy.sqlite3").exists() and not (tmp_path / "nothing").exists()
