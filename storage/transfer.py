"""Copying every row of one database into another of the same schema: moving a union's SQLite database to the
PostgreSQL of several processes (`humako-bot copy-database`, docs/operations.md).

The target must be migrated to exactly the source's versions and hold no rows: the copy never merges, so nothing
is counted twice or overwritten. Tables go parents first (foreign keys hold at every row) in one transaction of
the target: a failure leaves it empty. Ids are copied as they are, so every reference (and every signed button
already posted, which names ids) stays valid; the target's id sequences then continue after the largest.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from storage.db import Database

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


async def copy_rows(source: Database, target: Database) -> dict[str, int]:
    """Copy every row of `source` into the empty, equally migrated `target`; the rows copied per table."""
    if await source.schema_versions() != await target.schema_versions():
        raise TransferError("the two databases are at different migration versions: start the bot (or run "
                            "`humako-bot migrate`) on both with the same cogs first")
    tables = [table for table in await source.tables() if table != BOOKKEEPING]
    missing = sorted(set(tables) - set(await target.tables()))
    if missing:
        raise TransferError(f"the target has no table {', '.join(missing)}")
    for table in tables:
        if await target.fetchval(f'SELECT 1 FROM "{table}" LIMIT 1') is not None:
            raise TransferError(f"the target already has rows (table {table}); copy only into an empty database")
    copied: dict[str, int] = {}
    async with target.transaction():
        for table in await parents_first(source, tables):
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
