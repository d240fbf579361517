"""Telegram's flood limits, and the order in which updates are processed.

The limits are kept in the one place every Bot API request passes: PTB's rate-limiter hook.

Telegram allows about 30 messages per second overall and 20 per minute in one group, counted over sliding
windows, and answers 429 + retry_after beyond them. PTB's AIORateLimiter uses leaky buckets that let a
full bucket plus the refill through in the first period (up to 60 messages in the first second), which a
sliding window rejects; and it throttles every request that names a chat, so role look-ups
(getChatMember) would eat a team chat's 20 messages a minute. This limiter counts only sends and edits,
over sliding windows, and stamps a request when its answer arrives (never earlier than Telegram saw it),
so network jitter cannot squeeze one message too many into a window. A 429 that still happens pauses
every request for retry_after, then retries; the outbox never retries 429s for Telegram itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

LIMITED_PREFIXES = ("send", "edit", "copy", "forward")  # methods Telegram counts against flood limits
RETRY_MARGIN = 0.1  # seconds added to retry_after, as Telegram's clock and ours differ a little
# Edits (live copies) are the low lane: they never take a slot a waiting send needs, and use at most this share
# of the overall window, so a DM or an answer finds room at once however many edits are queued.
EDIT_SHARE = 0.8


def retry_seconds(error: RetryAfter) -> float:
    """retry_after in seconds; the private timedelta avoids PTB 22's deprecation warning for the int."""
    period = getattr(error, "_retry_after", None)
    return period.total_seconds() if period is not None else float(error.retry_after)  # type: ignore[arg-type]


class _Window:
    """At most `limit` requests in any `period` seconds; in-flight requests hold a slot until answered."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.done: deque[float] = deque()  # answer times, oldest first
        self.in_flight = 0
        self.sends_waiting = 0  # sends held up by this window alone: edits leave its slots to them

    def wait_time(self, now: float, limit: int | None = None) -> float | None:
        """0 when a slot is free, the seconds until one frees, or None when only an answer frees one."""
        while self.done and self.done[0] <= now - self.period:
            self.done.popleft()
        if len(self.done) + self.in_flight < (self.limit if limit is None else limit):
            return 0.0
        return self.done[0] + self.period - now if self.done else None


class SlidingRateLimiter(BaseRateLimiter[int]):
    def __init__(self, overall_max_rate: int = 30, overall_period: float = 1.0, group_max_rate: int = 20,
                 group_period: float = 60.0, max_retries: int = 3) -> None:
        self.overall_max_rate, self.overall_period = overall_max_rate, overall_period
        self.group_max_rate, self.group_period = group_max_rate, group_period
        self.max_retries = max_retries
        self._overall = _Window(overall_max_rate, overall_period)
        self._edit_limit = max(1, int(overall_max_rate * EDIT_SHARE))
        self._groups: dict[int | str, _Window] = {}
        # Set (and replaced) whenever a slot may have freed. No lock: the event loop runs each check to its end
        # before another task runs (a cancelled waiter under a Condition and wait_for could hang here).
        self._changed = asyncio.Event()
        self._resume_at = 0.0  # monotonic time until which a 429 pauses everything
        self.retries = 0  # 429s honoured (bench and tests read it)
        self.on_rate_limited: Callable[[], None] | None = None  # told of every 429 (the metrics count them)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        windows = self._windows_for(endpoint, data)
        attempts = (rate_limit_args if rate_limit_args is not None else self.max_retries) + 1
        low = endpoint.startswith("edit")
        for attempt in range(attempts):
            await self._acquire(windows, low)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_seconds(error)
                if self.on_rate_limited is not None:
                    self.on_rate_limited()
                if attempt == attempts - 1:
                    raise
                self.retries += 1
                log.warning("Telegram asked to slow down: waiting %.1f s before retrying %s", wait, endpoint)
                self._resume_at = max(self._resume_at, time.monotonic() + wait + RETRY_MARGIN)
            finally:
                await self._release(windows)
        raise AssertionError("unreachable")

    def _windows_for(self, endpoint: str, data: dict[str, Any]) -> list[_Window]:
        if not endpoint.startswith(LIMITED_PREFIXES) or data.get("chat_id") is None:
            return []
        windows = [self._overall] if self.overall_max_rate else []
        chat_id: Any = data["chat_id"]
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        if self.group_max_rate and (isinstance(chat_id, str) or chat_id < 0):
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = _Window(self.group_max_rate, self.group_period)
            windows.append(group)
        return windows

    async def _acquire(self, windows: list[_Window], low: bool = False) -> None:
        """A slot in every window. A send that only one window holds up is counted there, and an edit (`low`)
        does not take that window's slots while any such send waits: edits never delay sends."""
        counted: _Window | None = None
        try:
            while True:
                now = time.monotonic()
                waits = [w.wait_time(now, self._edit_limit if low and w is self._overall else None)
                         for w in windows]
                blocked = [w for w, wait in zip(windows, waits, strict=True) if wait != 0.0]
                wanted = blocked[0] if not low and len(blocked) == 1 else None
                if wanted is not counted:
                    if counted is not None:
                        counted.sends_waiting -= 1
                    if wanted is not None:
                        wanted.sends_waiting += 1
                    counted = wanted
                    self._notify()
                pause = self._resume_at - now
                yielding = low and any(w.sends_waiting for w in windows)
                if pause <= 0 and not blocked and not yielding:
                    for window in windows:
                        window.in_flight += 1
                    return
                timed = [w for w in waits if w] + ([pause] if pause > 0 else [])
                # Wake when a slot frees by time, or earlier when a request is answered or a send got its slot.
                changed = self._changed
                with contextlib.suppress(TimeoutError):  # asyncio.timeout: no inner task to cancel
                    async with asyncio.timeout(max(timed) if timed and not yielding else None):
                        await changed.wait()
        finally:
            if counted is not None:
                counted.sends_waiting -= 1
                self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _release(self, windows: list[_Window]) -> None:
        if not windows:
            return
        now = time.monotonic()
        for window in windows:
            window.in_flight -= 1
            window.done.append(now)
        self._notify()
        if len(self._groups) > 512:  # forget idle groups so the dict stays small
            for key, window in list(self._groups.items()):
                if not window.in_flight and window.wait_time(now) == 0.0 and not window.done:
                    del self._groups[key]


class ChatQueues:
    """Answers to one chat go out in order, each chat on its own.

    An update in a group hands its answer to the group's queue and is done: a group at its 20-a-minute limit
    then delays only its own answers, never the update slots everybody else's messages need.
    """

    def __init__(self, grace: float = 5.0) -> None:
        self.grace = grace  # seconds queued answers may still go out when the bot stops
        self._jobs: dict[int, deque[Callable[[], Awaitable[None]]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}

    def submit(self, chat_id: int, job: Callable[[], Awaitable[None]]) -> None:
        self._jobs.setdefault(chat_id, deque()).append(job)
        if chat_id not in self._workers:
            self._workers[chat_id] = asyncio.create_task(self._run(chat_id), name="telegram-chat-queue")

    def waiting(self, chat_id: int) -> int:
        """Jobs of this chat not yet started (tests and the bench read it)."""
        return len(self._jobs.get(chat_id, ()))

    async def _run(self, chat_id: int) -> None:
        jobs = self._jobs[chat_id]
        try:
            while jobs:
                job = jobs.popleft()
                try:
                    await job()
                except Exception:  # a job reports its own failures; this keeps the chat's queue going
                    log.exception("telegram: a queued answer to chat %s failed", chat_id)
        finally:  # no await between the last check and here: a job submitted now starts a new worker
            self._workers.pop(chat_id, None)
            self._jobs.pop(chat_id, None)

    async def stop(self) -> None:
        """Let queued answers go out for a moment, then drop the rest (a group can wait up to a minute)."""
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(workers, timeout=self.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._jobs.clear()
        self._workers.clear()


class PerPersonUpdates(BaseUpdateProcessor):
    """Updates of different people run concurrently, each person's in the order they came.

    Sequential processing (PTB's default) lets one slow send (a group at its 20-a-minute limit, a 429
    pause, Telegram's ~100 ms round trip) hold up everybody; fully concurrent processing could answer a
    prompt before the command that asked it. Tasks reach their person's FIFO lock in arrival order, so
    order per person is kept.
    """

    # 8 at once: enough that a few sends waiting on a group's limit don't stall the rest, few enough that
    # the HTTP pool and the event loop are not flooded (bench/telegram_e2e.py: 64 -> 8 is +35% updates/s).
    def __init__(self, max_concurrent_updates: int = 8) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # key -> (lock, [holders and waiters])

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _person_of(update)
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if not users[0]:
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _person_of(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return 0
