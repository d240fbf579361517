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

Who waits decides who goes first (`Lane`, passed as PTB's `rate_limit_args`): the answer to the person who
just wrote, then the outbox (notifications, broadcasts), then live edits. Waiting requests are granted one
at a time, most urgent first and in arrival order within a lane, each woken alone (no wake-all). Bulk
requests (outbox and edits) start at most one per `period / limit` seconds, so the overall window frees a
slot every ~33 ms rather than 30 at once a second later: an answer waits for the next free slot, never for a
whole window behind a broadcast.

The limits are the token's: several bot processes sending with one token (docs/operations.md) each keep to an
equal part of them (`share`, told the number of live processes by bot/workers.py every few seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

LIMITED_PREFIXES = ("send", "edit", "copy", "forward")  # methods Telegram counts against flood limits
RETRY_MARGIN = 0.1  # seconds added to retry_after, as Telegram's clock and ours differ a little
# Edits (live copies) use at most this share of the overall window: an outbox DM or an answer that arrives
# while thousands of edits wait finds a slot at once.
EDIT_SHARE = 0.8


class Lane(enum.Enum):
    """Whose request it is, most urgent first (the value ranks the waiters; never 0: PTB drops falsy args)."""

    REPLY = 1  # the answer to someone who just wrote or pressed a button
    SEND = 2  # the outbox: notifications, broadcasts, posts to destinations
    EDIT = 3  # live copies kept current


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

    def free(self, now: float, limit: int | None = None) -> bool:
        while self.done and self.done[0] <= now - self.period:
            self.done.popleft()
        return len(self.done) + self.in_flight < (self.limit if limit is None else limit)

    def frees_at(self) -> float | None:
        """When the oldest answered request leaves the window (None: only an answer frees a slot)."""
        return self.done[0] + self.period if self.done else None


@dataclass(eq=False)
class _Waiter:
    lane: Lane
    windows: list[_Window]
    granted: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class SlidingRateLimiter(BaseRateLimiter[Lane]):
    """`clock` is the monotonic time the windows count in; a test that moves it calls `wake()`."""

    def __init__(self, overall_max_rate: int = 30, overall_period: float = 1.0, group_max_rate: int = 20,
                 group_period: float = 60.0, max_retries: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.overall_max_rate, self.overall_period = overall_max_rate, overall_period
        self.group_max_rate, self.group_period = group_max_rate, group_period
        self.max_retries = max_retries
        self.clock = clock
        self._overall = _Window(overall_max_rate, overall_period)
        self._edit_limit = max(1, int(overall_max_rate * EDIT_SHARE))
        self._bulk_gap = overall_period / overall_max_rate if overall_max_rate else 0.0
        self._bulk_next = 0.0  # clock time before which no bulk request starts
        self._groups: dict[int | str, _Window] = {}
        self._group_limit = group_max_rate
        self.shared_by = 1  # processes sending with the same token (share)
        # Waiters per lane in arrival order (dicts: ordered, and a cancelled waiter leaves in O(1)).
        self._waiting: dict[Lane, dict[int, _Waiter]] = {lane: {} for lane in Lane}
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._resume_at = 0.0  # clock time until which a 429 pauses everything
        self.retries = 0  # 429s honoured (bench and tests read it)
        self.on_rate_limited: Callable[[], None] | None = None  # told of every 429 (the metrics count them)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def share(self, processes: int) -> None:
        """`processes` send with this token (several bot processes): the limits are the token's, so this one keeps
        to its part of each (at least one message per window); replies still go first within it."""
        processes = max(1, processes)
        if processes == self.shared_by:
            return
        self.shared_by = processes
        overall = max(1, self.overall_max_rate // processes)
        self._overall.limit = overall
        self._edit_limit = max(1, int(overall * EDIT_SHARE))
        self._bulk_gap = self.overall_period / overall if self.overall_max_rate else 0.0
        self._group_limit = max(1, self.group_max_rate // processes)
        for window in self._groups.values():
            window.limit = self._group_limit
        if any(self._waiting.values()):
            self._dispatch()  # a larger share lets waiters go now

    def waiting(self, lane: Lane | None = None) -> int:
        """Requests waiting for a slot (in one lane, or in all)."""
        return sum(len(self._waiting[each]) for each in Lane if lane is None or each is lane)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        windows = self._windows_for(endpoint, data)
        lane = rate_limit_args if isinstance(rate_limit_args, Lane) else (
            Lane.EDIT if endpoint.startswith("edit") else Lane.SEND)
        for attempt in range(self.max_retries + 1):
            if windows:
                await self._acquire(windows, lane)
            elif (pause := self._resume_at - self.clock()) > 0:  # a 429 pauses every request
                await asyncio.sleep(pause)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_seconds(error)
                if self.on_rate_limited is not None:
                    self.on_rate_limited()
                if attempt == self.max_retries:
                    raise
                self.retries += 1
                log.warning("Telegram asked to slow down: waiting %.1f s before retrying %s", wait, endpoint)
                self._resume_at = max(self._resume_at, self.clock() + wait + RETRY_MARGIN)
            finally:
                if windows:
                    self._release(windows)
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
                group = self._groups[chat_id] = _Window(self._group_limit, self.group_period)
            windows.append(group)
        return windows

    async def _acquire(self, windows: list[_Window], lane: Lane) -> None:
        waiter, arrival = _Waiter(lane, windows), next(self._arrivals)
        self._waiting[lane][arrival] = waiter
        self._dispatch()
        try:
            await waiter.granted  # no suspension when the dispatch above granted it
        except asyncio.CancelledError:
            self._waiting[lane].pop(arrival, None)
            if waiter.granted.done() and not waiter.granted.cancelled():  # granted, but never sent: give back
                for window in windows:
                    window.in_flight -= 1
            self._dispatch()
            raise

    def _release(self, windows: list[_Window]) -> None:
        now = self.clock()
        for window in windows:
            window.in_flight -= 1
            window.done.append(now)
        self._dispatch()  # a slot held by an answer only now has a time at which it frees
        if len(self._groups) > 512:  # forget idle groups so the dict stays small
            for key, window in list(self._groups.items()):
                if not window.in_flight and window.free(now) and not window.done:
                    del self._groups[key]

    def wake(self) -> None:
        """Look again which waiting requests may go (the limiter's timer does this when a slot frees)."""
        self._dispatch()

    def _dispatch(self) -> None:
        """Grant every waiter that may go now, most urgent first, each woken alone; then set one timer for
        the moment the next slot frees. A waiter held up by one window alone claims it: nobody behind it
        takes that window's next slot. One held up by two (a group at its limit, and the overall window)
        claims nothing, so a closed group never holds up other chats."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not any(self._waiting.values()):
            return
        now = self.clock()
        wake_at: list[float] = []
        if self._resume_at > now:
            wake_at.append(self._resume_at)
        else:
            self._grant(now, wake_at)
        if wake_at:
            self._timer = asyncio.get_running_loop().call_later(max(0.0, min(wake_at) - now), self._dispatch)

    def _grant(self, now: float, wake_at: list[float]) -> None:
        claimed: set[_Window] = set()
        for lane in Lane:
            if lane is not Lane.REPLY and self._bulk_next > now:  # every bulk request waits for its pace
                wake_at.append(self._bulk_next)
                return
            waiters = self._waiting[lane]
            granted: list[int] = []
            try:
                for arrival, waiter in waiters.items():
                    limit = self._edit_limit if lane is Lane.EDIT else None
                    full = [w for w in waiter.windows if not w.free(now, limit if w is self._overall else None)]
                    if not full and claimed.isdisjoint(waiter.windows):
                        for window in waiter.windows:
                            window.in_flight += 1
                        granted.append(arrival)
                        waiter.granted.set_result(None)
                        if lane is not Lane.REPLY:  # one bulk request per pace; a late timer's delay is made
                            # up once, so the pace does not drift below the rate under a busy event loop
                            self._bulk_next = max(now - self._bulk_gap, self._bulk_next) + self._bulk_gap
                            if self._bulk_gap:
                                wake_at.append(self._bulk_next)
                                return
                        continue
                    wake_at.extend(t for w in full if (t := w.frees_at()) is not None)
                    if len(full) == 1:
                        claimed.add(full[0])
                    if self.overall_max_rate and (self._overall in claimed or not self._overall.free(now)):
                        return  # every waiter needs the overall window: nobody further back can go now
            finally:
                for arrival in granted:
                    del waiters[arrival]


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
