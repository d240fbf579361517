"""Queries of the scheduler's rows and of cron jobs' last runs (tables `scheduled` and `job_runs`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.claims import Statistics, claim_sql, claimable
from storage.db import Database, Row, to_iso

__all__ = ["NewScheduled", "ScheduledQueries", "ScheduledRow"]


@dataclass(frozen=True)
class ScheduledRow:
    """A pending row as the scheduler runs it."""

    id: int
    task: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    person_id: int | None

    @classmethod
    def from_row(cls, row: Row) -> ScheduledRow:
        return cls(row["id"], row["task"], row["key"], datetime.fromisoformat(row["due_at"]),
                   json.loads(row["payload"]), row["person_id"])


@dataclass(frozen=True)
class NewScheduled:
    """A row to insert; `created_at` is what the row tells about when it was made."""

    task: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    person_id: int | None
    created_at: datetime


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern matching keys that start with `prefix` literally (ESCAPE '\\')."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class ScheduledQueries:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.statistics = Statistics(db, "scheduled")

    # ------------------------------------------------------------------------------- scheduled rows

    async def plan(self, rows: Sequence[NewScheduled]) -> None:
        """Insert rows in one transaction; a pending row with the same key is replaced (one per key)."""
        async with self.db.transaction():
            await self.db.executemany("UPDATE scheduled SET status = 'replaced' WHERE key = ? AND status = 'pending'",
                                      [(row.key,) for row in rows])
            await self.db.executemany(
                "INSERT INTO scheduled (task, key, due_at, payload, person_id, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                [(r.task, r.key, to_iso(r.due_at), json.dumps(r.payload), r.person_id, to_iso(r.created_at))
                 for r in rows],
            )
        await self.statistics.added(len(rows))

    async def cancel(self, key_prefix: str, now: datetime) -> int:
        """Cancel the pending rows whose key starts with `key_prefix`; how many."""
        return await self.db.execute(
            "UPDATE scheduled SET status = 'cancelled', done_at = ?"
            " WHERE status = 'pending' AND key LIKE ? ESCAPE '\\'",
            (to_iso(now), _like_prefix(key_prefix)),
        )

    async def of_person(self, person_id: int) -> list[dict[str, Any]]:
        """A person's rows (id, task, due_at, status), for their data export."""
        rows = await self.db.fetchall(
            "SELECT id, task, due_at, status FROM scheduled WHERE person_id = ? ORDER BY id", (person_id,))
        return [dict(r) for r in rows]

    async def give_up_lapsed(self, until: datetime, now: datetime, worker: str, max_runs: int) -> int:
        """Rows another worker left running whose lease ran out (it died inside their task) after being started
        `max_runs` times are given up ('interrupted'): they are what kills the workers. How many."""
        return await self.db.execute(
            f"UPDATE scheduled SET status = 'interrupted', claimed_by = NULL, lease_until = NULL"
            f" WHERE status = 'running' AND runs >= ? AND due_at <= ? AND {claimable()}",
            (max_runs, to_iso(until), worker, to_iso(now)))

    async def claim_due(self, until: datetime, now: datetime, worker: str, lease_until: datetime, limit: int,
                        max_runs: int) -> list[ScheduledRow]:
        """Claim for `worker` the rows due at or before `until`, earliest first: pending -> running, counting the
        run. A row another worker left running whose lease ran out (that worker died inside its task) is claimed
        again, unless it was started `max_runs` times already (`give_up_lapsed` gives those up). One statement,
        atomic alone."""
        sql, params = claim_sql(
            self.db, "scheduled", "status = 'running', runs = runs + 1, claimed_by = ?, lease_until = ?",
            (worker, to_iso(lease_until)),
            "SELECT id FROM scheduled WHERE due_at <= ? AND (status = 'pending'"
            f" OR (status = 'running' AND runs < ? AND {claimable()})) ORDER BY due_at, id LIMIT ?",
            (to_iso(until), max_runs, worker, to_iso(now), limit))
        rows = await self.db.fetchall(sql, params)
        return [ScheduledRow.from_row(row) for row in sorted(rows, key=lambda r: (r["due_at"], r["id"]))]

    async def unclaim(self, row_id: int, worker: str) -> None:
        """running -> pending, the run not counted: the task was cut short by a locked database or a stop, not a
        crash. Only while `worker` holds it: a row another worker took over after a lapse is that worker's."""
        await self.db.execute(
            "UPDATE scheduled SET status = 'pending', runs = runs - 1, claimed_by = NULL, lease_until = NULL"
            " WHERE id = ? AND status = 'running' AND claimed_by = ?",
            (row_id, worker),
        )

    async def finish(self, row_id: int, status: str, now: datetime, late_seconds: int) -> None:
        await self.db.execute(
            "UPDATE scheduled SET status = ?, done_at = ?, late_seconds = ?, claimed_by = NULL, lease_until = NULL"
            " WHERE id = ?",
            (status, to_iso(now), late_seconds, row_id),
        )

    async def earliest_pending(self, worker: str) -> tuple[datetime | None, datetime | None]:
        """When a row may be claimed next: the earliest pending row's time (the bot's clock), and the earliest end
        of the lease of a row another worker is running (lease time: it is taken over then if that worker died)."""
        # Two subqueries, one round trip: each MIN is read off the index on (status, due_at) (or the few running
        # rows), where one MIN(CASE ...) over both would read every pending row on every wake-up.
        row = await self.db.fetchone(
            "SELECT (SELECT MIN(due_at) FROM scheduled WHERE status = 'pending'),"
            " (SELECT MIN(lease_until) FROM scheduled"
            "  WHERE status = 'running' AND claimed_by <> ? AND lease_until IS NOT NULL)",
            (worker,))
        if row is None:
            return None, None
        return _instant(row[0]), _instant(row[1])

    async def give_up_running(self, max_runs: int, worker: str) -> int:
        """This worker's rows left 'running' by its previous life (and rows from before workers had ids) that were
        started `max_runs` times become 'interrupted'; how many."""
        return await self.db.execute(
            "UPDATE scheduled SET status = 'interrupted', claimed_by = NULL, lease_until = NULL"
            " WHERE status = 'running' AND runs >= ? AND (claimed_by = ? OR claimed_by IS NULL)",
            (max_runs, worker))

    async def resume_running(self, worker: str) -> int:
        """This worker's rows left 'running' (stopped inside their task) are pending again; how many. Other
        workers' running rows are theirs until their lease runs out (claim_due)."""
        return await self.db.execute(
            "UPDATE scheduled SET status = 'pending', claimed_by = NULL, lease_until = NULL"
            " WHERE status = 'running' AND (claimed_by = ? OR claimed_by IS NULL)", (worker,))

    # ------------------------------------------------------------------------------------ job runs

    async def job_runs(self) -> dict[str, datetime]:
        """Each cron job's last recorded fire."""
        rows = await self.db.fetchall("SELECT job, last_run_at FROM job_runs")
        return {row["job"]: datetime.fromisoformat(row["last_run_at"]) for row in rows}

    async def record_job_run(self, job: str, fired_at: datetime) -> None:
        # Never moved back: with several processes a slow fire may end after a later one.
        await self.db.execute(
            "INSERT INTO job_runs (job, last_run_at) VALUES (?, ?)"
            " ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at"
            " WHERE job_runs.last_run_at < excluded.last_run_at",
            (job, to_iso(fired_at)),
        )

    async def claim_fire(self, job: str, fire_at: datetime, worker: str, lease_until: datetime,
                         now: datetime) -> bool:
        """Whether `worker` runs this fire of `job`: the first to insert its row does; the row's own worker takes
        it back (a restart after a crash inside the fire), another worker only once its lease ran out unfinished."""
        row = await self.db.fetchone(
            "INSERT INTO cron_fires (job, fire_at, claimed_by, lease_until, done) VALUES (?, ?, ?, ?, 0)"
            " ON CONFLICT (job, fire_at) DO UPDATE SET claimed_by = excluded.claimed_by,"
            " lease_until = excluded.lease_until WHERE cron_fires.done = 0"
            " AND (cron_fires.claimed_by = excluded.claimed_by OR cron_fires.claimed_by IS NULL"
            " OR cron_fires.lease_until <= ?) RETURNING job",
            (job, to_iso(fire_at), worker, to_iso(lease_until), to_iso(now)))
        return row is not None

    async def fire_done(self, job: str, fire_at: datetime) -> bool:
        """Whether this fire of `job` ran to its end (in any process)."""
        return bool(await self.db.fetchval("SELECT done FROM cron_fires WHERE job = ? AND fire_at = ?",
                                           (job, to_iso(fire_at))))

    async def finish_fire(self, job: str, fire_at: datetime, forget_before: datetime) -> None:
        """The fire ran; fires of the job older than `forget_before` (past any grace: none runs again) go."""
        async with self.db.transaction(serialized=False):
            await self.db.execute(
                "UPDATE cron_fires SET done = 1, claimed_by = NULL, lease_until = NULL WHERE job = ? AND fire_at = ?",
                (job, to_iso(fire_at)))
            await self.db.execute("DELETE FROM cron_fires WHERE job = ? AND fire_at < ? AND done = 1",
                                  (job, to_iso(forget_before)))

    async def note_job_planned(self, job: str, now: datetime) -> None:
        """A job planned from now is recorded, unless it has a run already."""
        await self.db.execute("INSERT INTO job_runs (job, last_run_at) VALUES (?, ?)"
                              " ON CONFLICT (job) DO NOTHING", (job, to_iso(now)))
