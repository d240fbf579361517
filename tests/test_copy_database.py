"""`humako-bot copy-database URL`: a union's SQLite database moved to PostgreSQL (docs/operations.md), every row
kept, references and ids intact, and the bot going on there as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.testing import TEST_DATABASES
from bot.workers import take_slot
from tests.test_cli import run
from tests.test_sealed import config_naming

CREATE = [':as Olli organiser', '/event create title=Sitsit start="4.12.2027 klo 18" where=helsinki '
          'description=Tervetuloa', ':click 1']


def console(data: Path, *lines: str, config: str | None = None) -> str:
    extra = ["--config", config] if config else []
    result = run("console", "--script", "-", "--data", str(data), *extra, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.postgresql
async def test_a_sqlite_database_moves_to_postgresql_and_the_bot_goes_on_there(tmp_path: Path) -> None:
    assert TEST_DATABASES is not None
    url = await TEST_DATABASES.blank()
    sqlite_data = tmp_path / "sqlite"
    out = console(sqlite_data, *CREATE, ":as Maija", "/event list", ":click 2")
    assert "Tapahtuma #1 Sitsit luotu" in out

    copied = run("copy-database", url, "--data", str(sqlite_data))
    assert copied.returncode == 0, copied.stderr
    assert "rows in" in copied.stdout and "Now set [database] url" in copied.stdout

    config = config_naming(url, tmp_path / "config.toml")
    on_postgresql = tmp_path / "postgresql"  # a new data directory: everything now lives in PostgreSQL
    mine = console(on_postgresql, ":as Maija", "/event mine", config=config)
    assert "Sitsit (#1)" in mine  # Maija's RSVP came along with the event and her person row
    after = console(on_postgresql, *CREATE, config=config)
    assert "Tapahtuma #2 Sitsit luotu" in after  # new ids continue after the copied ones
    assert not (on_postgresql / "humako.sqlite3").exists()

    again = run("copy-database", url, "--data", str(sqlite_data))
    assert again.returncode == 1 and "not empty" in again.stderr  # never merges into a used database


def test_copy_refuses_a_missing_source_and_its_own_database(tmp_path: Path) -> None:
    missing = run("copy-database", str(tmp_path / "target.sqlite3"), "--data", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no database at" in missing.stderr
    console(tmp_path / "d", "/ping")
    itself = run("copy-database", str(tmp_path / "d" / "humako.sqlite3"), "--data", str(tmp_path / "d"))
    assert itself.returncode == 2 and "own database" in itself.stderr


def test_sqlite_to_sqlite_copy_keeps_every_row(tmp_path: Path) -> None:
    console(tmp_path / "a", *CREATE, ":as Maija", "/event list", ":click 2")
    target = tmp_path / "b" / "humako.sqlite3"
    target.parent.mkdir()
    copied = run("copy-database", str(target), "--data", str(tmp_path / "a"))
    assert copied.returncode == 0, copied.stderr
    assert "Sitsit (#1)" in console(tmp_path / "b", ":as Maija", "/event mine")
    assert "Tapahtuma #2 Sitsit luotu" in console(tmp_path / "b", *CREATE)


def test_copy_refuses_while_the_bot_runs_on_the_data_directory(tmp_path: Path) -> None:
    console(tmp_path / "d", "/ping")
    _, held = take_slot(tmp_path / "d" / "workers")  # as a running bot holds its slot
    try:
        refused = run("copy-database", str(tmp_path / "t.sqlite3"), "--data", str(tmp_path / "d"))
    finally:
        held.close()
    assert refused.returncode == 2 and "stop it first" in refused.stderr
    assert not (tmp_path / "t.sqlite3").exists()
