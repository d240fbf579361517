"""The scenario driver for Telegram: the real humako-bot and the real python-telegram-bot, a fake Bot API.

Each Who becomes a fake Telegram user whose app language is `who.language`. Roles come the Telegram way:
every role gets a team chat in the test config, and the driver makes the person a member of the team chats
of their roles (the frontend checks with getChatMember). Every destination maps to a fake group.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.clock import Clock
from bot.commands import Cog, Rendered
from bot.config import Config, Destination, RoleSource
from bot.core import Core
from bot.frontends.base import Sent, Target
from bot.frontends.telegram import TelegramFrontend
from bot.testing import refill_by_prompts
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, TgChat, TgUser
from tests.harness import TEST_NOW, test_config
from tests.scenarios.driver import Seen, Who

TEAM_CHAT_BASE = -1002000000000  # team chat of role number n: TEAM_CHAT_BASE - n
DESTINATION_CHAT_BASE = -1003000000000


def telegram_config(fake: FakeTelegram, config: Config | None = None, *, team_chats: bool = True) -> Config:
    """A test config pointed at the fake: token, Bot API URLs, a team chat per role, a group per destination."""
    config = config or test_config(live_edit_seconds=0.0)
    telegram = dataclasses.replace(config.telegram, base_url=fake.bot_api_url, base_file_url=fake.file_api_url,
                                   role_cache_seconds=0.0)
    secrets = dataclasses.replace(config.secrets, telegram_token=fake.token)
    roles = config.roles
    if team_chats:
        roles = {role: RoleSource(telegram_chat_ids=(TEAM_CHAT_BASE - index,))
                 for index, role in enumerate(sorted(config.roles), start=1)}
    destinations: dict[str, Destination] = {}
    for index, (name, destination) in enumerate(sorted(config.destinations.items()), start=1):
        chat_id = destination.telegram_chat_id or DESTINATION_CHAT_BASE - index
        destinations[name] = dataclasses.replace(destination, telegram_chat_id=chat_id, console_only=False)
    return dataclasses.replace(config, telegram=telegram, secrets=secrets, roles=roles, destinations=destinations)


class TelegramBot:
    """The application with the Telegram frontend on a fake Bot API, and a frozen clock."""

    def __init__(self, app: Application, fake: FakeTelegram, frontend: TelegramFrontend) -> None:
        self.app, self.fake, self.frontend = app, fake, frontend
        self.updates_sent = 0
        self.outbox_sent: list[Sent] = []  # what the outbox delivered (not replies)
        original = frontend.send

        async def recording_send(target: Target, message: Rendered) -> Sent:
            sent = await original(target, message)
            self.outbox_sent.append(sent)
            return sent

        frontend.send = recording_send  # type: ignore[method-assign]

    @classmethod
    async def start(cls, data_dir: Path, fake: FakeTelegram, config: Config | None = None,
                    now: datetime = TEST_NOW, extra_cogs: tuple[Cog, ...] = (), **frontend_args: Any) -> TelegramBot:
        app = Application(config or telegram_config(fake), data_dir, clock=Clock(frozen_at=now))
        if extra_cogs:  # test-only cogs go through the same registration as configured ones
            app.cogs += list(extra_cogs)
            app.core = Core(app, app.cogs)
        frontend = TelegramFrontend(app, poll_interval=0.0, poll_timeout=1, **frontend_args)
        frontend.group_edit_seconds = 0.0  # scenarios check what is edited; the pacing has its own tests
        app.add_frontend(frontend)
        await app.start()
        for name, destination in app.config.destinations.items():
            if destination.telegram_chat_id is not None:
                fake.group(destination.telegram_chat_id, name)
        return cls(app, fake, frontend)

    async def stop(self) -> None:
        await self.app.stop()

    def queued(self, count: int = 1) -> None:
        self.updates_sent += count

    async def settle(self) -> None:
        """Every queued update handled, then every delivery and live edit it caused done."""
        await self.frontend.wait_handled(self.updates_sent)
        await self.app.settle()

    def from_outbox(self, message: StoredMessage) -> bool:
        return Sent(str(message.chat_id), str(message.message_id)) in self.outbox_sent


def seen(message: StoredMessage, fake: FakeTelegram) -> Seen:
    labels = [button["text"] for button in message.buttons()]
    files: dict[str, bytes] = {}
    if message.document is not None:
        name, data = fake.files[message.document["file_id"]]
        files[name] = data
    return Seen(message.text or message.caption or "", labels, message, files)


class TelegramDriver:
    def __init__(self, bot: TelegramBot) -> None:
        self.bot = bot
        self.fake = bot.fake
        self.users: dict[str, TgUser] = {}
        self._ids = itertools.count(700_001)
        self._team_chats = {role: source.telegram_chat_ids[0]
                            for role, source in bot.app.config.roles.items() if source.telegram_chat_ids}

    def _become(self, who: Who) -> TgUser:
        user = self.users.get(who.name)
        if user is None or user.language_code != who.language:
            user_id = user.id if user is not None else next(self._ids)
            user = self.users[who.name] = self.fake.user(user_id, who.name, language_code=who.language)
        for role, chat_id in self._team_chats.items():
            self.fake.set_member(chat_id, user.id, "member" if role in who.roles else "left")
        return user

    def _chat_of(self, destination: str) -> TgChat:
        chat_id = self.bot.app.config.destinations[destination].telegram_chat_id
        assert chat_id is not None
        return self.fake.chats[chat_id]

    def _snapshot(self, chat_ids: list[int]) -> dict[int, tuple[int, dict[int, int]]]:
        return {chat_id: (len(self.fake.messages.get(chat_id, [])),
                          {id(m): len(m.history) for m in self.fake.bot_messages(chat_id)})
                for chat_id in chat_ids}

    def _changes(self, before: dict[int, tuple[int, dict[int, int]]]) -> list[Seen]:
        """Replies and edits since the snapshot, as the person sees them; outbox deliveries excluded."""
        found: list[Seen] = []
        for chat_id, (count, histories) in before.items():
            messages = self.fake.messages.get(chat_id, [])
            for message in messages[:count]:
                if message.from_bot and len(message.history) > histories.get(id(message), 0):
                    found.append(seen(message, self.fake))
            for message in messages[count:]:
                if message.from_bot and not self.bot.from_outbox(message):
                    found.append(seen(message, self.fake))
        return found

    async def say(self, who: Who, text: str, *, where: str | None = None) -> list[Seen]:
        user = self._become(who)
        chat = self._chat_of(where) if where else None
        before = self._snapshot(list(dict.fromkeys([chat.id if chat else user.id, user.id])))
        self.fake.send_text(user, text, chat=chat)
        self.bot.queued()
        await self.bot.settle()
        return self._changes(before)

    async def press(self, who: Who, message: Seen, label: str) -> list[Seen]:
        user = self._become(who)
        stored: StoredMessage = message.handle
        button = next(b for b in stored.buttons() if label in b["text"])
        if "url" in button:
            return [Seen(f"(a link: {button['url']})")]
        before = self._snapshot(list(dict.fromkeys([stored.chat_id, user.id])))
        press = self.fake.press(user, stored, button["callback_data"])
        self.bot.queued()
        await self.bot.settle()
        found = self._changes(before)
        answers = [c for c in self.fake.calls_of("answerCallbackQuery")
                   if c.params.get("callback_query_id") == press.query_id and c.params.get("text")]
        found += [Seen(str(call.params["text"])) for call in answers]
        return found

    async def refill(self, who: Who, asked: list[Seen], changes: Mapping[str, str]) -> list[Seen]:
        self._become(who)
        return await refill_by_prompts(self, self.bot.app, who, asked, changes)

    async def current(self, message: Seen) -> Seen:
        return seen(message.handle, self.fake)

    async def posted(self, destination: str) -> list[Seen]:
        chat = self._chat_of(destination)
        return [seen(m, self.fake) for m in self.fake.bot_messages(chat.id) if self.bot.from_outbox(m)]

    async def dms(self, who: Who) -> list[Seen]:
        user = self._become(who)
        return [seen(m, self.fake) for m in self.fake.bot_messages(user.id) if self.bot.from_outbox(m)]

    async def wait(self, seconds: float) -> None:
        await self.bot.app.scheduler.advance(seconds)
        await self.bot.settle()
