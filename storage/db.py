"""The bot's database: one query API over embedded SQLite (the default) and PostgreSQL, with explicit
transactions and migrations.

`Database.open(location)` takes a SQLite path (or `sqlite:///path`, or ':memory:') or a `postgresql://` URL.

SQLite: the bot runs in a single process on a single event loop, so one aiosqlite connection is enough; what we
must prevent is two coroutines interleaving statements inside one transaction. Every helper therefore goes
through an asyncio.Lock, and the task that holds a transaction may keep using the helpers without re-taking it.

PostgreSQL (storage/postgres.py): an asyncpg pool; a transaction holds one pooled connection for its task, so
several tasks (and processes) work at once. Statements are written once, portably: `?` placeholders (translated
to `$n`), `ON CONFLICT`, `RETURNING id` for a new row's id, parameters of the column's type.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, KeysView, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

import aiosqlite
import asyncpg

__all__ = [
    "CORE",
    "DEFAULT_MIGRATIONS_DIR",
    "DIALECTS",
    "OPEN_ERRORS",
    "Database",
    "DatabaseError",
    "Migration",
    "MigrationError",
    "Params",
    "Row",
    "SQLiteDatabase",
    "discover_migrations",
    "from_iso",
    "is_busy",
    "is_postgresql_url",
    "patiently",
    "probing",
    "split_sql",
    "sqlite_path",
    "to_iso",
]

log = logging.getLogger(__name__)


class Row(Protocol):
    """A result row, by column name or index (sqlite3.Row, asyncpg.Record); `dict(row)` gives its columns."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str] | KeysView[str]: ...


Params = Sequence[Any]
# What a failed statement raises, whichever the database: a caller that reports "the database cannot be used".
DatabaseError: tuple[type[BaseException], ...] = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)

DEFAULT_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
CORE = "core"  # the component of the core's migrations; a cog's are recorded under the cog's name
DIALECTS = ("sqlite", "postgresql")
# Migrations that were global files before each cog had its own folder: (old version, name) -> (cog, new version,
# name). A database recorded in the old numbering is converted once (SQLiteDatabase._records_per_component).
MOVED_TO_COGS: dict[tuple[int, str], tuple[str, int, str]] = {
    (5, "events"): ("event", 1, "events"),
    (11, "rsvp_order"): ("event", 2, "rsvp_order"),
}
# NNNN_name.sql, for every database; NNNN_name.postgresql.sql beside it replaces it on PostgreSQL.
_MIGRATION_NAME = re.compile(r"^(\d{4})_([A-Za-z0-9_]+)(?:\.(postgresql))?\.sql$")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class MigrationError(RuntimeError):
    """A migration file is malformed or one of its statements failed; its changes were rolled back."""


# What opening and migrating a database may raise when the database (not the code) is at fault.
OPEN_ERRORS: tuple[type[BaseException], ...] = (*DatabaseError, MigrationError, OSError)


def to_iso(when: datetime) -> str:
    """The one stored form of an instant: UTC with a fixed width ('2026-12-01T16:00:00.000000+00:00'; the
    microseconds always present), so stored times compare correctly as text."""
    if when.tzinfo is None:
        # Naive datetimes are ambiguous (local? UTC?); refuse rather than store a wrong instant.
        raise ValueError("naive datetime; attach a time zone before storing it")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


# An instant stored before the one format (seconds, '2026-12-01T16:00:00+00:00'), rewritten once to it.
SECONDS_FORM = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00"
# The core's columns that held that form (the outbox's, scheduler's and live copies' were already fixed-width).
_SECONDS_COLUMNS = (("people", "created_at"), ("accounts", "unreachable_since"), ("accounts", "created_at"),
                    ("reminders", "created_at"), ("link_codes", "expires_at"), ("link_codes", "created_at"),
                    ("threads", "created_at"), ("schema_migrations_new", "applied_at"))


def is_busy(error: BaseException) -> bool:
    """Another process holds the database (or the rows) locked past the busy timeout: try again later, nothing
    is wrong."""
    if isinstance(error, asyncpg.LockNotAvailableError):  # lock_timeout (PostgreSQL's busy timeout) ran out
        return True
    return isinstance(error, sqlite3.OperationalError) and any(
        word in str(error) for word in ("database is locked", "database is busy"))


def is_postgresql_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def sqlite_path(location: str) -> str:
    """The file of a SQLite location: a path, or a `sqlite:///relative` / `sqlite:////absolute` URL."""
    if location.startswith("sqlite://"):
        rest = location.removeprefix("sqlite://")
        if not rest.startswith("/"):
            raise ValueError(f"{location!r}: a SQLite URL is sqlite:///path (three slashes)")
        return rest[1:] or ":memory:"
    return location


# Set in a task (and the tasks it starts) whose writes only probe the lock: they wait PROBE_MS for it instead of
# the busy timeout, so background retries never hold the one connection long while a person's command waits.
_PROBING: ContextVar[bool] = ContextVar("probing", default=False)
PROBE_MS = 50


@contextmanager
def probing() -> Iterator[None]:
    """Statements in this block give up on another process's lock after PROBE_MS, not the busy timeout."""
    token = _PROBING.set(True)
    try:
        yield
    finally:
        _PROBING.reset(token)


def is_probing() -> bool:
    return _PROBING.get()


async def patiently(write: Callable[[], Awaitable[Any]], every: float = 1.0) -> Any:
    """`write()`, tried again while another process holds the database locked: for a write that records what
    already happened (a message sent, a task finished), which must not be lost to a lock. Other errors raise.
    Each try only probes the lock (`probing`), so a person's command is not kept waiting behind the retries."""
    while True:
        try:
            with probing():
                return await write()
        except DatabaseError as error:
            if not is_busy(error):
                raise
            log.warning("the database is locked by another process; writing again shortly")
            await asyncio.sleep(every)


def from_iso(text: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover_migrations(directory: Path, dialect: str = "sqlite") -> list[Migration]:
    """Migrations in `directory` for `dialect`, ordered by version; misnamed or duplicate files are errors. A
    `NNNN_name.postgresql.sql` beside `NNNN_name.sql` is that migration on PostgreSQL."""
    found: dict[int, Migration] = {}
    overrides: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            # A typo'd name would otherwise be silently skipped forever.
            raise MigrationError(f"{path.name}: migration files must be named NNNN_name.sql "
                                 "(or NNNN_name.postgresql.sql beside it)")
        version, name, variant = int(match.group(1)), match.group(2), match.group(3)
        table = found if variant is None else overrides
        if version in table:
            raise MigrationError(f"{path.name}: version {version} already used by {table[version].path.name}")
        table[version] = Migration(version, name, path)
    for version, override in overrides.items():
        if version not in found or found[version].name != override.name:
            raise MigrationError(f"{override.path.name}: no {version:04d}_{override.name}.sql beside it")
        if dialect == "postgresql":
            found[version] = override
    return [found[v] for v in sorted(found)]


def _is_blank(sql: str) -> bool:
    return not _COMMENTS.sub("", sql).strip().strip(";").strip()


def split_sql(script: str) -> list[str]:
    """Split a script into single statements.

    sqlite3.complete_statement uses SQLite's own tokenizer, so ';' inside strings, comments and
    CREATE TRIGGER ... BEGIN ... END bodies does not end a statement. We cannot use
    executescript because it COMMITs first, which would break per-migration atomicity.
    """
    statements: list[str] = []
    buffer = ""
    pieces = script.split(";")
    for piece in pieces[:-1]:
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if not _is_blank(buffer):
                statements.append(buffer.strip())
            buffer = ""
    tail = buffer + pieces[-1]
    if not _is_blank(tail):
        raise ValueError(f"incomplete SQL statement at end of script: {tail.strip()[:60]!r}")
    return statements


class Database:
    """The query API every storage module uses, over SQLite or PostgreSQL (autocommit unless inside
    `transaction()`). Open one with `Database.open`."""

    dialect: str = "sqlite"

    def __init__(self, path: str, clock: Callable[[], datetime] | None = None) -> None:
        self.path = path  # the SQLite file, or the PostgreSQL URL without its password (for messages)
        # "Now" for what the database stamps itself (a migration's record, a person's creation): the app's clock.
        self.now: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))

    @classmethod
    async def open(cls, location: str | Path, migrations: Path | None = None, *,
                   clock: Callable[[], datetime] | None = None, busy_timeout: float = 5.0,
                   pool_size: int = 10) -> Database:
        """Open the database at `location` (a SQLite path or URL, ':memory:', or a postgresql:// URL), creating a
        SQLite file if needed, and apply the core's migrations (or those in `migrations`)."""
        db = await cls.connect_to(location, clock=clock, busy_timeout=busy_timeout, pool_size=pool_size)
        try:
            await db.migrate(migrations if migrations is not None else DEFAULT_MIGRATIONS_DIR)
        except BaseException:
            await db.close()
            raise
        return db

    @staticmethod
    async def connect_to(location: str | Path, *, clock: Callable[[], datetime] | None = None,
                         busy_timeout: float = 5.0, pool_size: int = 10) -> Database:
        """The database at `location`, as it is (no migrations applied)."""
        text = str(location)
        if is_postgresql_url(text):
            from storage.postgres import PostgresDatabase

            return await PostgresDatabase.connect(text, clock=clock, busy_timeout=busy_timeout, pool_size=pool_size)
        return await SQLiteDatabase.connect(sqlite_path(text), clock=clock, busy_timeout=busy_timeout)

    async def close(self) -> None:
        raise NotImplementedError

    def transaction(self, *, serialized: bool = True) -> AbstractAsyncContextManager[Database]:
        """BEGIN ... COMMIT, or ROLLBACK if the block raises; nested use from the same task is a SAVEPOINT.

        A transaction is serialized with every other (SQLite: BEGIN IMMEDIATE, PostgreSQL: a transaction-scoped
        advisory lock), so a read-then-write inside one sees no one else's write in between, as it always has.
        `serialized=False` (PostgreSQL only; SQLite ignores it) lets a transaction that locks its own rows
        (`FOR UPDATE SKIP LOCKED`) run beside others. Do not hand work to *other* tasks (gather/create_task)
        from inside the block: they wait for this transaction and would deadlock."""
        raise NotImplementedError

    # -- query helpers -------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the affected row count (an INSERT that inserted nothing, e.g. ON CONFLICT
        DO NOTHING, returns 0). A new row's id: `fetchval("INSERT ... RETURNING id", ...)`."""
        raise NotImplementedError

    async def executemany(self, sql: str, seq: Iterable[Params]) -> int:
        """Run one statement for each parameter set, atomically; return the total affected row count."""
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """First column of the first row, or None when there is no row."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # -- schema ------------------------------------------------------------------------------------

    async def tables(self) -> list[str]:
        """The names of the tables (schema_migrations included), sorted."""
        raise NotImplementedError

    async def columns(self, table: str) -> list[str]:
        """The names of `table`'s columns, in order."""
        raise NotImplementedError

    async def foreign_keys_to(self, table: str) -> list[tuple[str, str, str]]:
        """(table, column, ON DELETE action in capitals) of every single-column foreign key to `table`(id), cogs'
        tables included: read from the schema, so merging and erasing a person cover tables the core does not
        know."""
        raise NotImplementedError

    async def tables_referencing(self, table: str) -> list[str]:
        """The tables with a foreign key to `table` (any column), sorted: the order of a copy (storage/transfer)."""
        raise NotImplementedError

    async def continue_ids_after_copy(self, table: str) -> None:
        """After rows were inserted with their ids given, new rows of `table` get ids after the largest."""

    async def update_or_ignore(self, table: str, column: str, new: Any, old: Any) -> None:
        """`UPDATE table SET column = new WHERE column = old`, leaving behind each row whose change would break a
        unique rule (SQLite's UPDATE OR IGNORE). Names come from the schema (`foreign_keys_to`), never input."""
        raise NotImplementedError

    # -- migrations ----------------------------------------------------------------------------

    async def schema_version(self, component: str = CORE) -> int:
        return int(await self.fetchval(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?", (component,)))

    async def schema_versions(self) -> dict[str, int]:
        """The latest migration applied per component (the core, each cog)."""
        rows = await self.fetchall(
            "SELECT component, MAX(version) FROM schema_migrations GROUP BY component ORDER BY component")
        return {row[0]: int(row[1]) for row in rows}

    async def migrate(self, directory: Path = DEFAULT_MIGRATIONS_DIR, component: str = CORE) -> list[int]:
        """Apply `component`'s pending migrations in order, each atomically with its record; return the versions
        applied. The core's are 'core'; a cog's are numbered from 0001 in its own folder and recorded under its
        name, so adding a cog needs no number from anyone else."""
        await self._records_per_component()
        done = {row[0] for row in await self.fetchall(
            "SELECT version FROM schema_migrations WHERE component = ?", (component,))}
        available = discover_migrations(directory, self.dialect)
        unknown = done - {m.version for m in available}
        if unknown:
            # The database is newer than this code (e.g. after a rollback deploy); keep going, but say so.
            log.warning("database has %s migrations not present in %s: %s", component, directory, sorted(unknown))
        applied: list[int] = []
        for migration in available:
            if migration.version not in done and await self._apply(migration, component):
                applied.append(migration.version)
        return applied

    async def _records_per_component(self) -> None:
        raise NotImplementedError

    def _migration_statements(self, script: str) -> list[str]:
        return split_sql(script)

    async def _apply(self, migration: Migration, component: str = CORE) -> bool:
        """Apply one migration unless another process did meanwhile (checked inside the serialized
        transaction); return whether this call applied it."""
        filename = migration.path.name if component == CORE else f"{component}/{migration.path.name}"
        try:
            statements = self._migration_statements(migration.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MigrationError(f"{filename}: {exc}") from exc
        # Note: PRAGMA foreign_keys cannot change inside a transaction, so table rebuilds that need
        # it off must be written to keep references valid instead.
        step = "recording the migration"
        try:
            async with self.transaction():
                if await self.fetchval("SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                                       (component, migration.version)):
                    return False
                for index, statement in enumerate(statements, start=1):
                    step = f"statement {index}"
                    await self.execute(statement)
                step = "recording the migration"
                await self.execute(
                    "INSERT INTO schema_migrations(component, version, name, applied_at) VALUES (?, ?, ?, ?)",
                    (component, migration.version, migration.name, to_iso(self.now())),
                )
        except DatabaseError as exc:
            raise MigrationError(f"{filename}: {step} failed: {exc}") from exc
        log.info("applied migration %s", filename)
        return True


class SQLiteDatabase(Database):
    """One aiosqlite connection (autocommit unless inside `transaction()`), shared through an asyncio.Lock."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: str, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(path, clock)
        self._conn = conn
        self._lock = asyncio.Lock()
        self._tx_owner: asyncio.Task[Any] | None = None
        self._savepoints = 0
        self._busy_ms = 5000  # PRAGMA busy_timeout, set by connect()

    @classmethod
    async def connect(cls, location: str, *, clock: Callable[[], datetime] | None = None,
                      busy_timeout: float = 5.0) -> SQLiteDatabase:
        in_memory = location == ":memory:"
        if not in_memory:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the sqlite3 module must not open implicit transactions behind our back.
        conn = await aiosqlite.connect(location, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            if not in_memory:
                # WAL lets readers (backups, sqlite3 CLI) run while the bot writes.
                await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            await conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await conn.close()
            raise
        db = cls(conn, location, clock)
        db._busy_ms = int(busy_timeout * 1000)
        return db

    async def close(self) -> None:
        await self._conn.close()

    # -- locking -------------------------------------------------------------------------------

    def _owns_transaction(self) -> bool:
        task = asyncio.current_task()
        return task is not None and task is self._tx_owner

    @asynccontextmanager
    async def _access(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, once no other task is inside a transaction."""
        if self._owns_transaction():
            yield self._conn
            return
        async with self._lock:
            yield self._conn

    def _probes(self) -> bool:
        """Whether a statement run now only probes the lock (inside `probing()`, outside a transaction of this
        task: inside one, the lock is held already)."""
        return _PROBING.get() and not self._owns_transaction()

    def _probe(self, sql: str, params: Params, fetch: bool) -> Any:
        """In the database thread: `sql` with the short busy timeout, the usual one restored after. One hop for
        the three statements (the probes of the outbox and the scheduler run several times per message)."""
        raw = self._conn._conn  # aiosqlite's own sqlite3 connection (this runs in its thread)
        raw.execute(f"PRAGMA busy_timeout={PROBE_MS}")
        try:
            cursor = raw.execute(sql, params)
            return cursor.fetchall() if fetch else max(cursor.rowcount, 0)
        finally:
            raw.execute(f"PRAGMA busy_timeout={self._busy_ms}")

    async def _probed(self, sql: str, params: Params, fetch: bool) -> Any:
        # aiosqlite's _execute runs a function in its connection's thread (its public helpers are built on it).
        return await self._conn._execute(self._probe, sql, params, fetch)

    @asynccontextmanager
    async def transaction(self, *, serialized: bool = True) -> AsyncIterator[Database]:
        # IMMEDIATE takes the write lock up front so we never fail half-way with SQLITE_BUSY on upgrade.
        if self._owns_transaction():
            async with self._savepoint():
                yield self
            return
        async with self._lock:
            if _PROBING.get():
                await self._probed("BEGIN IMMEDIATE", (), False)  # the one statement that waits for the lock
            else:
                await self._conn.execute("BEGIN IMMEDIATE")
            self._tx_owner = asyncio.current_task()
            try:
                try:
                    yield self
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                try:
                    await self._conn.execute("COMMIT")
                except BaseException:
                    # COMMIT can fail (e.g. deferred foreign keys); never leave the connection mid-tx.
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise
            finally:
                self._tx_owner = None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        await self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self._conn.execute(f"ROLLBACK TO {name}")
            await self._conn.execute(f"RELEASE {name}")
            raise
        else:
            await self._conn.execute(f"RELEASE {name}")
        finally:
            self._savepoints -= 1

    # -- query helpers -------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._access() as conn:
            if self._probes():
                return cast(int, await self._probed(sql, params, False))
            # One hop to the database thread: the cursor is not closed explicitly (another hop); it holds
            # no open statement after a write and is freed with its last reference.
            cursor = await conn.execute(sql, params)
            return max(cursor.rowcount, 0)

    async def executemany(self, sql: str, seq: Iterable[Params]) -> int:
        async with self.transaction(), self._conn.executemany(sql, seq) as cursor:
            return cursor.rowcount

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        # execute_fetchall runs the query and reads its rows in one hop to the database thread (not three).
        async with self._access() as conn:
            if self._probes():
                return cast(list[Row], await self._probed(sql, params, True))
            return cast(list[Row], list(await conn.execute_fetchall(sql, params)))

    # -- schema ------------------------------------------------------------------------------------

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        return [row[0] for row in rows]

    async def columns(self, table: str) -> list[str]:
        return [row["name"] for row in await self.fetchall(f'PRAGMA table_info("{table}")')]

    async def foreign_keys_to(self, table: str) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        for name in await self.tables():
            for fk in await self.fetchall(f'PRAGMA foreign_key_list("{name}")'):
                if fk["table"] == table and fk["to"] in (None, "id"):
                    found.append((name, fk["from"], fk["on_delete"].upper()))
        return found

    async def tables_referencing(self, table: str) -> list[str]:
        return [name for name in await self.tables()
                if any(fk["table"] == table for fk in await self.fetchall(f'PRAGMA foreign_key_list("{name}")'))]

    async def update_or_ignore(self, table: str, column: str, new: Any, old: Any) -> None:
        await self.execute(f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (new, old))

    # -- migrations ----------------------------------------------------------------------------

    async def _records_per_component(self) -> None:
        """schema_migrations with a component column; a database from before (one global numbering) is converted
        once, its records of files that moved into a cog renamed to the cog's numbers (MOVED_TO_COGS), so nothing
        runs twice."""
        columns = [row["name"] for row in await self.fetchall("PRAGMA table_info(schema_migrations)")]
        if "component" in columns:
            return
        async with self.transaction():
            await self.execute(
                "CREATE TABLE schema_migrations_new (component TEXT NOT NULL, version INTEGER NOT NULL,"
                " name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))")
            if columns:  # records in the global numbering
                for row in await self.fetchall("SELECT version, name, applied_at FROM schema_migrations"):
                    component, version, name = MOVED_TO_COGS.get((row["version"], row["name"]),
                                                                  (CORE, row["version"], row["name"]))
                    await self.execute("INSERT INTO schema_migrations_new VALUES (?, ?, ?, ?)",
                                       (component, version, name, row["applied_at"]))
                await self.execute("DROP TABLE schema_migrations")
                tables = {row[0] for row in await self.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
                for table, column in _SECONDS_COLUMNS:  # the same release brought the one timestamp format
                    if table not in tables:
                        continue
                    await self.execute(f'UPDATE "{table}" SET "{column}" = substr("{column}", 1, 19) || '
                                       f"'.000000+00:00' WHERE \"{column}\" GLOB '{SECONDS_FORM}'")
            await self.execute("ALTER TABLE schema_migrations_new RENAME TO schema_migrations")

