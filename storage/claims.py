"""Leases on rows that several worker processes share (migration 0027): the outbox's rows, the scheduler's rows
and live copies. A worker claims rows by writing its id (`claimed_by`) and a lease (`lease_until`); while it works
on them it extends the lease; a row whose lease ran out (its worker died) is claimed again by another worker.

A claim is one UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING in a transaction: on SQLite the transaction's
BEGIN IMMEDIATE makes it the only writer; on PostgreSQL the SELECT takes its rows FOR UPDATE SKIP LOCKED, so two
workers claiming at once get different rows and neither waits for the other (the transaction is not serialized
with the others: `transaction(serialized=False)`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.db import Database, to_iso

__all__ = ["ClaimQueries", "Statistics", "claim_sql", "claimable", "skip_locked"]

CLAIMED_TABLES = ("outbox", "scheduled", "live_copies", "cron_fires")
UNTRACKED_TABLES = ("cron_fires",)  # a fire's key is (job, fire_at): its lease is renewed, its rows not listed


def skip_locked(db: Database) -> str:
    """The row-lock clause of a claim's inner SELECT: PostgreSQL's, or nothing (SQLite has one writer)."""
    return " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""


def claim_sql(db: Database, table: str, assign: str, assign_params: tuple[Any, ...], pick: str,
              pick_params: tuple[Any, ...], returning: str = "*") -> tuple[str, tuple[Any, ...]]:
    """UPDATE `table` SET `assign` on the rows `pick` (a SELECT of ids) chooses, RETURNING `returning`; the
    statement and its parameters. On PostgreSQL the choice is a materialized CTE locking its rows FOR UPDATE SKIP
    LOCKED: as `id IN (subquery)` the planner may join the subquery into the UPDATE and re-check it row by row
    while other workers update those rows (measured: one claim ran for minutes, holding the rows others marked
    sent)."""
    if db.dialect == "postgresql":
        columns = ", ".join(f"{table}.{c.strip()}" for c in returning.split(",")) if returning != "*" else f"{table}.*"
        return (f"WITH picked AS MATERIALIZED ({pick} FOR UPDATE SKIP LOCKED) UPDATE {table} SET {assign}"
                f" FROM picked WHERE {table}.id = picked.id RETURNING {columns}", (*pick_params, *assign_params))
    return (f"UPDATE {table} SET {assign} WHERE id IN ({pick}) RETURNING {returning}",
            (*assign_params, *pick_params))


def claimable(alias: str = "") -> str:
    """SQL: the row is free, or its lease ran out while another worker held it (parameters: worker id, now).
    A worker never takes back its own lapsed row: it is still working on it (the app clock may have jumped)."""
    prefix = f"{alias}." if alias else ""
    return (f"({prefix}claimed_by IS NULL OR ({prefix}claimed_by <> ? AND {prefix}lease_until <= ?)"
            f" OR {prefix}lease_until IS NULL)")


class ClaimQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def extend(self, worker: str, until: datetime) -> dict[str, list[int]]:
        """The worker is alive: every row it holds keeps its claim until `until` (never shortened: a conditional
        renewal may have landed first). The ids of the rows it holds, per table."""
        held: dict[str, list[int]] = {}
        async with self.db.transaction(serialized=False):
            for table in CLAIMED_TABLES:
                renew = (f"UPDATE {table} SET lease_until = CASE WHEN lease_until > ? THEN lease_until ELSE ? END"
                         " WHERE claimed_by = ?")
                params = (to_iso(until), to_iso(until), worker)
                if table in UNTRACKED_TABLES:  # keyed otherwise, and not followed row by row in the worker
                    await self.db.execute(renew, params)
                    held[table] = []
                else:
                    held[table] = [int(row[0]) for row in await self.db.fetchall(f"{renew} RETURNING id", params)]
        return held

    async def hold(self, table: str, row_id: int, worker: str, until: datetime) -> bool:
        """Whether `worker` still holds the row, its lease renewed to at least `until` if so (never shortened).
        False when its lease ran out and another worker claimed it, or it is finished."""
        return await self.db.execute(
            f"UPDATE {table} SET lease_until = CASE WHEN lease_until > ? THEN lease_until ELSE ? END"
            " WHERE id = ? AND claimed_by = ?", (to_iso(until), to_iso(until), row_id, worker)) == 1

    async def release(self, worker: str) -> int:
        """What the worker held in a previous life (its process died mid-work) is free again: outbox rows and live
        copies. (Its scheduled rows are resumed by the scheduler, which counts their runs.)"""
        freed = 0
        for table in ("outbox", "live_copies"):
            freed += await self.db.execute(
                f"UPDATE {table} SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?", (worker,))
        return freed

    async def present(self, worker: str, until: datetime, now: datetime) -> int:
        """The worker is alive until `until` (unless it says so again); how many workers are alive at `now`, it
        included. Workers gone for a day are forgotten."""
        async with self.db.transaction(serialized=False):
            await self.db.execute(
                "INSERT INTO workers_alive (worker, seen_until) VALUES (?, ?)"
                " ON CONFLICT (worker) DO UPDATE SET seen_until = excluded.seen_until", (worker, to_iso(until)))
            await self.db.execute("DELETE FROM workers_alive WHERE seen_until < ?",
                                  (to_iso(now - timedelta(days=1)),))
            return int(await self.db.fetchval("SELECT COUNT(*) FROM workers_alive WHERE seen_until > ?",
                                              (to_iso(now),)))

    async def absent(self, worker: str) -> None:
        """The worker stops: the others stop counting it at once."""
        await self.db.execute("DELETE FROM workers_alive WHERE worker = ?", (worker,))

    async def held(self, worker: str) -> int:
        """How many rows the worker holds now (tests, the bench)."""
        total = 0
        for table in CLAIMED_TABLES:
            total += int(await self.db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE claimed_by = ?", (worker,)))
        return total


class Statistics:
    """PostgreSQL plans a claim from its table's statistics. Right after thousands of rows were added (a fan-out)
    they still say "a few rows", and the planner then reads every pending row and sorts them for each claim instead
    of walking the claim index to its limit (measured: 120-280 ms per claim at 20,000 queued, 0.1 ms after an
    ANALYZE; autovacuum analyzes only a minute or so later). So the table is analyzed after every `every` rows
    added. SQLite's plans do not depend on statistics here: nothing to do."""

    def __init__(self, db: Database, table: str, every: int = 1000) -> None:
        assert table in CLAIMED_TABLES
        self.db, self.table, self.every = db, table, every
        self._added = 0

    async def added(self, count: int) -> None:
        if self.db.dialect != "postgresql":
            return
        self._added += count
        if self._added >= self.every:
            self._added = 0
            await self.db.execute(f"ANALYZE {self.table}")
