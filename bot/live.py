"""Posted copies stay current: one change, every copy re-rendered and edited in place on its platform.

A cog posts a view of a stored thing (`ctx.post(..., shows=("event", 42))`) and later says
`ctx.changed("event", 42)`. Edits to one copy are coalesced: at most one every `interval` seconds, and the
last edit always shows the final state. A copy that can no longer be edited is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from bot.commands import Reply, ViewSpec, render_reply
from bot.frontends.base import MessageGone, Sent, Unreachable
from storage.outbox import LiveCopy, LiveQueries

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


class LiveMessages:
    def __init__(self, app: Application, views: dict[str, ViewSpec]) -> None:
        self.app = app
        self.views = views
        self.copies = LiveQueries(app.db)
        self.interval: float = app.config.bot.live_edit_seconds
        self._dirty: set[tuple[str, int]] = set()
        self._tasks: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._last_edit: dict[int, float] = {}
        self.edits_sent = 0

    async def render(self, shows: tuple[str, int]) -> Reply | None:
        """The cog's current view of a thing; language-free until a frontend renders it."""
        from bot.context import ServiceContext

        view = self.views.get(shows[0])
        if view is None:
            raise KeyError(f"no view declared for {shows[0]!r}")
        return await view.handler(ServiceContext(self.app), shows[1])

    async def remember(self, shows: tuple[str, int], platform: str, sent: Sent, language: str,
                       person_id: int | None) -> None:
        await self.copies.remember(kind=shows[0], ref_id=shows[1], platform=platform, chat_id=sent.chat_id,
                                   message_id=sent.message_id, language=language, person_id=person_id,
                                   now=self.app.clock.now())

    async def changed(self, kind: str, ref_id: int) -> None:
        key = (kind, ref_id)
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._refresh_loop(key), name=f"live:{kind}:{ref_id}")

    async def _refresh_loop(self, key: tuple[str, int]) -> None:
        try:
            while key in self._dirty:
                await self._wait_for_slot(key)
                self._dirty.discard(key)
                await self._refresh(key)
        except Exception:
            log.exception("refreshing %s:%s failed", *key)
        finally:
            self._tasks.pop(key, None)

    async def _wait_for_slot(self, key: tuple[str, int]) -> None:
        copies = await self.copies.copies(*key)
        earliest = max((self._last_edit.get(c.id, 0.0) + self._interval_for(c) for c in copies), default=0.0)
        delay = earliest - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _interval_for(self, copy: LiveCopy) -> float:
        frontend = self.app.frontends.get(copy.platform)
        return getattr(frontend, "edit_interval", self.interval) if frontend else self.interval

    async def _refresh(self, key: tuple[str, int]) -> None:
        copies = await self.copies.copies(*key)
        reply = await self.render(key) if copies else None
        if reply is None:
            return
        for copy in copies:
            frontend = self.app.frontends.get(copy.platform)
            if frontend is None:
                continue
            self._last_edit[copy.id] = time.monotonic()
            try:
                await frontend.edit(Sent(copy.chat_id, copy.message_id), render_reply(reply, copy.language))
                self.edits_sent += 1
            except (MessageGone, Unreachable) as error:
                log.info("dropping %s copy %s of %s:%s (%s)", copy.platform, copy.id, *key, type(error).__name__)
                await self.copies.forget(copy.id)
            except Exception:
                log.exception("editing %s copy %s of %s:%s failed", copy.platform, copy.id, *key)

    async def settle(self) -> None:
        """Wait for pending refreshes (console scripts and tests)."""
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*list(self._tasks.values()))

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
