"""PostgreSQL databases for the test suite (HUMAKO_TEST_DATABASE_URL): a fresh, migrated database per data
directory, fast.

One template database holds the core's and every cog's migrations; a test's database is a copy of it (CREATE
DATABASE ... TEMPLATE), handed to each data directory a test uses (the same one again when a test restarts a
bot on its directory). After the test, a database nobody is connected to any more is emptied (TRUNCATE ...
RESTART IDENTITY, its migration records kept) and handed out again, so a run of a thousand tests copies only a
few databases.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.db import DEFAULT_MIGRATIONS_DIR, Database

__all__ = ["URL_ENV", "TestDatabases", "database_url"]

URL_ENV = "HUMAKO_TEST_DATABASE_URL"
TEMPLATE = "humako_template"  # + a digest of the migrations: a server kept between runs never serves a stale one
_PREFIX = "humako_test_"


# One round trip: delete the rows of every table that has any (triggers, foreign keys among them, off for this
# session), and restart each sequence a test used. Cheaper than TRUNCATE, which makes new files for every table.
_EMPTY = """
SET session_replication_role = replica;
DO $$
DECLARE
    t record;
    filled boolean;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t.tablename) INTO filled;
        IF filled THEN
            EXECUTE format('DELETE FROM %I', t.tablename);
        END IF;
    END LOOP;
    FOR t IN SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL
    LOOP
        EXECUTE format('ALTER SEQUENCE %I.%I RESTART', t.schemaname, t.sequencename);
    END LOOP;
END $$;
"""


_TABLES = "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'"


def database_url(server_url: str, name: str) -> str:
    """`server_url` (any database on the server) naming database `name` instead."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


class TestDatabases:
    """Hands out databases on the server at `server_url` (one process; tests run one at a time)."""

    __test__ = False  # not a test class

    def __init__(self, server_url: str, components: list[tuple[str, Path]]) -> None:
        self.server_url = server_url
        self.components = components  # (component, migrations folder) of every cog, after the core's
        digest = hashlib.sha256()
        for folder in (DEFAULT_MIGRATIONS_DIR, *(f for _c, f in components)):
            for path in sorted(folder.glob("*.sql")):
                digest.update(path.name.encode() + path.read_bytes())
        self.template = f"{TEMPLATE}_{digest.hexdigest()[:12]}"
        self.in_use: dict[str, str] = {}  # data directory -> database name
        self.free: list[str] = []
        self._made = 0
        self._template_tables: set[str] = set()

    async def _admin(self) -> asyncpg.Connection:
        # A connection per call: each test runs on its own event loop, and a connection belongs to one.
        return await asyncpg.connect(self.server_url)

    async def for_data_dir(self, data_dir: Path) -> str:
        """The URL of the database of `data_dir` (a new copy of the template on first use)."""
        key = str(Path(data_dir).resolve())
        name = self.in_use.get(key)
        if name is None:
            name = self.free.pop() if self.free else await self._copy()
            self.in_use[key] = name
        return database_url(self.server_url, name)

    async def _copy(self) -> str:
        admin = await self._admin()
        try:
            if not self._template_tables:
                await self._make_template(admin)
            self._made += 1
            name = f"{_PREFIX}{os.getpid()}_{self._made}"
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            return name
        finally:
            await admin.close()

    async def blank(self) -> str:
        """The URL of a new empty database (no migrations applied), dropped at the end of the run."""
        admin = await self._admin()
        try:
            self._made += 1
            name = f"{_PREFIX}{os.getpid()}_{self._made}"
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' LC_COLLATE \'C\''
                                " LC_CTYPE 'C'")
            return database_url(self.server_url, name)
        finally:
            await admin.close()

    async def _make_template(self, admin: asyncpg.Connection) -> None:
        # Several pytest processes may share a server: the first makes the template, the others wait for it.
        await admin.execute("SELECT pg_advisory_lock(74687560)")
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", self.template):
                building = f"{self.template}_{os.getpid()}"
                await admin.execute(f'DROP DATABASE IF EXISTS "{building}"')
                await admin.execute(f'CREATE DATABASE "{building}" TEMPLATE template0 ENCODING \'UTF8\''
                                    " LC_COLLATE 'C' LC_CTYPE 'C'")
                db = await Database.open(database_url(self.server_url, building), DEFAULT_MIGRATIONS_DIR)
                try:
                    for component, folder in self.components:
                        await db.migrate(folder, component=component)
                finally:
                    await db.close()
                await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{self.template}"')
        finally:
            await admin.execute("SELECT pg_advisory_unlock(74687560)")
        template = await asyncpg.connect(database_url(self.server_url, self.template))
        try:
            self._template_tables = {row[0] for row in await template.fetch(_TABLES)}
        finally:
            await template.close()

    async def release(self) -> None:
        """After a test: each database no one is connected to any more is emptied and free again (one still
        open, e.g. a module's bot, stays its directory's)."""
        if not self.in_use:
            return
        admin = await self._admin()
        try:
            busy = {row[0] for row in await admin.fetch(
                "SELECT DISTINCT datname FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                list(self.in_use.values()))}
            for key, name in list(self.in_use.items()):
                if name in busy:
                    continue
                del self.in_use[key]
                if await self._empty(name):
                    self.free.append(name)
                else:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    async def _empty(self, name: str) -> bool:
        try:
            conn = await asyncpg.connect(database_url(self.server_url, name), server_settings={"lock_timeout": "2s"})
        except (OSError, asyncpg.PostgresError):
            return False
        try:
            # A test's own cog (tests/cogs) made tables the template does not have: gone, with their records.
            extra = [row[0] for row in await conn.fetch(_TABLES) if row[0] not in self._template_tables]
            for table in extra:
                await conn.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            components = ["core", *(component for component, _folder in self.components)]
            await conn.execute("DELETE FROM schema_migrations WHERE NOT (component = ANY($1::text[]))", components)
            await conn.execute(_EMPTY)
            return True
        except asyncpg.PostgresError:
            return False
        finally:
            await conn.close()

    async def drop_all(self) -> None:
        """At the end of a run: this process's databases (the template stays for the next run on the server)."""
        admin = await self._admin()
        try:
            for row in await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1",
                                         f"{_PREFIX}{os.getpid()}_%"):
                await admin.execute(f'DROP DATABASE IF EXISTS "{row[0]}" WITH (FORCE)')
        finally:
            await admin.close()
        self.in_use.clear()
        self.free.clear()
