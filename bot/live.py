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
import heapq
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
        # A change bumps its thing's version; a copy is stale while the version it shows is older.
        self._version: dict[Key, int] = {}
        self._shown: dict[int, int] = {}  # copy id -> version its last edit showed (or gave up on)
        self._next_at: dict[int, float] = {}  # copy id -> monotonic time its next edit may start
        self._failures: dict[int, int] = {}  # copy id -> temporary failures in a row
        self._wake: dict[Key, asyncio.Event] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        # key -> (version, its view, {language: rendered}) while the thing's copies are being brought up to date
        self._views: dict[Key, tuple[int, Reply | None, dict[str, Rendered]]] = {}
        self._slots = asyncio.Semaphore(self.concurrency)

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
        key = (kind, ref_id)
        self._version[key] = self._version.get(key, 0) + 1
        if key in self._tasks:
            self._wake[key].set()
        else:
            self._wake[key] = asyncio.Event()
            self._tasks[key] = asyncio.create_task(self._refresh_loop(key), name=f"live:{kind}:{ref_id}")

    async def _refresh_loop(self, key: Key) -> None:
        """Until every copy shows the latest version: edit each copy whose slot is free, wait for the next.

        Per version the copies are read once and the view rendered once per language; at most `concurrency`
        edits (of all things together) are in flight, so thousands of copies never queue thousands of
        requests at the platform's limiter."""
        wake = self._wake[key]
        editing: dict[int, asyncio.Task[LiveCopy]] = {}
        copies: list[LiveCopy] = []
        queue: list[tuple[float, int, LiveCopy]] = []  # stale copies not being edited: (next slot, id, copy)
        read: int | None = None  # the version `copies` and `queue` were read for
        try:
            while True:
                wake.clear()  # before reading the version: a change from here on wakes the wait below
                if read != self._version[key]:
                    copies = await self.copies.copies(*key, now=self.app.clock.now())
                    # Read after the await, just before rendering: a change made meanwhile is in this version's
                    # render, so it must not count as unshown (that would cost one more, identical edit).
                    read = self._version[key]
                    queue = [(self._next_at.get(c.id, 0.0), c.id, c) for c in copies
                             if self._shown.get(c.id, 0) < read and c.id not in editing]
                    heapq.heapify(queue)
                version = read
                while queue and queue[0][0] <= time.monotonic() and self._version[key] == version:
                    copy = heapq.heappop(queue)[2]
                    reply = await self._view(key, version)
                    if reply is None:  # the thing is gone: nothing to show
                        self._shown[copy.id] = version
                        continue
                    await self._slots.acquire()  # the cap on edits in flight, across every thing
                    if self._version[key] != version:  # changed meanwhile: edit it with the newer version
                        self._slots.release()
                        heapq.heappush(queue, (self._next_at.get(copy.id, 0.0), copy.id, copy))
                        break
                    editing[copy.id] = asyncio.create_task(self._edit_slot(key, copy, reply, version))
                if self._version[key] != version:
                    continue
                if not editing and not queue:
                    break
                pause = max(0.0, queue[0][0] - time.monotonic()) if queue else None
                woken = asyncio.ensure_future(wake.wait())
                try:
                    await asyncio.wait([woken, *editing.values()], timeout=pause,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
                for copy_id, task in list(editing.items()):
                    if task.done():
                        del editing[copy_id]
                        copy = task.result()
                        if self._shown.get(copy.id, 0) < self._version[key]:  # retried, or changed meanwhile
                            heapq.heappush(queue, (self._next_at.get(copy.id, 0.0), copy.id, copy))
        except Exception:
            log.exception("refreshing %s:%s failed", *key)
        finally:
            for task in editing.values():
                task.cancel()
            self._tasks.pop(key, None)
            self._wake.pop(key, None)
            self._views.pop(key, None)
            self._forget_settled(key, copies)

    async def _view(self, key: Key, version: int) -> Reply | None:
        """The thing's view as of `version`, asked of its cog once per version."""
        cached = self._views.get(key)
        if cached is None or cached[0] != version:
            cached = self._views[key] = (version, await self.render(key), {})
        return cached[1]

    def _rendered(self, key: Key, reply: Reply, language: str) -> Rendered:
        """The view in one language, rendered once per version whatever the number of copies."""
        cached = self._views.get(key)
        if cached is None or cached[1] is not reply:  # an edit of an older version still under way
            return render_reply(reply, language)
        by_language = cached[2]
        rendered = by_language.get(language)
        if rendered is None:
            rendered = by_language[language] = render_reply(reply, language)
        return rendered

    async def _edit_slot(self, key: Key, copy: LiveCopy, reply: Reply, version: int) -> LiveCopy:
        try:
            await self._edit(key, copy, reply, version)
        finally:
            self._slots.release()
        return copy

    def _forget_settled(self, key: Key, copies: list[LiveCopy]) -> None:
        """Nothing is pending for this thing: keep only the pacing that still matters (memory stays small)."""
        self._version.pop(key, None)
        now = time.monotonic()
        for copy in copies:
            self._shown.pop(copy.id, None)
            self._failures.pop(copy.id, None)
            if self._next_at.get(copy.id, 0.0) <= now:
                self._next_at.pop(copy.id, None)

    async def _edit(self, key: Key, copy: LiveCopy, reply: Reply, version: int) -> None:
        frontend = self.app.frontends.get(copy.platform)
        if frontend is None:  # a platform not running now: its copies wait for a later change
            self._shown[copy.id] = version
            return
        self._next_at[copy.id] = time.monotonic() + frontend.edit_interval_for(copy.chat_id)
        try:
            await frontend.edit(Sent(copy.chat_id, copy.message_id), self._rendered(key, reply, copy.language))
        except (MessageGone, Unreachable) as error:
            self._count(copy.platform, "gone")
            log.info("dropping %s copy %s of %s:%s (%s)", copy.platform, copy.id, *key, type(error).__name__)
            await self.copies.forget(copy.id)
            self._shown[copy.id] = version
        except Rejected as error:  # the platform refuses this content: wait for the next change, quietly
            self._count(copy.platform, "refused")
            log.warning("editing %s copy %s of %s:%s was refused (%s)", copy.platform, copy.id, *key,
                        type(error).__name__)
            self._shown[copy.id] = version
        except (RetryLater, TimeoutError, OSError) as error:
            self._count(copy.platform, "retry")
            failures = self._failures.get(copy.id, 0) + 1
            if failures > MAX_RETRIES:
                log.warning("editing %s copy %s of %s:%s keeps failing (%s); waiting for the next change",
                            copy.platform, copy.id, *key, type(error).__name__)
                self._shown[copy.id] = version
                self._failures.pop(copy.id, None)
                return
            self._failures[copy.id] = failures
            after = getattr(error, "after", None)
            pause = after if after is not None else RETRY_SECONDS * 2 ** (failures - 1)
            self._next_at[copy.id] = max(self._next_at[copy.id], time.monotonic() + pause)
            log.info("editing %s copy %s of %s:%s failed (%s); trying again in %.1f s", copy.platform, copy.id,
                     *key, type(error).__name__, pause)
        except Exception:
            self._count(copy.platform, "failed")
            log.exception("editing %s copy %s of %s:%s failed", copy.platform, copy.id, *key)
            self._shown[copy.id] = version  # an unknown error: do not loop on it
        else:
            self._count(copy.platform, "edited")
            self._shown[copy.id] = version
            self._failures.pop(copy.id, None)

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
