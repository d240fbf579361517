"""Discord's pacing (bot/frontends/discord.py WindowLimiter): live edits are the lane that never delays sends."""

from __future__ import annotations

import asyncio

from bot.frontends.discord import WindowLimiter


async def test_a_send_goes_before_queued_edits() -> None:
    limiter = WindowLimiter(5, 600.0)  # a long window: nothing frees by time during the test
    order: list[str] = []

    async def request(name: str, low: bool) -> None:
        async with limiter.low() if low else limiter:
            order.append(name)

    edits = [asyncio.create_task(request(f"edit {n}", low=True)) for n in range(1, 8)]
    await asyncio.sleep(0)
    send = asyncio.create_task(request("send", low=False))
    await asyncio.wait_for(send, 5)
    assert order == ["edit 1", "edit 2", "edit 3", "edit 4", "send"]  # edits use at most 4 of 5 slots
    assert sum(not task.done() for task in edits) == 3
    for task in edits:
        task.cancel()
    await asyncio.gather(*edits, return_exceptions=True)


async def test_edits_wait_while_a_send_waits_for_the_window() -> None:
    limiter = WindowLimiter(2, 0.2)
    order: list[str] = []

    async def request(name: str, low: bool) -> None:
        async with limiter.low() if low else limiter:
            order.append(name)

    await request("send 1", low=False)
    await request("send 2", low=False)  # the window is full
    send = asyncio.create_task(request("send 3", low=False))
    await asyncio.sleep(0)
    edit = asyncio.create_task(request("edit", low=True))
    await asyncio.wait_for(asyncio.gather(send, edit), 10)
    assert order == ["send 1", "send 2", "send 3", "edit"]
