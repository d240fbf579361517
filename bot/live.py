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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

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


class LiveMessages:
    concurrency = 8  # edits in flight at once (all things together): what a frontend's HTTP pool holds

    def __init__(self, app: Application, views: dict[str, ViewSpec]) -> None:
        self.app = app
        self.views = views
        self.copies = LiveQueries(app.db)
        # A change bumps its copies' wanted version in the database; a copy is stale while it shows an older one.
        self._next_at: dict[int, float] = {}  # copy id -> monotonic time its next edit may start
        self._failures: dict[int, int] = {}  # copy id -> temporary failures in a row
        self._wake: dict[Key, asyncio.Event] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(self.concurrency)
        self._changes: dict[Key, int] = {}  # changes heard here while a thing's refresh runs

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
        """Until no copy is stale: claim each stale copy whose slot is free, render once per language, edit;
        wait for the next slot, a change, an edit to finish, or (a copy another process is editing) that process.

        The stale copies are read again only when something may have changed them (a change, a slot or a retry
        due, all edits done), not after every edit; at most `concurrency` edits (of all things together) are in
        flight, so thousands of copies never queue thousands of requests at the platform's limiter."""
        wake = self._wake[key]
        editing: dict[int, asyncio.Task[int | None]] = {}
        heard_by: dict[int, int] = {}  # copy id being edited -> the changes heard when its edit was begun
        waiting: dict[int, LiveCopy] = {}  # stale copies not being edited here
        seen: set[int] = set()  # the ids of every copy met (their pacing is forgotten at the end)
        worker = self.app.worker
        read = True  # the stale copies are to be read (again)
        deadline: float | None = None  # monotonic time of the next paced slot (or another process) to look at
        try:
            while True:
                if wake.is_set():
                    read = True
                wake.clear()  # before reading the copies: a change from here on wakes the wait below
                look = read or (deadline is not None and time.monotonic() >= deadline)
                if read:
                    stale = [c for c in await self.copies.stale(*key, now=self.app.clock.now())
                             if c.platform in self.app.frontends]  # another process may run the others
                    waiting = {c.id: c for c in stale if c.id not in editing}
                    seen.update(c.id for c in stale)
                    read = False
                    if not waiting and not editing:
                        break
                if look:
                    if any(started != self._changes.get(key, 0) for started in heard_by.values()):
                        # Edits begun for an older change finish (or skip) first; then every stale copy is
                        # claimed at once and the newer version is rendered once, not once per batch.
                        deadline = None
                    else:
                        deadline = await self._claim_due(key, waiting, editing, heard_by)
                if not editing and deadline is None:
                    read = True  # one more look: a change may have come while the last edits ran
                    continue
                woken = asyncio.ensure_future(wake.wait())
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    await asyncio.wait([woken, *editing.values()], timeout=timeout,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
                if deadline is not None and time.monotonic() >= deadline:
                    read = True  # a slot came due (or another process may have finished): look again
                for copy_id, task in list(editing.items()):
                    if task.done():
                        del editing[copy_id]
                        heard_by.pop(copy_id, None)
                        if task.cancelled() or task.exception() is not None or task.result() is None:
                            read = True  # still stale (a retry, or skipped for a newer change): read again
        except Exception:
            log.exception("refreshing %s:%s failed", *key)
        finally:
            for task in editing.values():
                task.cancel()
            with contextlib.suppress(Exception):
                for copy_id in editing:  # cut short: free for the next change, here or in another process
                    await self.copies.done(copy_id, worker.id, None)
            self._tasks.pop(key, None)
            self._wake.pop(key, None)
            self._changes.pop(key, None)
            self._forget_settled(seen)

    async def _claim_due(self, key: Key, waiting: dict[int, LiveCopy], editing: dict[int, asyncio.Task[int | None]],
                         heard_by: dict[int, int]) -> float | None:
        """Claim the waiting copies whose slot is free and start their edits (render once, then once per
        language); returns when to look again (the next paced slot, or another process's copies), or None."""
        worker = self.app.worker
        now = time.monotonic()
        due = [c for c in waiting.values() if self._next_at.get(c.id, 0.0) <= now]
        claimed = await self.copies.claim([c.id for c in due], worker.id, worker.lease_until(),
                                          worker.now()) if due else []
        if claimed:
            # Rendered after the claim read each copy's wanted version: the edit shows at least that.
            reply = await self.render(key)
            by_language: dict[str, Rendered] = {}
            heard = self._changes.get(key, 0)
            for copy in claimed:
                del waiting[copy.id]
                if reply is None:  # the thing is gone: nothing to show
                    await self.copies.done(copy.id, worker.id, copy.wanted)
                else:
                    editing[copy.id] = asyncio.create_task(self._edit(key, copy, reply, by_language, heard))
                    heard_by[copy.id] = heard
        later = [at for c in waiting.values() if (at := self._next_at.get(c.id, 0.0)) > now]
        if len(due) > len(claimed):  # some are being edited by another process: look again after a while
            later.append(now + ELSEWHERE_SECONDS)
        return min(later) if later else None

    def _forget_settled(self, copy_ids: set[int]) -> None:
        """Nothing is pending for this thing: keep only the pacing that still matters (memory stays small)."""
        now = time.monotonic()
        for copy_id in copy_ids:
            self._failures.pop(copy_id, None)
            if self._next_at.get(copy_id, 0.0) <= now:
                self._next_at.pop(copy_id, None)

    async def _edit(self, key: Key, copy: LiveCopy, reply: Reply, by_language: dict[str, Rendered],
                    heard: int) -> int | None:
        """Edit one claimed copy (waiting for one of the `concurrency` slots); then it shows `copy.wanted` (or
        gave up on it), or stays stale to be retried (None). A copy whose slot comes after a newer change skips
        this render: it is claimed again and shows the newer one (one edit, not two)."""
        shown: int | None = copy.wanted
        try:
            async with self._slots:
                if self._changes.get(key, 0) != heard:
                    shown = None
                    return None
                rendered = by_language.get(copy.language)
                if rendered is None:  # once per language per round, whatever the number of copies
                    rendered = by_language[copy.language] = render_reply(reply, copy.language)
                shown = await self._edit_once(key, copy, rendered)
        finally:
            await self.copies.done(copy.id, self.app.worker.id, shown)
        return shown

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
        self.app.metrics.live_edits.labels(platform, result).inc()

    async def settle(self) -> None:
        """Wait for pending refreshes (console scripts and tests)."""
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*list(self._tasks.values()))

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
