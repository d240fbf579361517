"""Posted copies stay current: one change, every copy re-rendered and edited in place on its platform.

A cog posts a view of a stored thing (`ctx.post(..., shows=("event", 42))`) and later says
`ctx.changed("event", 42)`. Edits to one copy are coalesced: at most one every `live_edit_seconds` (or the
slower pace its frontend keeps in that chat), and the last edit always shows the final state. Each copy is
paced on its own, so a platform that makes us wait (a 429, a group at its limit) holds up only its own
copies. A copy that can no longer be edited is dropped; one whose edit failed for a while (platform down,
network) is tried again until it shows the final state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from bot.commands import Rendered, Reply, ViewSpec, render_reply
from bot.frontends.base import MessageGone, Rejected, RetryLater, Sent, Unreachable
from storage.outbox import LiveCopy, LiveQueries

if TYPE_CHECKING:
    from bot.app import Application
    from bot.context import Context

log = logging.getLogger(__name__)

Key = tuple[str, int]
MAX_RETRIES = 5  # a copy whose edit keeps failing temporarily waits for the next change after this many
RETRY_SECONDS = 2.0  # the first pause before retrying such an edit (doubling) when the platform names none
ELSEWHERE_SECONDS = 1.0  # a stale copy another process is editing is looked at again this often


def ends_of(message: Rendered) -> datetime | None:
    """When the thing a message shows is over (its calendar entry's end, else its start), if it is dated."""
    entry = message.calendar
    return None if entry is None else entry.end or entry.start


@dataclass
class _Round:
    """A version of a thing as rendered here: its view asked once, rendered once per language."""

    version: int
    reply: Reply | None
    by_language: dict[str, Rendered] = field(default_factory=dict)


@dataclass
class _Refresh:
    """One thing's refresh in this process."""

    version: int = 0  # the thing's version at the last read
    round: _Round | None = None  # its latest render
    waiting: dict[int, LiveCopy] = field(default_factory=dict)  # stale copies not being edited here, by id
    chunks: dict[asyncio.Task[list[int | None]], list[LiveCopy]] = field(default_factory=dict)  # being edited
    editing: set[int] = field(default_factory=set)  # the ids of the copies in those chunks
    seen: set[int] = field(default_factory=set)  # the ids of every copy met (their pacing is forgotten at the end)


class LiveMessages:
    concurrency = 8  # edits in flight at once (all things together): what a frontend's HTTP pool holds
    chunk = 32  # copies claimed (and their outcome recorded) per statement
    chunks_in_flight = 2  # per thing: the next chunk is claimed while the last one's edits finish

    def __init__(self, app: Application, views: dict[str, ViewSpec]) -> None:
        self.app = app
        self.views = views
        self.copies = LiveQueries(app.db)
        # A change bumps its thing's version in the database (and its copies' wanted one); a copy is stale while
        # it shows an older one.
        self._next_at: dict[int, float] = {}  # copy id -> monotonic time its next edit may start
        self._failures: dict[int, int] = {}  # copy id -> temporary failures in a row
        self._wake: dict[Key, asyncio.Event] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(self.concurrency)
        self._changes: dict[Key, int] = {}  # changes heard here while a thing's refresh runs
        self._counters: dict[tuple[str, str], Any] = {}  # (platform, result) -> its live_edits counter

    async def render(self, shows: tuple[str, int]) -> Reply | None:
        """The cog's current view of a thing; language-free until a frontend renders it."""
        from bot.context import ServiceContext

        view = self.views.get(shows[0])
        if view is None:
            raise KeyError(f"no view declared for {shows[0]!r}")
        reply = await view.handler(ServiceContext(self.app), shows[1])
        return self.app.core.seal(reply, None) if reply is not None else None  # a shared view: no owner

    async def remember(self, shows: tuple[str, int], platform: str, sent: Sent, language: str,
                       person_id: int | None, *, direct: bool = False, ends: datetime | None = None) -> None:
        """A posted copy of a thing. One in a direct chat is bounded: kept current for `live_dm_days` or until
        the thing `ends`, whichever is first, and only the newest `live_dm_copies` of a thing's."""
        now = self.app.clock.now()
        expires_at = None
        settings = self.app.config.bot
        if direct:
            expires_at = now + timedelta(days=settings.live_dm_days)
            if ends is not None:
                expires_at = min(expires_at, ends)
        await self.copies.remember(kind=shows[0], ref_id=shows[1], platform=platform, chat_id=sent.chat_id,
                                   message_id=sent.message_id, language=language, person_id=person_id,
                                   now=now, direct=direct, expires_at=expires_at,
                                   max_direct=settings.live_dm_copies)

    async def remember_reply(self, message: Rendered, platform: str, sent: Sent, ctx: Context) -> None:
        """A command's or button's reply that shows a thing is a copy too: in the reader's language."""
        if message.shows is not None:
            await self.remember(message.shows, platform, sent, ctx.language, ctx.person.id,
                                direct=ctx.chat.direct or message.private, ends=ends_of(message))

    async def changed(self, kind: str, ref_id: int) -> None:
        """Every copy of the thing is to show its state from now on. The stale mark is in the database, so with
        several processes the copies are edited once, by whichever claims them, and the last edit of each shows
        the final state whichever process made the last change."""
        key = (kind, ref_id)
        await self.copies.want(kind, ref_id)
        self._changes[key] = self._changes.get(key, 0) + 1
        if key in self._tasks:
            self._wake[key].set()
        else:
            self._wake[key] = asyncio.Event()
            self._tasks[key] = asyncio.create_task(self._refresh_loop(key), name=f"live:{kind}:{ref_id}")

    async def _refresh_loop(self, key: Key) -> None:
        """Until no copy is stale: read the thing's version and stale copies, claim the due ones a chunk at a time
        (one statement each), render once per language per version, edit (at most `concurrency` edits of all
        things at once), record the chunk's outcome in one statement; wait for a chunk to end, a change, or the
        next paced slot (or another process's copies).

        The stale copies are read again only when something may have changed them (a change heard here, a slot
        or a retry due, copies another process held, all edits done), not after each chunk: a copy a chunk left
        stale goes back to the waiting ones."""
        wake = self._wake[key]
        state = _Refresh()
        read = True  # the stale copies are to be read (again)
        claim = False  # a chunk may be claimed
        deadline: float | None = None  # monotonic time of the next paced slot (or another process) to look at
        try:
            while True:
                if wake.is_set():
                    read = True
                wake.clear()  # before reading the copies: a change from here on wakes the wait below
                if deadline is not None and time.monotonic() >= deadline:
                    read = True  # a slot came due (or another process may have finished): look again
                if read:
                    state.version, stale = await self.copies.stale(*key, now=self.app.clock.now())
                    state.waiting = {c.id: c for c in stale if c.id not in state.editing
                                     and c.platform in self.app.frontends}  # another process may run the others
                    state.seen.update(state.waiting)
                    read, claim = False, True
                    if not state.waiting and not state.chunks:
                        break
                if claim:
                    deadline = await self._claim_due(key, state)
                    claim = False
                if not state.chunks and deadline is None:
                    read = True  # one more look: a change may have come while the last edits ran
                    continue
                woken = asyncio.ensure_future(wake.wait())
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    await asyncio.wait([woken, *state.chunks], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
                for task in [t for t in state.chunks if t.done()]:
                    copies = state.chunks.pop(task)
                    state.editing.difference_update(c.id for c in copies)
                    claim = True  # its place is free for the next chunk
                    if task.cancelled() or task.exception() is not None:
                        read = True
                        continue
                    for copy, shown in zip(copies, task.result(), strict=True):
                        if shown is None or shown < state.version:  # still stale: edited again at its slot
                            state.waiting[copy.id] = copy
        except Exception:
            log.exception("refreshing %s:%s failed", *key)
        finally:
            for task in state.chunks:
                task.cancel()  # each frees its copies for the next change, here or in another process
            self._tasks.pop(key, None)
            self._wake.pop(key, None)
            self._changes.pop(key, None)
            self._forget_settled(state.seen)

    async def _claim_due(self, key: Key, state: _Refresh) -> float | None:
        """Claim waiting copies whose slot is free, a chunk at a time, while fewer than `chunks_in_flight` chunks
        are being edited, and start each chunk's edits; returns when to look again (the next paced slot, or
        another process's copies), or None."""
        worker = self.app.worker
        now = time.monotonic()
        elsewhere = False
        while len(state.chunks) < self.chunks_in_flight:
            due = list(islice((i for i in state.waiting if self._next_at.get(i, 0.0) <= now), self.chunk))
            if not due:
                break
            claimed = await self.copies.claim(due, worker.id, worker.lease_until(), worker.now(),
                                              state.version)
            for copy_id in due:  # the ones not claimed are being edited elsewhere (or are no longer stale)
                del state.waiting[copy_id]
            elsewhere = elsewhere or len(claimed) < len(due)
            if not claimed:
                continue
            shown = state.round
            if shown is None or shown.version != state.version:
                # Rendered after reading the version: the edit shows at least that. Once per version.
                try:
                    reply = await self.render(key)
                except BaseException:
                    with contextlib.suppress(Exception):  # free for the next change, here or elsewhere
                        await self.copies.done([c.id for c in claimed], worker.id, [], state.version)
                    raise
                shown = state.round = _Round(state.version, reply)
            heard = self._changes.get(key, 0)
            task = asyncio.create_task(self._edit_chunk(key, claimed, shown, heard))
            state.chunks[task] = claimed
            state.editing.update(c.id for c in claimed)
        if len(state.chunks) >= self.chunks_in_flight:
            later = []  # a chunk's end is the next look
        else:
            later = [at for i in state.waiting if (at := self._next_at.get(i, 0.0)) > now]
        if elsewhere:  # some are being edited by another process: look again after a while
            later.append(now + ELSEWHERE_SECONDS)
        return min(later) if later else None

    def _forget_settled(self, copy_ids: set[int]) -> None:
        """Nothing is pending for this thing: keep only the pacing that still matters (memory stays small)."""
        now = time.monotonic()
        for copy_id in copy_ids:
            self._failures.pop(copy_id, None)
            if self._next_at.get(copy_id, 0.0) <= now:
                self._next_at.pop(copy_id, None)

    async def _edit_chunk(self, key: Key, copies: list[LiveCopy], shown: _Round, heard: int) -> list[int | None]:
        """Edit a chunk of claimed copies (each waiting for one of the `concurrency` slots), then record in one
        statement which show `shown.version` now and free the rest; per copy, the version it shows (or None)."""
        results: list[int | None] = [None] * len(copies)

        async def edit(index: int, copy: LiveCopy, reply: Reply) -> None:
            try:
                results[index] = await self._edit(key, copy, shown, reply, heard)
            except Exception:  # an unknown error (rendering?): given up until the next change, not looped on
                log.exception("editing %s copy %s of %s:%s failed", copy.platform, copy.id, *key)
                results[index] = shown.version

        async def record() -> None:
            await self.copies.done([c.id for c in copies], self.app.worker.id,
                                   [c.id for c, r in zip(copies, results, strict=True) if r is not None],
                                   shown.version)

        try:
            if shown.reply is None:  # the thing is gone: nothing to show
                results = [shown.version] * len(copies)
            else:
                await asyncio.gather(*(edit(i, c, shown.reply) for i, c in enumerate(copies)))
        except BaseException:
            with contextlib.suppress(Exception):  # cut short (stopping): what was edited is recorded, the rest freed
                await record()
            raise
        await record()
        return results

    async def _edit(self, key: Key, copy: LiveCopy, shown: _Round, reply: Reply, heard: int) -> int | None:
        """Edit one claimed copy (waiting for one of the `concurrency` slots); then it shows `shown.version` (or
        gave up on it), or stays stale to be retried (None). A copy whose slot comes after a newer change skips
        this render: it is claimed again and shows the newer one (one edit, not two)."""
        async with self._slots:
            if self._changes.get(key, 0) != heard:
                return None
            rendered = shown.by_language.get(copy.language)
            if rendered is None:  # once per language per version, whatever the number of copies
                rendered = shown.by_language[copy.language] = render_reply(reply, copy.language)
            edited = await self._edit_once(key, copy, rendered)
        return None if edited is None else shown.version

    async def _edit_once(self, key: Key, copy: LiveCopy, rendered: Rendered) -> int | None:
        frontend = self.app.frontends[copy.platform]
        self._next_at[copy.id] = time.monotonic() + frontend.edit_interval_for(copy.chat_id)
        try:
            await frontend.edit(Sent(copy.chat_id, copy.message_id), rendered)
        except (MessageGone, Unreachable) as error:
            self._count(copy.platform, "gone")
            log.info("dropping %s copy %s of %s:%s (%s)", copy.platform, copy.id, *key, type(error).__name__)
            await self.copies.forget(copy.id)
        except Rejected as error:  # the platform refuses this content: wait for the next change, quietly
            self._count(copy.platform, "refused")
            log.warning("editing %s copy %s of %s:%s was refused (%s)", copy.platform, copy.id, *key,
                        type(error).__name__)
        except (RetryLater, TimeoutError, OSError) as error:
            self._count(copy.platform, "retry")
            failures = self._failures.get(copy.id, 0) + 1
            if failures > MAX_RETRIES:
                log.warning("editing %s copy %s of %s:%s keeps failing (%s); waiting for the next change",
                            copy.platform, copy.id, *key, type(error).__name__)
                self._failures.pop(copy.id, None)
                return copy.wanted
            self._failures[copy.id] = failures
            after = getattr(error, "after", None)
            pause = after if after is not None else RETRY_SECONDS * 2 ** (failures - 1)
            self._next_at[copy.id] = max(self._next_at[copy.id], time.monotonic() + pause)
            log.info("editing %s copy %s of %s:%s failed (%s); trying again in %.1f s", copy.platform, copy.id,
                     *key, type(error).__name__, pause)
            return None  # still stale: tried again at its slot
        except Exception:
            self._count(copy.platform, "failed")
            log.exception("editing %s copy %s of %s:%s failed", copy.platform, copy.id, *key)
            # an unknown error: do not loop on it
        else:
            self._count(copy.platform, "edited")
            self._failures.pop(copy.id, None)
        return copy.wanted

    def _count(self, platform: str, result: str) -> None:
        counter = self._counters.get((platform, result))
        if counter is None:  # labels() validates and locks on every call: looked up once per label set
            counter = self._counters[platform, result] = self.app.metrics.live_edits.labels(platform, result)
        counter.inc()

    async def settle(self) -> None:
        """Wait for pending refreshes (console scripts and tests)."""
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*list(self._tasks.values()))

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
