"""The Telegram rate limiter's order: answers first, then the outbox, then live edits; each waiter woken alone,
in arrival order within its lane. The limiter's clock is a counter the test moves, so which request goes
depends on counts and order, never on how fast the machine runs."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.frontends.telegram_limits import Lane, SlidingRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the limiter never got there")


async def test_waiters_are_woken_one_at_a_time_answers_first_then_in_arrival_order() -> None:
    clock = Clock()
    limiter = SlidingRateLimiter(overall_max_rate=1, overall_period=600.0, clock=clock)
    went: list[str] = []

    def request(name: str, lane: Lane) -> asyncio.Task[Any]:
        async def callback() -> bool:
            went.append(name)
            return True

        endpoint = "editMessageText" if lane is Lane.EDIT else "sendMessage"
        return asyncio.create_task(limiter.process_request(callback, (), {}, endpoint, {"chat_id": 7}, lane))

    first = request("first", Lane.SEND)
    await first  # the window (1 in 600 s) is full until the clock passes 600
    queued = [("edit 1", Lane.EDIT), ("send 1", Lane.SEND), ("edit 2", Lane.EDIT), ("reply 1", Lane.REPLY),
              ("send 2", Lane.SEND), ("reply 2", Lane.REPLY)]
    tasks = []
    for name, lane in queued:
        tasks.append(request(name, lane))
        await until(lambda: limiter.waiting() == len(tasks))
    assert went == ["first"]
    for step in range(1, len(queued) + 1):
        clock.now = 601.0 * step  # the last answer left the window, and the outbox's pace allows one more
        limiter.wake()
        await until(lambda: len(went) == step + 1)  # noqa: B023 (awaited at once)
        await asyncio.sleep(0.05)  # nobody else was woken meanwhile
        assert len(went) == step + 1 and limiter.waiting() == len(queued) - step
    assert went == ["first", "reply 1", "reply 2", "send 1", "send 2", "edit 1", "edit 2"]
    await asyncio.gather(*tasks)


async def test_a_closed_group_holds_up_only_its_own_chat() -> None:
    clock = Clock()
    limiter = SlidingRateLimiter(overall_max_rate=30, group_max_rate=1, group_period=600.0, clock=clock)
    went: list[int] = []

    def request(chat_id: int, lane: Lane) -> asyncio.Task[Any]:
        async def callback() -> bool:
            went.append(chat_id)
            return True

        return asyncio.create_task(limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat_id},
                                                           lane))

    await request(-100, Lane.REPLY)
    waiting = request(-100, Lane.REPLY)  # the group's window is closed for 600 s
    await until(lambda: limiter.waiting(Lane.REPLY) == 1)
    await request(42, Lane.SEND)  # a DM behind it goes at once
    assert went == [-100, 42]
    clock.now = 601.0
    limiter.wake()
    await waiting
    assert went == [-100, 42, -100]
