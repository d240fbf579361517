"""Telegram's webhook spread over several processes (bot/fleet.py): an update of a person whose open prompt another
live process holds is handed to that process, which processes it as if Telegram had pushed it there.

The hand-over is a row in `handoffs` (the update as Telegram sent it, deleted as the owner takes it) and a
PostgreSQL NOTIFY naming the owner, which LISTENs on a connection of its own and takes its rows at once; it also
looks every `SLOW_SECONDS` (a notification lost with a connection), or every `FAST_SECONDS` while it holds prompts
and cannot listen. An update is handed over once: one that came by hand-over is processed where it arrived,
whatever the database says by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.background import cancel_and_wait
from bot.fleet import Fleet
from storage.db import DatabaseError, is_busy, probing
from storage.fleet import HandoffSignal

if TYPE_CHECKING:
    from bot.frontends.telegram import TelegramFrontend

log = logging.getLogger(__name__)

PLATFORM = "telegram"
FAST_SECONDS = 0.05  # while this process holds open prompts: an answer handed over waits at most this long
SLOW_SECONDS = 1.0
MAX_TAKEN = 4096  # update ids that came by hand-over, remembered so that none is handed on again


def account_of(update: Update) -> tuple[str, str] | None:
    """(chat id, user id) of a person's message or button press; None for anything else."""
    user = update.effective_user
    if update.callback_query is not None and update.callback_query.message is not None and user is not None:
        return str(update.callback_query.message.chat.id), str(user.id)
    if update.message is not None and user is not None:
        return str(update.message.chat.id), str(user.id)
    return None


class HandOver:
    def __init__(self, frontend: TelegramFrontend, fleet: Fleet) -> None:
        self.frontend, self.fleet = frontend, fleet
        self.app = frontend.app
        self._taken: dict[int, None] = {}  # update ids that came by hand-over (ordered: the oldest are forgotten)
        self._task: asyncio.Task[None] | None = None
        self.handed = 0  # updates handed to another process (tests read it)
        url = getattr(self.app.db, "url", None)
        self.signal = HandoffSignal(url, self.app.worker.id) if url is not None else None

    def start(self) -> None:
        # Before every other handler: a handed-over update goes nowhere else here.
        self.frontend.ptb.add_handler(TypeHandler(Update, self._route), group=-1)
        self._task = asyncio.create_task(self._take_every(), name="telegram-handoffs")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if self.signal is not None:
            await self.signal.close()
        with contextlib.suppress(Exception), probing():
            await self.fleet.prompts.drop_all()

    async def _route(self, update: Update, _context: Any) -> None:
        account = account_of(update)
        if account is None:
            return
        if update.update_id in self._taken:  # handed to us: processed here
            del self._taken[update.update_id]
            return
        chat_id, user_id = account
        if self.app.core.has_prompt(PLATFORM, chat_id, user_id):
            return
        try:
            owner = await self.fleet.queries.prompt_owner(PLATFORM, chat_id, user_id, datetime.now(UTC))
            if owner is None or owner.worker == self.app.worker.id or owner.expires_at <= self.app.clock.now():
                return
            await self.fleet.queries.hand_off(owner.worker, PLATFORM, update.to_json(), self.app.clock.now())
        except DatabaseError:  # answered here rather than lost: at worst its prompt is not found
            log.warning("telegram: handing update %s over failed; processing it here", update.update_id)
            return
        self.handed += 1
        self.frontend._mark_handled()
        raise ApplicationHandlerStop  # the owner answers it (a button press too: it answers the callback)

    async def take(self) -> int:
        """Queue what other processes handed to this one, in the order handed; how many."""
        handoffs = await self.fleet.queries.take_handoffs(self.app.worker.id)
        for handoff in handoffs:
            update = Update.de_json(json.loads(handoff.payload), self.frontend.ptb.bot)
            self._taken[update.update_id] = None
            while len(self._taken) > MAX_TAKEN:
                del self._taken[next(iter(self._taken))]
            await self.frontend.ptb.update_queue.put(update)
        return len(handoffs)

    async def _take_every(self) -> None:
        while True:
            try:
                await self._wait()
                with probing():
                    await self.take()
                await self.fleet.prompts.expire(self.app.clock.now())
            except Exception as error:  # a hiccup must not end the loop
                if not is_busy(error):
                    log.exception("telegram: taking handed-over updates failed")
                await asyncio.sleep(SLOW_SECONDS)

    async def _wait(self) -> None:
        """Until something may have been handed to this process."""
        signal = self.signal
        if signal is not None and not signal.listening:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await signal.listen()
        if signal is None or not signal.listening:
            await asyncio.sleep(FAST_SECONDS if self.fleet.prompts.published else SLOW_SECONDS)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(signal.heard.wait(), SLOW_SECONDS)
        signal.heard.clear()  # before taking: a notification during the take wakes the next round
