"""Storage layer: migrations, pragmas, transactions and the core people queries."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import DEFAULT_MIGRATIONS_DIR, Database, MigrationError, discover_migrations, split_sql
from storage.people import PeopleQueries

pytestmark = pytest.mark.asyncio

M1 = """
-- first: a table with a ';' inside a string default
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL DEFAULT 'a;b');
INSERT INTO notes(body) VALUES ('seeded; by 0001');
"""
M2 = "CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE, tag TEXT NOT NULL);"
M3 = """
ALTER TABLE notes ADD COLUMN updated_at TEXT;
CREATE TABLE log (note_id INTEGER, what TEXT);
/* a trigger body contains ';' that must not split the statement */
CREATE TRIGGER notes_log AFTER INSERT ON notes BEGIN
    INSERT INTO log(note_id, what) VALUES (new.id, 'insert;');
    UPDATE notes SET updated_at = 'x' WHERE id = new.id;
END;
"""


def write(directory: Path, name: str, sql: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(sql, encoding="utf-8")


def snapshot(path: Path) -> tuple[list[tuple[str, ...]], list[tuple[object, ...]]]:
    """Schema and migration records, read with a plain sqlite3 connection."""
    with sqlite3.connect(path) as conn:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        records = conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY 1"
        ).fetchall()
    return schema, records


async def test_fresh_database_is_at_latest_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "sub" / "bot.db")
    try:
        latest = discover_migrations(DEFAULT_MIGRATIONS_DIR)[-1].version
        assert await db.schema_version() == latest
        names = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        assert {"schema_migrations", "people", "accounts", "accounts_person_id"} <= names
        row = await db.fetchone("SELECT version, name, applied_at FROM schema_migrations WHERE version = 1")
        assert row is not None and row["name"] == "core" and row["applied_at"].endswith("+00:00")
    finally:
        await db.close()


async def test_memory_database(tmp_path: Path) -> None:
    db = await Database.open(":memory:")
    assert await db.schema_version() >= 1
    await db.close()


async def test_old_database_is_brought_up_to_date(tmp_path: Path) -> None:
    migrations, path = tmp_path / "migrations", tmp_path / "bot.db"
    write(migrations, "0001_notes.sql", M1)
    write(migrations, "0002_tags.sql", M2)
    db = await Database.open(path, migrations)
    assert await db.schema_version() == 2
    note = await db.fetchval("INSERT INTO notes(body) VALUES (?) RETURNING id", ("kept",))
    await db.execute("INSERT INTO tags VALUES (?, ?)", (note, "t"))
    await db.close()

    write(migrations, "0003_log.sql", M3)
    db = await Database.open(path, migrations)
    try:
        assert await db.schema_version() == 3
        bodies = [r["body"] for r in await db.fetchall("SELECT body FROM notes ORDER BY id")]
        assert bodies == ["seeded; by 0001", "kept"]
        assert await db.fetchval("SELECT tag FROM tags") == "t"
        await db.execute("INSERT INTO notes(body) VALUES ('new')")
        assert await db.fetchval("SELECT what FROM log") == "insert;"
        assert await db.fetchval("SELECT updated_at FROM notes WHERE body = 'new'") == "x"
        versions = [r[0] for r in await db.fetchall("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [1, 2, 3]
    finally:
        await db.close()


async def test_failing_migration_changes_nothing(tmp_path: Path) -> None:
    migrations, path = tmp_path / "migrations", tmp_path / "bot.db"
    write(migrations, "0001_notes.sql", M1)
    db = await Database.open(path, migrations)
    await db.close()
    before = snapshot(path)

    write(migrations, "0002_broken.sql", "CREATE TABLE tags (tag TEXT);\nCREAT TABLE oops (x TEXT);\n")
    with pytest.raises(MigrationError) as excinfo:
        await Database.open(path, migrations)
    message = str(excinfo.value)
    assert "0002_broken.sql" in message and "statement 2" in message and "syntax error" in message
    assert snapshot(path) == before  # no 'tags' table, no record for 0002

    # Fixing the file lets the next start apply it.
    write(migrations, "0002_broken.sql", "CREATE TABLE tags (tag TEXT);\nCREATE TABLE oops (x TEXT);\n")
    db = await Database.open(path, migrations)
    assert await db.schema_version() == 2
    await db.close()


async def test_misnamed_migration_file_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "m", "1_notes.sql", M1)
    with pytest.raises(MigrationError, match=r"1_notes\.sql"):
        await Database.open(":memory:", tmp_path / "m")


async def test_split_sql() -> None:
    assert split_sql("SELECT 1; SELECT 'a;b' -- c;\n; /* x; */ ") == ["SELECT 1;", "SELECT 'a;b' -- c;\n;"]
    assert len(split_sql(M3)) == 3
    with pytest.raises(ValueError, match="incomplete"):
        split_sql("SELECT 1; SELECT 2")


async def test_file_database_pragmas_and_cascade(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA busy_timeout") == 5000
        person = await PeopleQueries(db).get_or_create("discord", 42, "Aino")
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO accounts(platform, platform_user_id, person_id, created_at)"
                " VALUES ('x', '1', 999, '')"
            )
        await db.execute("DELETE FROM people WHERE id = ?", (person.id,))
        assert await db.fetchval("SELECT COUNT(*) FROM accounts") == 0
    finally:
        await db.close()


async def test_execute_return_values() -> None:
    db = await Database.open(":memory:")
    try:
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE)")
        assert await db.execute("INSERT INTO t(k) VALUES ('a')") == 1  # a count, never a new id
        assert await db.fetchval("INSERT INTO t(k) VALUES (?) RETURNING id", ("b",)) == 2
        assert await db.execute("INSERT INTO t(k) VALUES ('a') ON CONFLICT DO NOTHING") == 0
        assert await db.execute("UPDATE t SET k = k || '!'") == 2
        assert await db.executemany("INSERT INTO t(k) VALUES (?)", [("c",), ("d",)]) == 2
        assert await db.fetchval("SELECT k FROM t WHERE id = 99") is None
    finally:
        await db.close()


async def test_transaction_rolls_back_and_blocks_other_tasks() -> None:
    db = await Database.open(":memory:")
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        inside = asyncio.Event()

        async def failing_writer() -> None:
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (1)")
                inside.set()
                await asyncio.sleep(0.05)  # give the reader a chance to interleave (it must not)
                raise RuntimeError("boom")

        async def reader() -> int:
            await inside.wait()
            return int(await db.fetchval("SELECT COUNT(*) FROM t"))

        results = await asyncio.gather(failing_writer(), reader(), return_exceptions=True)
        assert isinstance(results[0], RuntimeError)
        assert results[1] == 0  # waited for the rollback instead of seeing the uncommitted row

        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (2)")
            with pytest.raises(ValueError):
                async with db.transaction():  # nested -> savepoint
                    await db.execute("INSERT INTO t VALUES (3)")
                    raise ValueError
        assert [r[0] for r in await db.fetchall("SELECT x FROM t")] == [2]
    finally:
        await db.close()


async def test_concurrent_get_or_create_gives_one_person(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    first, second = await Database.open(path), await Database.open(path)  # two connections, too
    try:
        calls = [PeopleQueries(db).get_or_create("telegram", 1234, "Eero") for db in (first, second) * 5]
        people = await asyncio.gather(*calls)
        assert len({p.id for p in people}) == 1
        assert await first.fetchval("SELECT COUNT(*) FROM people") == 1
        assert await PeopleQueries(first).accounts(people[0].id) == [("telegram", "1234")]
    finally:
        await first.close()
        await second.close()


async def test_people_queries() -> None:
    db = await Database.open(":memory:")
    try:
        q = PeopleQueries(db)
        aki = await q.get_or_create("discord", "1", "Äkäslompolo Aki", locale="fi")
        await q.get_or_create("console", "bob", "Bob")
        assert await q.get(aki.id) == aki and await q.get(999) is None
        assert [p.id for p in await q.find_by_name("äkäslompolo aki")] == [aki.id]
        assert [p.id for p in await q.find_by_name("ÄKÄS")] == [aki.id]
        assert await q.find_by_name("nobody") == []
        await q.set_locale(aki.id, "en")
        assert (await q.get(aki.id)).locale == "en"  # type: ignore[union-attr]
        when = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
        await q.mark_unreachable("discord", 1, when)
        await q.mark_unreachable("discord", 1, datetime(2027, 1, 1, tzinfo=UTC))  # first one kept
        since = "SELECT unreachable_since FROM accounts WHERE platform_user_id = '1'"
        assert await db.fetchval(since) == "2026-12-01T18:00:00.000000+00:00"
        await q.mark_reachable("discord", 1)
        assert await db.fetchval(since) is None
    finally:
        await db.close()


# ------------------------------------------------------------- from one global numbering to per-cog records

EVENTS_MIGRATIONS = Path(__file__).resolve().parent.parent / "cogs" / "events" / "migrations"
# The global numbering before each cog had its own folder: version -> (name, file now).
GLOBAL = {
    1: ("core", DEFAULT_MIGRATIONS_DIR / "0001_core.sql"),
    2: ("outbox", DEFAULT_MIGRATIONS_DIR / "0002_outbox.sql"),
    3: ("scheduler", DEFAULT_MIGRATIONS_DIR / "0003_scheduler.sql"),
    4: ("personal", DEFAULT_MIGRATIONS_DIR / "0004_personal.sql"),
    5: ("events", EVENTS_MIGRATIONS / "0001_events.sql"),
    6: ("discord", DEFAULT_MIGRATIONS_DIR / "0006_discord.sql"),
    7: ("threads", DEFAULT_MIGRATIONS_DIR / "0007_threads.sql"),
    11: ("rsvp_order", EVENTS_MIGRATIONS / "0002_rsvp_order.sql"),
    14: ("person_aliases", DEFAULT_MIGRATIONS_DIR / "0014_person_aliases.sql"),
    17: ("sealed_routes", DEFAULT_MIGRATIONS_DIR / "0017_sealed_routes.sql"),
}
MILESTONE_1 = (1, 2, 3, 4, 5, 6, 7)


def legacy_database(path: Path, versions: tuple[int, ...]) -> None:
    """A database as the old code left it: the global files applied, recorded by version alone, with data."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " applied_at TEXT NOT NULL)")
        for version in versions:
            name, file = GLOBAL[version]
            conn.executescript(file.read_text(encoding="utf-8"))
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                         (version, name, f"2026-09-0{version % 9 + 1}T10:00:00+00:00"))
        conn.execute("INSERT INTO people (display_name, created_at) VALUES ('Aino', '2026-09-01T10:00:00+00:00')")
        conn.execute("INSERT INTO events (title, starts_at, timezone, series_end_at, created_at, updated_at)"
                     " VALUES ('Quiz', '2026-12-04T16:00:00+00:00', 'Europe/Helsinki', '2026-12-04T18:00:00+00:00',"
                     " '2026-09-01T10:00:00+00:00', '2026-09-01T10:00:00+00:00')")
        conn.execute("INSERT INTO event_rsvps (event_id, person_id, answer, since)"
                     " VALUES (1, 1, 'yes', '2026-09-01T10:00:00+00:00')")


def records(path: Path) -> dict[tuple[str, int], tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT component, version, name, applied_at FROM schema_migrations").fetchall()
    return {(component, version): (name, applied) for component, version, name, applied in rows}


@pytest.mark.sqlite_only  # SQLite databases of earlier releases
@pytest.mark.parametrize("versions", [MILESTONE_1, tuple(GLOBAL)], ids=["milestone-1", "latest-global"])
async def test_a_database_in_the_global_numbering_upgrades_without_running_anything_twice(
        tmp_path: Path, versions: tuple[int, ...]) -> None:
    from tests.harness import ConsoleBot, texts

    path = tmp_path / "humako.sqlite3"
    legacy_database(path, versions)
    # Every stored instant in the one format now, the records' times too.
    before = {version: f"2026-09-0{version % 9 + 1}T10:00:00.000000+00:00" for version in versions}

    # The real start: core migrations, then the enabled events cog's. A file run again would fail (CREATE TABLE).
    bot = await ConsoleBot.start(tmp_path)
    try:
        assert "Quiz" in texts(await bot.say("/event list", as_="aino"))
    finally:
        await bot.stop()

    found = records(path)
    moved = {5: ("event", 1), 11: ("event", 2)}
    for version, applied in before.items():  # every old record kept, with when it ran, under its component
        assert found[moved.get(version, ("core", version))] == (GLOBAL[version][0], applied)
    core_files = [m.version for m in discover_migrations(DEFAULT_MIGRATIONS_DIR)]
    assert sorted(v for c, v in found if c == "core") == core_files
    assert sorted(v for c, v in found if c == "event") == [1, 2, 3, 4, 5]
    assert 5 not in core_files and 11 not in core_files
    with sqlite3.connect(path) as conn:  # the data is kept
        assert conn.execute("SELECT title, starts_at, series_end_at FROM events").fetchall() == [
            ("Quiz", "2026-12-04T16:00:00.000000+00:00", "2026-12-04T18:00:00.000000+00:00")]
        # the old person's time rewritten; the one /event list created stamped by the app's (frozen) clock
        assert conn.execute("SELECT created_at FROM people ORDER BY id").fetchall() == [
            ("2026-09-01T10:00:00.000000+00:00",), ("2026-11-26T12:00:00.000000+00:00",)]
        # numbered by 0002_rsvp_order when it first ran now; left alone (0) when it had run before the row came
        seq = 0 if 11 in versions else 1
        assert conn.execute("SELECT person_id, answer, seq, since FROM event_rsvps").fetchall() == [
            (1, "yes", seq, "2026-09-01T10:00:00.000000+00:00")]

    # And again: nothing left to run.
    db = await Database.open(path)
    try:
        assert await db.migrate(EVENTS_MIGRATIONS, component="event") == []
        assert await db.migrate() == []
    finally:
        await db.close()


async def test_a_cog_migration_is_recorded_under_the_cog_and_numbered_on_its_own(tmp_path: Path) -> None:
    migrations = tmp_path / "notes"
    write(migrations, "0001_notes.sql", M1)
    db = await Database.open(tmp_path / "bot.db")
    try:
        core = await db.schema_version()
        assert await db.migrate(migrations, component="notes") == [1]  # version 1 again, for another component
        assert await db.schema_version("notes") == 1 and await db.schema_version() == core
        assert await db.fetchval("SELECT body FROM notes") == "seeded; by 0001"
    finally:
        await db.close()
