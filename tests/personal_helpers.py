"""Helpers for the scheduler, outbox and personal-feature tests: a fake second platform, restarts, rows."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.clock import Clock
from bot.commands import Rendered
from bot.context import Account, Chat
from bot.frontends.base import Frontend, Sent, Target, Unreachable
from bot.frontends.console import ConsoleFrontend
from tests.harness import ConsoleBot
from tests.harness import test_config as make_config


class FakeTelegram(Frontend):
    """A second platform with no network: records sends, or fails as told."""

    platform = "telegram"

    def __init__(self, app: Any, fail: list[Exception] | None = None, unreachable: bool = False) -> None:
        super().__init__(app)
        self.fail = list(fail or [])
        self.unreachable = unreachable
        self.sent: list[tuple[str, str]] = []
        self.attempts = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, message: Rendered) -> Sent:
        self.attempts += 1
        if self.unreachable:
            raise Unreachable("bot was blocked by the user")
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append((target.id, message.plain_text()))
        return Sent(target.id, str(len(self.sent)))

    async def edit(self, sent: Sent, message: Rendered) -> None:
        return None


async def start_with_telegram(data_dir: Path, now: datetime, **fake: Any) -> tuple[ConsoleBot, FakeTelegram]:
    """A console bot that also runs the fake Telegram frontend."""
    app = Application(make_config(), data_dir, clock=Clock(frozen_at=now))
    output = io.StringIO()
    console = ConsoleFrontend(app, out=output)
    app.add_frontend(console)
    telegram = FakeTelegram(app, **fake)
    app.add_frontend(telegram)
    await app.start()
    return ConsoleBot(app, console, output), telegram


async def say_on_telegram(bot: ConsoleBot, user_id: str, name: str, text: str) -> str:
    """A command typed on the fake Telegram, through the real core; returns the reply text (English/Finnish)."""
    from bot.commands import render_reply

    core = bot.app.core
    ctx = await core.context_for(Account("telegram", user_id), name, Chat("telegram", user_id, direct=True),
                                 frozenset())
    reply = await core.handle_text(ctx, text)
    assert reply is not None
    await bot.app.settle()
    return render_reply(reply, ctx.language).plain_text()


LINK_CODE = re.compile(r"\b([A-HJ-NP-Z2-9]{8})\b")


def link_code(text: str) -> str:
    match = LINK_CODE.search(text)
    assert match is not None, text
    return match.group(1)


async def rows(bot: ConsoleBot, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in await bot.app.db.fetchall(sql, params)]
