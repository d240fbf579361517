"""The scenario driver for the console frontend."""

from __future__ import annotations

from bot.frontends.console import Printed
from tests.harness import ConsoleBot
from tests.scenarios.driver import Seen, Who


def _seen(printed: Printed) -> Seen:
    return Seen(printed.text, [label for label, _ in printed.buttons], printed.number, dict(printed.file_data))


class ConsoleDriver:
    def __init__(self, bot: ConsoleBot) -> None:
        self.bot = bot

    async def _become(self, who: Who) -> None:
        roles = ",".join(sorted(who.roles))
        await self.bot.line(f":as {who.name} {roles}".rstrip() if roles else f":as {who.name} ,")
        await self.bot.line(f":lang {who.language}")

    async def say(self, who: Who, text: str, *, where: str | None = None) -> list[Seen]:
        await self._become(who)
        await self.bot.line(f":channel {where}" if where else ":dm")
        return [_seen(p) for p in await self.bot.line(text) if p.kind in ("reply", "edit", "info") and p.text
                and (p.kind != "sent")]

    async def press(self, who: Who, message: Seen, label: str) -> list[Seen]:
        await self._become(who)
        index = next(i for i, text in enumerate(message.buttons, start=1) if label in text)
        printed = await self.bot.click(index, message=message.handle)
        return [_seen(p) for p in printed if p.kind in ("reply", "edit", "info")]

    async def current(self, message: Seen) -> Seen:
        return _seen(self.bot.message(message.handle))

    async def posted(self, destination: str) -> list[Seen]:
        numbers = dict.fromkeys(p.number for p in self.bot.sent_to(f"#{destination}"))
        return [_seen(self.bot.message(n)) for n in numbers]

    async def dms(self, who: Who) -> list[Seen]:
        numbers = dict.fromkeys(p.number for p in self.bot.sent_to(f"@{who.name.lower()}"))
        return [_seen(self.bot.message(n)) for n in numbers]

    async def wait(self, seconds: float) -> None:
        await self.bot.wait(seconds)
