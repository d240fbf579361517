"""This process as one of several workers on one database (docs/operations.md, "Several processes").

A worker's id is stable across restarts of the same slot: the process holds an exclusive lock on a file of its
data directory (`workers/N.lock`, the first N free), and the id names the host, the data directory and N. So a
process that restarts after a crash takes back at once the rows it held before (they are retried, as a single
process always did), while the rows of a worker that died for good wait for their lease to run out and are
then claimed by the others. The lock is the kernel's: it goes when the process dies, however it dies.

Leases run in real time (`lease_now`), never on the bot's clock: that clock is moved by `:wait` and tests, and a
jump of it must neither hand a live worker's rows to another nor keep a dead one's. A worker remembers the lease
end it wrote for each row it holds (`lease_ends`), so before a send or a task it knows without asking the database
whether the row is still surely its own (`keep`); only when less than `margin` is left does it renew, conditionally,
and a row whose lease ran out and that another worker took is skipped. A live worker thus sends a row twice only
if a single send outlasts the margin while its heartbeat is late too.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bot.background import cancel_and_wait
from storage.claims import ClaimQueries
from storage.db import is_busy, patiently, probing

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)
MAX_SLOTS = 1024  # processes sharing one data directory
# Each worker says it is alive this often, for three times as long (real time, not the app's clock): the others
# count the live ones (Telegram's budget is the token's, shared) and hand a prompt's answers only to a live owner.
PRESENCE_SECONDS = 5.0
# Below this share of the lease left, a row is renewed (conditionally) before its send or task. The heartbeat
# renews every third of the lease, so on time it never comes to that; the margin also absorbs clock skew between
# hosts and the time a send takes after the check.
MARGIN_SHARE = 1 / 3


def lease_now() -> datetime:
    """The real time leases are measured in (the same for every process; tests may replace it)."""
    return datetime.now(UTC)


def take_slot(directory: Path) -> tuple[int, IO[bytes]]:
    """The first free slot of `directory` and its locked file (kept open: closing it frees the slot)."""
    directory.mkdir(parents=True, exist_ok=True)
    for slot in range(MAX_SLOTS):
        handle = (directory / f"{slot}.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return slot, handle
    raise RuntimeError(f"more than {MAX_SLOTS} processes share the data directory {directory}")


def slots_in_use(directory: Path) -> int:
    """How many processes hold a slot of `directory` now (a running bot holds one)."""
    held = 0
    for path in directory.glob("*.lock") if directory.is_dir() else ():
        with path.open("ab") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held += 1
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return held


class Worker:
    """The id under which this process claims rows, and the lease it keeps on them while it is alive."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.lease = timedelta(seconds=app.config.workers.lease_seconds)
        self.margin = self.lease * MARGIN_SHARE
        directory = app.data_dir / "workers"
        self.slot, self._lock_file = take_slot(directory)
        place = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:8]
        self.id = f"{socket.gethostname()}:{place}:{self.slot}"
        self.claims = ClaimQueries(app.db)
        self._task: asyncio.Task[None] | None = None
        self._presence: asyncio.Task[None] | None = None
        self.processes = 1  # live workers on this database, this one included (re-read every PRESENCE_SECONDS)
        # (table, row id) -> the lease end this worker wrote for a row it holds: the value in the database, unless
        # another worker took the row after it (then `keep` finds out by renewing first).
        self.lease_ends: dict[tuple[str, int], datetime] = {}

    @staticmethod
    def now() -> datetime:
        """Now, in lease time (real time: see the module's docstring)."""
        return lease_now()

    def lease_until(self) -> datetime:
        """The end of a lease taken now (computed before the statement that writes it: it errs early)."""
        return self.now() + self.lease

    def took(self, table: str, row_ids: Iterable[int], until: datetime) -> None:
        """This worker's claim (or conditional renewal) of these rows wrote `until` as their lease end."""
        for row_id in row_ids:
            self.lease_ends[table, row_id] = until

    def _renewed(self, table: str, row_ids: Iterable[int], until: datetime) -> None:
        """The heartbeat wrote `until` on these rows: only rows still followed here (one that finished while the
        renewal ran is not brought back; live copies are not followed)."""
        for row_id in row_ids:
            if (table, row_id) in self.lease_ends:
                self.lease_ends[table, row_id] = until

    def let_go(self, table: str, row_id: int) -> None:
        """The row is finished or released: nothing to remember."""
        self.lease_ends.pop((table, row_id), None)

    def surely_held(self, table: str, row_id: int) -> bool:
        """Whether more than `margin` of the row's lease is left (no database needed)."""
        end = self.lease_ends.get((table, row_id))
        return end is not None and end - self.now() > self.margin

    async def keep(self, table: str, row_id: int) -> bool:
        """Whether this worker still holds the row, right before its send or task. In the common case a local
        check; near its end the lease is renewed if (and only if) the row is still this worker's; False when
        another worker took it (and may be sending it, or has sent it): it is left to that worker."""
        if self.surely_held(table, row_id):
            return True
        until = self.lease_until()
        if await patiently(lambda: self.claims.hold(table, row_id, self.id, until)):
            self.took(table, (row_id,), until)
            return True
        self.let_go(table, row_id)
        log.info("%s row %s: its lease ran out and another worker took it; left to that worker", table, row_id)
        return False

    def start(self) -> None:
        self._task = asyncio.create_task(self._heartbeat(), name="worker-lease")
        self._presence = asyncio.create_task(self._present_every(), name="worker-presence")

    async def stop(self, wait: float | None = None) -> None:
        for task in (self._task, self._presence):
            await cancel_and_wait(task)
        self._task = self._presence = None
        with contextlib.suppress(Exception), probing():  # gone either way: its row only says so sooner
            await self.claims.absent(self.id)

    async def present(self) -> int:
        """Say this worker is alive, count the live ones, and tell the frontends when the count changed."""
        now = datetime.now(UTC)
        count = max(1, await self.claims.present(self.id, now + 3 * timedelta(seconds=PRESENCE_SECONDS), now))
        if count != self.processes:
            log.info("worker: %s processes share the database now", count)
            self.processes = count
            for frontend in self.app.frontends.values():
                frontend.processes_changed(count)
        return count

    async def _present_every(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_SECONDS)
            try:
                with probing():
                    await self.present()
            except Exception as error:  # a hiccup must not end the loop
                if not is_busy(error):
                    log.exception("worker presence: saying so failed")

    def close(self) -> None:
        """Free the slot (after the database is closed)."""
        self._lock_file.close()

    async def beat(self) -> int:
        """This worker is alive: its rows' leases run from now again. How many rows it holds."""
        # On SQLite, while another process holds the file locked, give up at once (the one connection must not
        # be held from a person's command); on PostgreSQL wait as any statement does: a renewal that gives up
        # lets the lease run out under a live worker, and its rows would be sent twice.
        quick = probing() if self.app.db.dialect == "sqlite" else contextlib.nullcontext()
        until = self.lease_until()
        with quick:
            renewed = await self.claims.extend(self.id, until)
        # Only the rows the statement found still claimed by this worker run to `until`; one another worker took
        # meanwhile is not among them, and keeps its old end here (so `keep` asks before sending it).
        for table, row_ids in renewed.items():
            self._renewed(table, row_ids, until)
        return sum(len(row_ids) for row_ids in renewed.values())

    async def _heartbeat(self) -> None:
        """Extend the lease of every row this worker holds, three times a lease: a slow send, a long fan-out or
        a database that was locked for a while never loses its rows to another worker."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.beat()
            except Exception as error:  # a hiccup must not end the heartbeat
                if is_busy(error):
                    log.warning("worker lease: the database is locked; extending again shortly")
                else:
                    log.exception("worker lease: extending failed")
