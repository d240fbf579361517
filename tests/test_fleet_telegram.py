"""Telegram with several bot processes on one database, in webhook mode behind one proxy: the token's flood limits
are shared between the live processes (bot/workers.py, telegram_limits.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.commands import Reply, render_reply
from bot.config import Config, WebSettings
from bot.frontends.base import Target
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.telegram_driver import TelegramBot, telegram_config

HANG_GUARD = 60.0  # a hang guard, not a timing assertion


def webhook_config(fake: FakeTelegram) -> Config:
    """Webhook mode through each process's own web server (port 0: each its own port, as behind a proxy)."""
    config = telegram_config(fake)
    webhook = dataclasses.replace(config.telegram, mode="webhook", webhook_url="https://bot.example.org/tg-hook")
    return dataclasses.replace(config, telegram=webhook,
                               web=WebSettings(enabled=True, port=0, base_url="https://bot.example.org"))


@asynccontextmanager
async def processes(tmp_path: Path, fake: FakeTelegram, count: int) -> AsyncIterator[list[TelegramBot]]:
    """`count` bot processes (applications) on one database, each a worker of its own."""
    config = webhook_config(fake)
    bots: list[TelegramBot] = []
    try:
        for _ in range(count):
            bots.append(await TelegramBot.start(tmp_path, fake, config))
        for each in bots:  # the ones started first count the later ones at their next beat: now, here
            await each.app.worker.present()
        yield bots
    finally:
        for each in bots:
            if each.app.started:
                await each.stop()


async def test_three_processes_keep_to_one_tokens_budget_together(tmp_path: Path) -> None:
    async with FakeTelegram() as fake, processes(tmp_path, fake, 3) as bots:
        assert [b.frontend.limiter.shared_by for b in bots] == [3, 3, 3]
        fake.flood_limit(per_second=30, per_group_per_minute=None)  # Telegram's limit for the one token
        people = [fake.user(7000 + n, f"Jäsen {n}", "fi") for n in range(90)]
        message = render_reply(Reply("Tiedote"), "fi")

        async def send_share(index: int, bot_: TelegramBot) -> None:  # 30 DMs from each process at once
            await asyncio.gather(*(bot_.frontend.send(Target("user", str(person.id)), message)
                                   for person in people[index::3]))

        await asyncio.wait_for(asyncio.gather(*(send_share(i, b) for i, b in enumerate(bots))), HANG_GUARD)
        assert sum(len(fake.bot_messages(person.id)) for person in people) == 90
        assert fake.flood_429s == 0  # alone, each would have sent 30 a second: 90 a second together
        # One stops: the other two count again and take half each.
        await bots[0].stop()
        for each in bots[1:]:
            await each.app.worker.present()
        assert [b.frontend.limiter.shared_by for b in bots[1:]] == [2, 2]


async def test_one_process_keeps_the_whole_budget(tmp_path: Path) -> None:
    async with FakeTelegram() as fake, processes(tmp_path, fake, 1) as [only]:
        limiter = only.frontend.limiter
        assert limiter.shared_by == 1 and limiter._overall.limit == 30 and limiter._group_limit == 20
