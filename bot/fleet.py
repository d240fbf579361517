"""One person's updates spread over several processes (Telegram's webhook behind a proxy, on PostgreSQL).

A prompt waiting for a person's answer (a command asking for a missing parameter, `ctx.ask`; a direct message
held while its writer picks one of their conversations) lives in the memory of the process that asked it: its
`Pending` holds converted values and choices that need not survive a restart.
So it stays there, and the database says which process holds it (`prompt_owners`, written before the question
goes out); a process that receives an update of that person while another live process holds their prompt hands
the update over (bot/frontends/telegram_fleet.py) and the owner processes it as if it had arrived there. The
per-person rate is kept in the database then, so it holds over all processes.

In one process (SQLite, polling, or a webhook served by one process) none of this runs: the core keeps both in
memory, as it always has.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core import Verdict, judge
from storage.fleet import FleetQueries

if TYPE_CHECKING:
    from bot.app import Application

__all__ = ["Fleet", "PromptOwners", "SharedRate", "spreads_updates"]

SPREAD_PLATFORMS = frozenset({"telegram"})  # Discord's gateway keeps a person's DMs and guild on one process


def spreads_updates(app: Application) -> bool:
    """Whether this process is one of several that may each receive a person's updates: Telegram in webhook mode
    on PostgreSQL (the database several processes share)."""
    return (app.db.dialect == "postgresql" and "telegram" in app.frontends
            and app.config.telegram.mode == "webhook")


class SharedRate:
    """The core's per-person rate (bot/core.py `RateLimiter`), its hit times in the database: one window per
    person over all processes. A person's row is locked while it is judged, so two processes count in turn."""

    def __init__(self, queries: FleetQueries, limit: int, seconds: float) -> None:
        self.queries, self.limit, self.seconds = queries, limit, seconds

    async def check(self, person_id: int, now: float) -> Verdict:
        async with self.queries.db.transaction(serialized=False):
            times, told = await self.queries.rate_hits(person_id)
            hits = deque(times)
            verdict, told_now = judge(hits, told, now, self.limit, self.seconds)
            if verdict is not Verdict.SILENT:  # silent: nothing changed
                await self.queries.set_rate_hits(person_id, list(hits), told_now)
        return verdict


class PromptOwners:
    """Which open prompts this process holds, kept in the database for the other processes."""

    def __init__(self, app: Application, queries: FleetQueries) -> None:
        self.app, self.queries = app, queries
        self.published: dict[tuple[str, str, str], datetime] = {}  # key -> the expiry written

    async def sync(self, key: tuple[str, str, str], expires: datetime | None) -> None:
        """Write this account's open prompt (open until `expires`) as ours, or remove our row once nothing waits
        for the account's answer here (None: answered or cancelled)."""
        platform, chat_id, user_id = key
        if platform not in SPREAD_PLATFORMS:
            return
        if expires is not None:
            if self.published.get(key) != expires:
                await self.queries.own_prompt(platform, chat_id, user_id, self.app.worker.id, expires)
                self.published[key] = expires
        elif self.published.pop(key, None) is not None:
            await self.queries.drop_prompt(platform, chat_id, user_id, self.app.worker.id)

    async def expire(self, now: datetime) -> None:
        """Prompts that expired unanswered are no longer ours to be handed answers for."""
        for key, expires in list(self.published.items()):
            if expires <= now:
                del self.published[key]
                await self.queries.drop_prompt(*key, self.app.worker.id)

    async def drop_all(self) -> None:
        """This process stops: its prompts go with its memory, and the others stop handing it answers."""
        self.published.clear()
        await self.queries.drop_prompts_of(self.app.worker.id)


class Fleet:
    def __init__(self, app: Application) -> None:
        self.queries = FleetQueries(app.db)
        self.rate = SharedRate(self.queries, app.config.bot.command_rate, app.config.bot.command_rate_seconds)
        self.prompts = PromptOwners(app, self.queries)
