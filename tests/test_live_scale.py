"""Live copies at scale (bot/live.py): one render per language per version, a cap on edits in flight.

Counts only: the view handler's calls, `render_reply`'s calls per language, the edits the frontend is asked
for and how many are under way at once (the console frontend's edit, held open until released).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

import bot.live
from bot.commands import Cog, Rendered, Reply
from bot.context import ServiceContext
from bot.frontends.base import Sent
from bot.testing import ConsoleBot, make_config, test_bot

COPIES = 60
views = Cog("livescale", "Live scale test")
STATE = {"version": 0, "views": 0}


@views.view("thing")
async def thing_view(ctx: ServiceContext, thing_id: int) -> Reply:
    STATE["views"] += 1
    return Reply(f"Thing {thing_id} at version {STATE['version']}", title="Thing")


class HeldEdits:
    """Replaces the console's edit: counts edits and how many run at once; each waits until released."""

    def __init__(self, bot: ConsoleBot) -> None:
        self.in_flight = 0
        self.most = 0
        self.shown: dict[str, str] = {}  # message id -> the text its last edit showed
        self.edits = 0
        self.gate = asyncio.Event()
        self.full = asyncio.Event()  # set once `concurrency` edits are under way
        self.cap = bot.app.live.concurrency
        bot.app.frontends["console"].edit = self.edit  # type: ignore[method-assign]

    async def edit(self, sent: Sent, message: Rendered) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight == self.cap:
            self.full.set()
        try:
            await self.gate.wait()
            self.shown[sent.message_id] = message.plain_text()
            self.edits += 1
        finally:
            self.in_flight -= 1


@pytest.fixture
async def lbot() -> AsyncIterator[ConsoleBot]:
    STATE.update(version=0, views=0)
    config = make_config(["ping"], live_edit_seconds=0.0, live_dm_copies=1000)
    async with test_bot(config=config, extra_cogs=(views,)) as console:
        for number in range(COPIES):  # copies in direct chats, every other one read in English
            await console.app.live.remember(("thing", 1), "console", Sent(f"@p{number}", str(1000 + number)),
                                            ("fi", "en")[number % 2], None, direct=True)
        yield console


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counted: Counter[str] = Counter()
    original = bot.live.render_reply

    def counting(reply: Reply, language: str) -> Rendered:
        counted[language] += 1
        return original(reply, language)

    monkeypatch.setattr(bot.live, "render_reply", counting)
    return counted


async def test_one_render_per_language_per_version_whatever_the_copies(lbot: ConsoleBot,
                                                                       renders: Counter[str]) -> None:
    held = HeldEdits(lbot)
    held.gate.set()
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await lbot.app.live.settle()
    assert held.edits == COPIES
    assert set(held.shown.values()) == {"Thing\nThing 1 at version 1"}
    assert STATE["views"] == 1 and renders == {"fi": 1, "en": 1}


async def test_at_most_concurrency_edits_in_flight(lbot: ConsoleBot) -> None:
    held = HeldEdits(lbot)
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await asyncio.wait_for(held.full.wait(), 10)
    for _turn in range(20):  # a chance to launch more, which it must not take
        await asyncio.sleep(0)
    assert held.in_flight == lbot.app.live.concurrency == 8
    held.gate.set()
    await lbot.app.live.settle()
    assert held.most == 8 and held.edits == COPIES


async def test_a_change_while_edits_run_is_shown_on_every_copy(lbot: ConsoleBot, renders: Counter[str]) -> None:
    held = HeldEdits(lbot)
    STATE["version"] = 1
    await lbot.app.live.changed("thing", 1)
    await asyncio.wait_for(held.full.wait(), 10)
    STATE["version"] = 2  # 8 copies are being edited with version 1; the other 52 have not started
    await lbot.app.live.changed("thing", 1)
    held.gate.set()
    await lbot.app.live.settle()
    assert set(held.shown.values()) == {"Thing\nThing 1 at version 2"} and len(held.shown) == COPIES
    # The 52 waiting copies skip version 1: only the 8 under way show it first.
    assert held.edits == COPIES + 8
    assert STATE["views"] == 2 and renders == {"fi": 2, "en": 2}
