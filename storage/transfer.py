"""Copying every row of one database into another of the same schema: moving a union's SQLite database to the
PostgreSQL of several processes (`humako-bot copy-database`, docs/operations.md).

The target must be new (no tables before the command migrated it) and then at exactly the source's versions: the
copy never merges, so nothing is counted twice or overwritten; the few rows its own migrations seeded are replaced
by the source's. Tables go parents first (foreign keys hold at every row) in one transaction of
the target: a failure leaves it empty. Ids are copied as they are, so every reference (and every signed button
already posted, which names ids) stays valid; the target's id sequences then continue after the largest.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from storage.db import Database, is_postgresql_url, sqlite_path

BATCH_ROWS = 500
BOOKKEEPING = "schema_migrations"  # written by the target's own migrations, compared instead of copied


class TransferError(Exception):
    """The copy cannot be made; the message says why in one line."""


async def parents_first(db: Database, tables: list[str]) -> list[str]:
    """`tables` ordered so each comes after the tables its foreign keys name."""
    graph: dict[str, set[str]] = {table: set() for table in tables}
    for parent in tables:
        for child in await db.tables_referencing(parent):
            if child in graph and child != parent:
                graph[child].add(parent)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise TransferError(f"the tables' foreign keys form a cycle: {error.args[1]}") from None


async def is_blank(location: str) -> bool:
    """Whether the database at `location` has no tables yet (a SQLite file that does not exist is blank)."""
    if not is_postgresql_url(location) and not Path(sqlite_path(location)).exists():
        return True
    db = await Database.connect_to(location, pool_size=1)
    try:
        return not await db.tables()
    finally:
        await db.close()


async def copy_rows(source: Database, target: Database) -> dict[str, int]:
    """Copy every row of `source` into `target`, new and migrated as the source (see is_blank); the rows copied
    per table."""
    if await source.schema_versions() != await target.schema_versions():
        raise TransferError("the two databases are at different migration versions: start the bot (or run "
                            "`humako-bot migrate`) on both with the same cogs first")
    tables = [table for table in await source.tables() if table != BOOKKEEPING]
    missing = sorted(set(tables) - set(await target.tables()))
    if missing:
        raise TransferError(f"the target has no table {', '.join(missing)}")
    order = await parents_first(source, tables)
    copied: dict[str, int] = {}
    async with target.transaction():
        for table in reversed(order):  # what the target's migrations seeded (children first, as foreign keys want)
            await target.execute(f'DELETE FROM "{table}"')
        for table in order:
            columns = await source.columns(table)
            names = ", ".join(f'"{column}"' for column in columns)
            insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
            rows = [tuple(row) for row in await source.fetchall(f'SELECT {names} FROM "{table}"')]
            for start in range(0, len(rows), BATCH_ROWS):
                await target.executemany(insert, rows[start:start + BATCH_ROWS])
            if "id" in columns:
                await target.continue_ids_after_copy(table)
            copied[table] = len(rows)
    for table, count in copied.items():  # read back: what the target holds is what was sent
        held = int(await target.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
        if held != count:
            raise TransferError(f"table {table}: {count} rows copied but {held} in the target")
    return copied
