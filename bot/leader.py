"""One process of several runs what must be single (Telegram long polling: Telegram answers a second poller with
409 Conflict): the one holding a PostgreSQL advisory lock on a connection of its own. The others try again every
RETRY_SECONDS and one of them takes over when the leader dies (the server drops a dead session's lock).

On SQLite a single process is assumed (docs/operations.md): it leads at once, no lock is taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.background import cancel_and_wait

if TYPE_CHECKING:
    from bot.app import Application
    from storage.leader import AdvisoryLock

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0  # a follower tries the lock, and a leader checks it still holds it, this often

Hook = Callable[[], Awaitable[None]]


class Leader:
    def __init__(self, app: Application, name: str, elected: Hook, deposed: Hook) -> None:
        self.app = app
        self.name = name
        self._elected, self._deposed = elected, deposed
        self.leading = False
        self._lock: AdvisoryLock | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Lead now if no one else does (a single process leads before its start returns); else follow."""
        url = getattr(self.app.db, "url", None)
        if self.app.db.dialect != "postgresql" or url is None:
            await self._become_leader()
            return
        from storage.leader import AdvisoryLock

        self._lock = AdvisoryLock(url, self.name)
        await self._try()
        self._task = asyncio.create_task(self._watch(), name=f"leader:{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if self.leading:
            self.leading = False
            await self._deposed()
        if self._lock is not None:
            await self._lock.release()  # after the work stopped: the next leader never overlaps this one

    async def _become_leader(self) -> None:
        self.leading = True
        log.info("%s: this process leads", self.name)
        await self._elected()

    async def _try(self) -> None:
        assert self._lock is not None
        try:
            if await self._lock.try_acquire():
                await self._become_leader()
        except Exception as error:  # the database unreachable, for now: try again later, keep the bot running
            log.warning("%s: electing a leader failed (%s)", self.name, type(error).__name__)

    async def _watch(self) -> None:
        assert self._lock is not None
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            if not self.leading:
                await self._try()
            elif not await self._lock.held():
                # Our session went (the database restarted, the network broke): another process may lead now.
                log.warning("%s: the leader lock was lost; standing by", self.name)
                self.leading = False
                await self._deposed()
                await self._lock.release()
