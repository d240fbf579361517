"""Rows first, then wake-ups: reminders that survive restarts and are never sent twice.

Every scheduled thing is a row in `scheduled`. APScheduler 3.11 holds a single wake-up job at the earliest
moment anything is due (a row, or the next fire of a cron job declared by a cog or by config); the
database decides what is due. A row is claimed (pending -> running) before its task runs, so two wake-ups
never run it at once; a row found overdue after a restart runs late, marked late, inside the grace time,
and is dropped with a record (status 'dropped', late_seconds) after it. Cron fire times come from
APScheduler's CronTrigger in the community's zone, so they follow wall-clock time across daylight-saving
changes. With several processes on one database every process plans the same fires; each fire is claimed by
inserting its row in `cron_fires` (job, fire time), and only the process that claimed it runs it; the others
take it over only if its lease runs out before it ends (that process died).

A task stopped half-way (the process killed, or a stop that did not wait for it) is run again on the next
start, and re-running is safe by construction: its context keys every message it queues by (row, recipient),
so a fan-out to 2,000 people continues where it stopped and nobody gets the message twice
(bot/context.py). A row that was started MAX_RUNS times without finishing is given up ('interrupted').
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.commands import Cog, JobSpec, PublicPost, Reply, TaskSpec
from storage.db import DatabaseError, is_busy, patiently, probing
from storage.outbox import iso
from storage.scheduled import NewScheduled, ScheduledQueries, ScheduledRow

if TYPE_CHECKING:
    from bot.app import Application
    from bot.context import ServiceContext

log = logging.getLogger(__name__)
WAKE_JOB = "wake"
CLAIM_BATCH = 16  # rows claimed at once by one worker
POLL_SECONDS = 5.0  # look for due rows at least this often: other processes schedule rows too, and may die
LATE_AFTER_SECONDS = 60  # later than this counts as "late" and a reminder says so
MAX_RUNS = 3  # a row that kept killing the process is not started again
BUSY_RETRY_SECONDS = 2.0  # while another process holds the database locked, due rows are looked at this often
STOP_WAIT_SECONDS = 10.0  # a stop lets a running task finish for this long, then leaves it to the next start
# Due rows of different people run side by side, this many at once: each task waits on the database most of the
# time, so one at a time left the machine idle between statements and lateness grew behind a burst (issue 26).
ROWS_AT_ONCE = 8

DropHandler = Callable[["ServiceContext", "Due"], Awaitable[None]]


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
        return self.late_seconds > LATE_AFTER_SECONDS


@dataclass(frozen=True)
class Planned:
    """One row for `schedule_many` (many rows in one transaction: a recurring event's reminders)."""

    task: str
    at: datetime
    key: str
    payload: dict[str, Any]
    person_id: int | None = None
    private: bool = False  # created_at is stored as the due time: the row does not tell when it was made


@dataclass
class CronJob:
    """A recurring job: a cog's `@cog.job(cron=...)` or a config `[[scheduler.jobs]]` entry."""

    name: str
    trigger: CronTrigger
    run: Callable[[ServiceContext], Awaitable[None]]
    next_at: datetime | None = None
    cog: Cog | None = None  # the cog it belongs to (None: config's own jobs)
    public: PublicPost | None = None  # what a fire posts publicly (its `at` unused), for the calendar


def _waves(rows: list[ScheduledRow], at_once: int) -> Iterator[list[ScheduledRow]]:
    """`rows` (in due order) cut into groups that may run at once: at most `at_once`, each of a different person,
    a row of no one person (an event's fan-out) alone. Groups run one after another, so order per person holds."""
    wave: list[ScheduledRow] = []
    for row in rows:
        if wave and (len(wave) >= at_once or row.person_id is None or wave[0].person_id is None
                     or any(other.person_id == row.person_id for other in wave)):
            yield wave
            wave = []
        wave.append(row)
    if wave:
        yield wave


class Scheduler:
    def __init__(self, app: Application, tasks: dict[str, TaskSpec], jobs: list[JobSpec]) -> None:
        self.app = app
        self.rows = ScheduledQueries(app.db)
        self.tasks = tasks
        self.jobs = jobs
        self.grace = timedelta(seconds=app.config.scheduler.grace_seconds)
        self.aps = AsyncIOScheduler(timezone=app.config.tz)
        self.cron: list[CronJob] = []
        self._dropped: dict[str, DropHandler] = {}
        self._lock = asyncio.Lock()
        self._running = False
        self._stopping = False
        self._busy: set[asyncio.Task[Any]] = set()  # run_due/advance calls under way (a stop waits for them)
        self._elsewhere: dict[tuple[str, datetime], CronJob] = {}  # fires another process claimed, until they end

    # ---------------------------------------------------------------------------------------- rows

    async def schedule(self, task: str, at: datetime, *, key: str, payload: dict[str, Any],
                       person_id: int | None = None, private: bool = False) -> None:
        """One pending row per key: scheduling a key again moves it (an edited event's reminder)."""
        await self.schedule_many([Planned(task, at, key, payload, person_id, private)])

    async def schedule_many(self, planned: Iterable[Planned]) -> int:
        """Insert many rows in one transaction, then arm once."""
        items = list(planned)
        for item in items:
            if item.task not in self.tasks:
                raise KeyError(f"no task {item.task!r} declared by a cog")
        created = self.app.clock.now()
        await self.rows.plan([NewScheduled(i.task, i.key, i.at, i.payload, i.person_id, i.at if i.private else created)
                              for i in items])
        await self._arm()
        return len(items)

    async def cancel(self, key_prefix: str) -> int:
        count = await self.rows.cancel(key_prefix, self.app.clock.now())
        await self._arm()
        return count

    async def of_person(self, person_id: int) -> list[dict[str, Any]]:
        """A person's scheduled rows (for /mydata)."""
        return await self.rows.of_person(person_id)

    def on_dropped(self, task: str, handler: DropHandler) -> None:
        """Called for a row of `task` dropped after the grace time (a repeating reminder plans its next)."""
        self._dropped[task] = handler

    async def run_due(self) -> int:
        """Run every row and cron job that is due now; returns how many rows ran."""
        async with self._tracked(), self._lock:
            ran = 0
            try:
                now = self.app.clock.now()
                while (job := self._next_cron(now)) is not None:
                    assert job.next_at is not None
                    ran += await self._run_rows(job.next_at)  # rows due before the fire keep their order
                    await self._fire(job, self.app.clock.now(), coalesce=True)
                if self._elsewhere:
                    await self._take_over_fires(self.app.clock.now())
                # Rows falling due while these run are taken in this wake-up too (no new wake-up to wait for).
                ran += await self._run_rows(None, at_once=ROWS_AT_ONCE)
                await self._arm()
            except DatabaseError as error:
                if not is_busy(error):
                    raise
                # Another process holds the database: what is due stays pending and is looked at again soon.
                log.warning("scheduler: the database is locked; running what is due again shortly")
                self._arm_at(self.app.clock.now() + timedelta(seconds=BUSY_RETRY_SECONDS))
            return ran

    async def _run_rows(self, until: datetime | None, *, at_once: int = 1) -> int:
        """Run the rows due by `until` (None: by the clock at each batch), in due order; `at_once` > 1 runs
        rows of different people side by side (a person's own rows, and rows of no one person, one at a time,
        in order). `advance` runs one at a time: tests and the console see a fixed order."""
        ran = 0
        worker = self.app.worker
        with probing():
            given_up = await self.rows.give_up_lapsed(until or self.app.clock.now(), worker.now(), worker.id,
                                                      MAX_RUNS)
        if given_up:
            log.warning("%s scheduled rows given up: their workers died in them %s times", given_up, MAX_RUNS)
        for _batch in range(10_000):  # a task that keeps scheduling itself into the past cannot hang us
            # Claimed a few at a time: other workers (processes) run the next ones meanwhile. Probing: while
            # another process holds the database, give up at once and look again soon.
            lease_until = worker.lease_until()
            with probing():
                rows = await self.rows.claim_due(until or self.app.clock.now(), worker.now(), worker.id,
                                                 lease_until, CLAIM_BATCH, MAX_RUNS)
            worker.took("scheduled", (row.id for row in rows), lease_until)
            if not rows:
                break
            started = 0
            try:
                for wave in _waves(rows, at_once):
                    if self._stopping:
                        break
                    started += len(wave)
                    ran += await self._run_wave(wave)
            finally:
                # Not started (a stop, a locked database): free for any worker, the run not counted.
                await self._unclaim([row.id for row in rows[started:]])
            if self._stopping:
                return ran  # the rest stays pending for the next start
        return ran

    async def _run_wave(self, wave: list[ScheduledRow]) -> int:
        now = self.app.clock.now()
        if len(wave) == 1:
            return await self._run_row(wave[0], now)
        results = await asyncio.gather(*(self._run_row(row, now) for row in wave), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):  # a locked database (the row is pending again): run_due decides
                raise result
        return sum(r for r in results if isinstance(r, int))

    async def _run_row(self, row: ScheduledRow, now: datetime) -> int:
        # The row is claimed (running, this worker's): no other wake-up or worker runs it meanwhile. Left
        # 'running' by a crash, it runs again on this worker's next start or, after its lease, on another worker,
        # and its context's run key makes that second run queue only what the first did not.
        # The claim's lease may have run out while the row waited (this process stalled, earlier rows of the batch
        # were slow): another worker may run it now, or have run it. Usually a local check (bot/workers.py).
        try:
            if not await self.app.worker.keep("scheduled", row.id):
                return 0
            return await self._run_held(row, now)
        finally:
            self.app.worker.let_go("scheduled", row.id)

    async def _run_held(self, row: ScheduledRow, now: datetime) -> int:
        due_at = row.due_at
        late = max(0, int((now - due_at).total_seconds()))
        due = Due(row.id, row.key, due_at, row.payload, row.person_id, late)
        from bot.context import ServiceContext

        if now - due_at > self.grace:
            log.warning("scheduled %s (%s) dropped: %s s past its time", row.id, row.task, late)
            await self._finish(row.id, "dropped", late)
            handler = self._dropped.get(row.task)
            if handler is not None:
                try:
                    await handler(ServiceContext(self.app, run=f"s{row.id}"), due)
                except Exception:
                    log.exception("drop handler of %s (row %s) failed", row.task, row.id)
            return 0
        spec = self.tasks.get(row.task)
        if spec is None:
            await self._finish(row.id, "failed", late)
            return 0
        try:
            await spec.handler(ServiceContext(self.app, spec.cog, run=f"s{row.id}"), due)
        except Exception as error:
            if is_busy(error):  # not the task's fault: it runs again once the lock is gone (resumable, deduped)
                await self._unclaim([row.id])
                raise
            log.exception("scheduled task %s (row %s) failed", row.task, row.id)
            await self._finish(row.id, "failed", late)
            return 0
        await self._finish(row.id, "done", late)
        return 1

    async def _unclaim(self, row_ids: list[int]) -> None:
        worker = self.app.worker
        for row_id in row_ids:
            worker.let_go("scheduled", row_id)
            await patiently(lambda row_id=row_id: self.rows.unclaim(row_id, worker.id))  # type: ignore[misc]

    async def _finish(self, row_id: int, status: str, late: int) -> None:
        # Patiently: a finished task not recorded as finished would run again.
        await patiently(lambda: self.rows.finish(row_id, status, self.app.clock.now(), max(late, 0)))

    async def _earliest_row(self) -> datetime | None:
        return (await self.rows.earliest_pending(self.app.worker.id))[0]

    async def _arm(self) -> None:
        """One APScheduler wake-up at the earliest due row or cron fire, in real time."""
        if not self._running:
            return
        row_at, lapse = await self.rows.earliest_pending(self.app.worker.id)
        moments = [m for m in [row_at, *(j.next_at for j in self.cron)] if m is not None]
        self._arm_at(min(moments) if moments else None, lapse)

    def _arm_at(self, moment: datetime | None, lapse: datetime | None = None) -> None:
        """Wake at `moment` (the bot's clock) or at `lapse` (lease time: another worker's lease ends)."""
        if not self._running:
            return
        # At least every POLL_SECONDS: a row scheduled by another process, or left by one that died, runs too.
        run_at = datetime.now(UTC) + timedelta(seconds=POLL_SECONDS)
        if moment is not None:
            run_at = min(run_at, self.app.clock.to_real(moment))
        if lapse is not None:
            run_at = min(run_at, datetime.now(UTC) + (lapse - self.app.worker.now()))
        # misfire_grace_time=None: a late wake-up still runs; the rows decide what is too late.
        self.aps.add_job(self._wake, DateTrigger(run_at), id=WAKE_JOB, replace_existing=True,
                         misfire_grace_time=None, coalesce=True, max_instances=10)

    async def _wake(self) -> None:
        # run_due goes in a task of our own: APScheduler's shutdown cancels the jobs it runs, and a stop must
        # be able to let a fan-out under way finish first.
        task = asyncio.create_task(self.run_due(), name="scheduler")
        self._busy.add(task)
        task.add_done_callback(self._woken)

    def _woken(self, task: asyncio.Task[Any]) -> None:
        self._busy.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduler wake-up failed", exc_info=task.exception())

    # ---------------------------------------------------------------------------------------- cron

    def trigger_for(self, job: JobSpec) -> CronTrigger | None:
        expression = job.cron
        if job.config_key:  # a key of the cog's own settings table
            expression = self.app.config.section(job.cog.section).get(job.config_key, expression)
        if not expression:
            return None
        return CronTrigger.from_crontab(expression, timezone=self.app.config.tz)

    def _cron_jobs(self) -> list[CronJob]:
        found: list[CronJob] = []
        for job in self.jobs:
            trigger = self.trigger_for(job)
            if trigger is not None:
                public = None if job.public is None else PublicPost(
                    datetime.min.replace(tzinfo=UTC), job.public, tuple(job.destinations(self.app.config)),
                    job.cog.name)
                found.append(CronJob(f"{job.cog.name}.{job.name}", trigger,
                                     job.handler, cog=job.cog, public=public))
        for entry in self.app.config.scheduler.jobs:
            trigger = CronTrigger.from_crontab(entry["cron"], timezone=self.app.config.tz)

            async def post(ctx: ServiceContext, entry: Any = entry) -> None:
                # Config texts are the board's own words, posted as written.
                await ctx.post(entry["destination"], Reply(entry["text"]))

            found.append(CronJob(f"config.{entry['name']}", trigger, post, public=PublicPost(
                datetime.min.replace(tzinfo=UTC), entry["text"], (entry["destination"],), "config")))
        return found

    def public_fires(self, since: datetime, until: datetime, limit: int = 200) -> list[PublicPost]:
        """The fires in [since, until) of cron jobs that post publicly, in time order (the calendar)."""
        found: list[PublicPost] = []
        for job in self.cron:
            if job.public is None:
                continue
            moment = since - timedelta(microseconds=1)
            for _fire in range(limit):
                nxt = self._fire_after(job.trigger, moment)
                if nxt is None or nxt >= until:
                    break
                found.append(dataclasses.replace(job.public, at=nxt))
                moment = nxt
        return sorted(found, key=lambda post: post.at)[:limit]

    def _next_cron(self, now: datetime) -> CronJob | None:
        due = [j for j in self.cron if j.next_at is not None and j.next_at <= now]
        return min(due, key=lambda j: j.next_at or now) if due else None

    @staticmethod
    def _fire_after(trigger: CronTrigger, moment: datetime) -> datetime | None:
        nxt = trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
        return None if nxt is None else nxt.astimezone(UTC)

    async def _fire(self, job: CronJob, now: datetime, *, coalesce: bool) -> None:
        """Run one due fire of `job` (late inside the grace time, skipped after it), then plan the next."""
        assert job.next_at is not None
        fire_at = job.next_at
        # coalesce: after a restart, several missed fires run once; advance() replays each one.
        job.next_at = self._fire_after(job.trigger, now if coalesce else fire_at)
        if now - fire_at > self.grace:
            log.warning("job %s skipped: %s s past its time", job.name, int((now - fire_at).total_seconds()))
        elif not await self._claim_fire(job, fire_at, now):
            # Every process plans the same fires: the one that claims this fire runs it, the others leave it (and
            # its record of the run) to that one, and take it over only if that one dies before it ends.
            log.debug("job %s: this fire is run by another process", job.name)
            self._elsewhere[(job.name, fire_at)] = job
            return
        else:
            await self._run_fire(job, fire_at, now)
        await self.rows.record_job_run(job.name, fire_at)

    async def _claim_fire(self, job: CronJob, fire_at: datetime, now: datetime) -> bool:
        worker = self.app.worker
        return bool(await patiently(
            lambda: self.rows.claim_fire(job.name, fire_at, worker.id, worker.lease_until(), worker.now())))

    async def _run_fire(self, job: CronJob, fire_at: datetime, now: datetime) -> None:
        from bot.context import ServiceContext

        try:
            # Killed half-way, the fire is repeated on the next start (job_runs is written after it):
            # keyed by its fire time, the repeat queues only what the first did not.
            await job.run(ServiceContext(self.app, job.cog, run=f"j:{job.name}@{iso(fire_at)}"))
        except Exception:
            log.exception("job %s failed", job.name)
        await patiently(lambda: self.rows.finish_fire(job.name, fire_at, now - 2 * self.grace))

    async def _take_over_fires(self, now: datetime) -> None:
        """Fires another process claimed: run here the ones whose process died before finishing them (their lease
        ran out), inside the grace time; forget the ones finished or too late."""
        for (name, fire_at), job in list(self._elsewhere.items()):
            if now - fire_at > self.grace or await self.rows.fire_done(name, fire_at):
                del self._elsewhere[(name, fire_at)]
            elif await self._claim_fire(job, fire_at, now):
                del self._elsewhere[(name, fire_at)]
                log.warning("job %s: a fire left unfinished by another process runs here", name)
                await self._run_fire(job, fire_at, now)
                await self.rows.record_job_run(name, fire_at)

    async def _plan_cron(self) -> None:
        """Each job's next fire: after its last recorded run (a restart catches up once), else from now."""
        now = self.app.clock.now()
        runs = await self.rows.job_runs()
        self.cron = self._cron_jobs()
        for job in self.cron:
            last = runs.get(job.name)
            start = last if last is not None else now
            job.next_at = self._fire_after(job.trigger, start)
            if last is None:
                # Planned from now: recorded, so a first fire cut short by a crash is caught up like any other.
                await self.rows.note_job_planned(job.name, now)

    # ------------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        # A row left 'running' was stopped inside its task: it runs again (resumable by construction), unless
        # it was started MAX_RUNS times already, which means it is what kills the process.
        given_up = await self.rows.give_up_running(MAX_RUNS, self.app.worker.id)
        if given_up:
            log.warning("%s scheduled rows given up after %s interrupted runs", given_up, MAX_RUNS)
        resumed = await self.rows.resume_running(self.app.worker.id)
        if resumed:
            log.info("%s scheduled rows interrupted last time run again", resumed)
        await self._plan_cron()
        self._stopping = False
        self.aps.start()
        self._running = True
        await self.run_due()

    async def stop(self, wait: float | None = None) -> None:
        """No new rows start; a task under way may finish for `wait` s, then it is cancelled and its row stays
        'running', so the next start continues it."""
        self._running = False
        self._stopping = True
        if self.aps.running:
            self.aps.shutdown(wait=False)
        busy = [task for task in self._busy if task is not asyncio.current_task()]
        if not busy:
            return
        wait = STOP_WAIT_SECONDS if wait is None else wait
        _done, unfinished = await asyncio.wait(busy, timeout=wait)
        if unfinished:
            log.warning("scheduler: a task still running after %s s is left to the next start", wait)
            for task in unfinished:
                task.cancel()
            await asyncio.wait(unfinished)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(task)
        try:
            yield
        finally:
            self._busy.discard(task)

    async def advance(self, seconds: float) -> None:
        """Let time pass (console `:wait`, tests): every row and cron fire in between runs at its own moment.

        The clock is pinned to each moment in turn, so a weekly reminder over three weeks fires three times
        and each handler sees the time it was due.
        """
        target = self.app.clock.now() + timedelta(seconds=seconds)
        async with self._tracked(), self._lock:
            for _step in range(100_000):
                row_at = await self._earliest_row()
                job = min((j for j in self.cron if j.next_at is not None), key=lambda j: j.next_at or target,
                          default=None)
                moments = [m for m in (row_at, job.next_at if job else None) if m is not None]
                if not moments or min(moments) > target:
                    break
                moment = min(moments)
                if moment > self.app.clock.now():
                    self.app.clock.pin(moment)
                if job is not None and job.next_at == moment and (row_at is None or moment < row_at):
                    await self._fire(job, moment, coalesce=False)
                else:
                    await self._run_rows(moment)
            self.app.clock.pin(target)
        await self.run_due()
