"""The console frontend in headless mode as the main test fixture: say things as people, read replies."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bot.app import Application
from bot.clock import Clock
from bot.commands import Cog
from bot.config import Config, load_config
from bot.core import Core
from bot.frontends.console import ConsoleFrontend, Printed

ROOT = Path(__file__).resolve().parent.parent
# Thursday 26 November 2026, 14:00 in Helsinki: the tests' "now".
TEST_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_config(cogs: Iterable[str] | None = None, **bot_settings: object) -> Config:
    config = load_config(ROOT / "config.example.toml", env={})
    bot = config.bot
    if cogs is not None:
        bot = dataclasses.replace(bot, cogs=tuple(cogs))
    if bot_settings:
        bot = dataclasses.replace(bot, **bot_settings)
    return dataclasses.replace(config, bot=bot)


class ConsoleBot:
    """`await bot.say("/event list", as_="olli")` drives the real command path through the console."""

    def __init__(self, app: Application, console: ConsoleFrontend, output: io.StringIO) -> None:
        self.app = app
        self.console = console
        self.output = output

    @classmethod
    async def start(cls, data_dir: Path, config: Config | None = None, now: datetime = TEST_NOW,
                    extra_cogs: tuple[Cog, ...] = ()) -> ConsoleBot:
        app = Application(config or test_config(), data_dir, clock=Clock(frozen_at=now))
        if extra_cogs:  # test-only cogs go through the same registration as configured ones
            app.cogs += list(extra_cogs)
            app.core = Core(app, app.cogs)
        output = io.StringIO()
        console = ConsoleFrontend(app, out=output)
        app.add_frontend(console)
        await app.start()
        return cls(app, console, output)

    async def stop(self) -> None:
        await self.app.stop()

    async def line(self, text: str) -> list[Printed]:
        return await self.console.handle_line(text)

    async def say(self, text: str, as_: str | None = None, roles: str | None = None,
                  where: str | None = None) -> list[Printed]:
        if as_ is not None:
            await self.line(f":as {as_} {roles}" if roles is not None else f":as {as_}")
        if where is not None:
            await self.line(":dm" if where == "dm" else f":channel {where}")
        return [p for p in await self.line(text) if p.kind != "info" or p.text]

    async def click(self, index: int, message: int | None = None, as_: str | None = None) -> list[Printed]:
        if as_ is not None:
            await self.line(f":as {as_}")
        suffix = f" #{message}" if message is not None else ""
        return await self.line(f":click {index}{suffix}")

    async def wait(self, seconds: str | float) -> list[Printed]:
        return await self.line(f":wait {seconds}")

    async def script(self, text: str) -> list[Printed]:
        printed: list[Printed] = []
        for raw in text.strip().splitlines():
            printed += await self.line(raw)
        return printed

    def sent_to(self, where: str) -> list[Printed]:
        return [p for p in self.console.printed if p.where == where and p.kind in ("sent", "edit")]

    def message(self, number: int) -> Printed:
        return self.console.messages[str(number)]


def texts(printed: Iterable[Printed]) -> str:
    return "\n".join(p.text for p in printed)
