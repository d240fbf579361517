"""Rows first, then wake-ups: reminders that survive restarts and are never sent twice.

Every scheduled thing is a row in `scheduled`. APScheduler 3.11 holds one wake-up (the earliest due row)
and the cogs' cron jobs; the database decides what is due. A row is claimed (pending -> running) before its
task runs, so it runs at most once; a row found overdue after a restart runs late, marked late, inside the
grace time, and is dropped with a record after it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.commands import JobSpec, TaskSpec
from storage.outbox import iso

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)
WAKE_JOB = "wake"


@dataclass(frozen=True)
class Due:
    """What a task handler receives about its row."""

    id: int
    key: str
    due_at: datetime
    payload: dict[str, Any]
    person_id: int | None
    late_seconds: int

    @property
    def late(self) -> bool:
        return self.late_seconds > 60


class Scheduler:
    def __init__(self, app: Application, tasks: dict[str, TaskSpec], jobs: list[JobSpec]) -> None:
        self.app = app
        self.tasks = tasks
        self.jobs = jobs
        self.grace = timedelta(seconds=app.config.scheduler.grace_seconds)
        self.aps = AsyncIOScheduler(timezone=app.config.tz)
        self._triggers: dict[str, CronTrigger] = {}
        self._running = False

    # ---------------------------------------------------------------------------------------- rows

    async def schedule(self, task: str, at: datetime, *, key: str, payload: dict[str, Any],
                       person_id: int | None = None) -> None:
        """One pending row per key: scheduling a key again moves it (an edited event's reminder)."""
        if task not in self.tasks:
            raise KeyError(f"no task {task!r} declared by a cog")
        db = self.app.db
        async with db.transaction():
            await db.execute("UPDATE scheduled SET status = 'replaced' WHERE key = ? AND status = 'pending'",
                             (key,))
            await db.execute(
                "INSERT INTO scheduled (task, key, due_at, payload, person_id, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (task, key, iso(at), json.dumps(payload), person_id, iso(self.app.clock.now())),
            )
        await self._arm()

    async def cancel(self, key_prefix: str) -> int:
        count = await self.app.db.execute(
            "UPDATE scheduled SET status = 'cancelled', done_at = ? WHERE status = 'pending' AND key LIKE ?",
            (iso(self.app.clock.now()), key_prefix.replace("%", "") + "%"),
        )
        await self._arm()
        return count

    async def pending(self, key_prefix: str = "") -> list[Any]:
        return await self.app.db.fetchall(
            "SELECT * FROM scheduled WHERE status = 'pending' AND key LIKE ? ORDER BY due_at",
            (key_prefix + "%",),
        )

    async def run_due(self) -> int:
        """Run every row that is due now; returns how many ran."""
        now = self.app.clock.now()
        rows = await self.app.db.fetchall(
            "SELECT * FROM scheduled WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT 500",
            (iso(now),),
        )
        ran = 0
        for row in rows:
            ran += await self._run_row(row, now)
        if len(rows) == 500:
            ran += await self.run_due()
        await self._arm()
        return ran

    async def _run_row(self, row: Any, now: datetime) -> int:
        # Claim the row first: whatever happens next, it never runs twice.
        claimed = await self.app.db.execute(
            "UPDATE scheduled SET status = 'running' WHERE id = ? AND status = 'pending'", (row["id"],)
        )
        if not claimed:
            return 0
        due_at = datetime.fromisoformat(row["due_at"])
        late = int((now - due_at).total_seconds())
        if now - due_at > self.grace:
            log.warning("scheduled %s (%s) dropped: %s s past its time", row["id"], row["task"], late)
            await self._finish(row["id"], "dropped", late)
            return 0
        spec = self.tasks.get(row["task"])
        if spec is None:
            await self._finish(row["id"], "failed", late)
            return 0
        due = Due(row["id"], row["key"], due_at, json.loads(row["payload"]), row["person_id"], late)
        try:
            from bot.context import ServiceContext

            await spec.handler(ServiceContext(self.app), due)
        except Exception:
            log.exception("scheduled task %s (row %s) failed", row["task"], row["id"])
            await self._finish(row["id"], "failed", late)
            return 0
        await self._finish(row["id"], "done", late)
        return 1

    async def _finish(self, row_id: int, status: str, late: int) -> None:
        await self.app.db.execute(
            "UPDATE scheduled SET status = ?, done_at = ?, late_seconds = ? WHERE id = ?",
            (status, iso(self.app.clock.now()), max(late, 0), row_id),
        )

    async def _arm(self) -> None:
        """One APScheduler wake-up at the earliest pending row, in real time."""
        if not self._running:
            return
        earliest = await self.app.db.fetchval("SELECT MIN(due_at) FROM scheduled WHERE status = 'pending'")
        if earliest is None:
            if self.aps.get_job(WAKE_JOB):
                self.aps.remove_job(WAKE_JOB)
            return
        run_at = self.app.clock.to_real(datetime.fromisoformat(earliest))
        self.aps.add_job(self.run_due, DateTrigger(run_at), id=WAKE_JOB, replace_existing=True,
                         misfire_grace_time=None, coalesce=True)

    # ---------------------------------------------------------------------------------------- cron

    def trigger_for(self, job: JobSpec) -> CronTrigger | None:
        expression = job.cron
        if job.config_key:
            expression = self.app.config.section(job.cog.name).get(job.config_key, expression)
        if not expression:
            return None
        return CronTrigger.from_crontab(expression, timezone=self.app.config.tz)

    async def _run_job(self, job: JobSpec) -> None:
        from bot.context import ServiceContext

        try:
            await job.handler(ServiceContext(self.app))
        except Exception:
            log.exception("job %s.%s failed", job.cog.name, job.name)
        await self.app.db.execute(
            "INSERT INTO job_runs (job, last_run_at) VALUES (?, ?)"
            " ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at",
            (f"{job.cog.name}.{job.name}", iso(self.app.clock.now())),
        )

    # ------------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        for job in self.jobs:
            trigger = self.trigger_for(job)
            if trigger is None:
                continue
            name = f"{job.cog.name}.{job.name}"
            self._triggers[name] = trigger
            # misfire_grace_time: APScheduler's default of 1 s silently drops a run after a busy moment.
            self.aps.add_job(self._run_job, trigger, args=[job], id=name, coalesce=True,
                             misfire_grace_time=int(self.grace.total_seconds()))
        self.aps.start()
        self._running = True
        await self.run_due()

    async def stop(self) -> None:
        self._running = False
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def advance(self, seconds: float) -> None:
        """Let time pass (console `:wait`, tests): cron jobs due in between run, then due rows."""
        before = self.app.clock.now()
        self.app.clock.advance(seconds)
        after = self.app.clock.now()
        fires: list[tuple[datetime, JobSpec]] = []
        for job in self.jobs:
            trigger = self.trigger_for(job)
            if trigger is None:
                continue
            moment = trigger.get_next_fire_time(None, before)
            while moment is not None and moment <= after:
                if moment > before:
                    fires.append((moment, job))
                moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
        for moment, job in sorted(fires, key=lambda pair: pair[0]):
            await self.run_due_until(moment)
            await self._run_job(job)
        await self.run_due()

    async def run_due_until(self, moment: datetime) -> None:
        """Due rows before a cron fire run first, so a day's events come out in order."""
        saved = self.app.clock.now()
        self.app.clock.pin(moment)
        try:
            await self.run_due()
        finally:
            self.app.clock.pin(saved)
