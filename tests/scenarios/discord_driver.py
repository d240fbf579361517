"""The scenario driver for Discord: the real Application and real discord.py against FakeDiscord.

A typed line becomes what a Discord user would send: "/ping moi" a slash interaction with typed options
(long-text parameters through the modal the bot opens), a press a component interaction, any other line a
DM message. Who.roles become fake guild roles whose ids the test config maps to our roles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.clock import Clock
from bot.commands import Cog, CommandSpec, Kind
from bot.config import Config
from bot.core import Core
from bot.frontends.discord import DiscordFrontend
from bot.i18n import _, render
from bot.textargs import is_command, parse_args, split_command
from bot.timeparse import parse_when
from tests.fakes.discord_server import (
    Call,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    default_guild,
)
from tests.harness import TEST_NOW, test_config
from tests.scenarios.driver import Seen, Who

EXTRA_ROLE_ID = 1100000000000000100  # for roles the example config gives only by user id
FIRST_USER_ID = 600000000000000001


def with_role_ids(config: Config) -> Config:
    """Every role held through a guild role, so a scenario's Who.roles become the member's roles."""
    roles = {}
    for index, (name, source) in enumerate(sorted(config.roles.items())):
        ids = source.discord_role_ids or (EXTRA_ROLE_ID + index,)
        roles[name] = dataclasses.replace(source, discord_role_ids=ids, discord_user_ids=())
    return dataclasses.replace(config, roles=roles)


def discord_config(fake: FakeDiscord, config: Config, *, sync: str = "guild") -> Config:
    """The config pointed at the fake: its guild, its token and `discord.api_base`."""
    discord = dataclasses.replace(config.discord, enabled=True, guild_ids=(fake.guild.id,), sync=sync,
                                  api_base=fake.base_url)
    secrets = dataclasses.replace(config.secrets, discord_token=fake.token)
    return dataclasses.replace(config, discord=discord, secrets=secrets)


def guild_for(config: Config) -> FakeGuild:
    """The fake's default guild plus a role per configured role and a channel per destination."""
    guild = default_guild()
    for name, source in sorted(config.roles.items()):
        guild.roles.extend(FakeRole(role_id, name) for role_id in source.discord_role_ids)
    for position, (name, destination) in enumerate(sorted(config.destinations.items()), start=10):
        if destination.discord_channel_id:
            guild.channels.append(FakeChannel(destination.discord_channel_id, name, position=position))
    return guild


class DiscordBot:
    """The whole bot on the fake: `fake` records every call, `frontend` is the one under test."""

    def __init__(self, fake: FakeDiscord, app: Application, frontend: DiscordFrontend) -> None:
        self.fake, self.app, self.frontend = fake, app, frontend
        self.driver = DiscordDriver(self)

    @classmethod
    async def start(cls, data_dir: Path, config: Config | None = None, *, sync: str = "guild",
                    now: datetime = TEST_NOW, fake: FakeDiscord | None = None,
                    extra_cogs: Sequence[Cog] = ()) -> DiscordBot:
        base = with_role_ids(config or test_config())
        if fake is None:
            fake = await FakeDiscord(guild_for(base)).start()
        app = Application(discord_config(fake, base, sync=sync), data_dir, clock=Clock(frozen_at=now))
        if extra_cogs:  # test-only cogs, registered like the configured ones
            app.cogs = [*app.cogs, *extra_cogs]
            app.core = Core(app, app.cogs)
        frontend = DiscordFrontend(app, guild_ready_timeout=0.05)
        frontend.member_cache_seconds = 0.0  # scenarios change roles between lines
        app.add_frontend(frontend)
        try:
            await app.start()
        except BaseException:
            await fake.stop()
            raise
        return cls(fake, app, frontend)

    async def stop(self, *, keep_fake: bool = False) -> None:
        try:
            await self.app.stop()
        finally:
            if not keep_fake:
                await self.fake.stop()


class DiscordDriver:
    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.fake = bot.fake
        self.app = bot.app
        self.users: dict[str, int] = {}
        self.modals: dict[int, dict[str, Any]] = {}  # per user: a modal a press opened, for refill()

    # ------------------------------------------------------------------------------------------ people

    def _user(self, who: Who) -> int:
        key = who.name.lower()
        user_id = self.users.setdefault(key, FIRST_USER_ID + len(self.users))
        role_ids = [rid for role in sorted(who.roles) for rid in self.app.config.roles[role].discord_role_ids]
        member = self.fake.guild.member(user_id)
        if member is None:
            user = FakeUser(user_id, key, global_name=who.name)
            self.fake.users[user_id] = user
            self.fake.guild.members.append(FakeMember(user, role_ids))
        else:
            member.roles = role_ids
        return user_id

    @staticmethod
    def _locale(who: Who) -> str:
        return "en-GB" if who.language == "en" else "fi"

    # ---------------------------------------------------------------------------------------- actions

    async def say(self, who: Who, text: str, *, where: str | None = None) -> list[Seen]:
        user_id = self._user(who)
        spec, rest = self._find(text)
        if spec is None:
            assert where is None, "on Discord the bot reads plain messages only in DMs"
            return await self._dm_message(user_id, text)
        channel_id = self.app.config.destinations[where].discord_channel_id if where else None
        place = {"user_id": user_id, "channel_id": channel_id, "dm": where is None, "locale": self._locale(who)}
        options, long_texts = self._options(spec, rest, who)
        handle = await self.fake.slash(spec.full_name, options, **place)
        await self.bot.frontend.wait_handled(handle.id)
        tokens = [handle.token]
        answer = await handle.response()
        if answer.json.get("type") == 9:  # the bot opened a modal for the long texts
            submit = await self.fake.submit_modal(answer.json["data"]["custom_id"], long_texts, **place)
            await self.bot.frontend.wait_handled(submit.id)
            tokens.append(submit.token)
        await self.app.settle()
        return self._seen_for(tokens)

    def _find(self, text: str) -> tuple[CommandSpec | None, str]:
        if not is_command(text):
            return None, text
        line = split_command(text)
        return self.app.core.find(line.words, line.rest)

    def _options(self, spec: CommandSpec, rest: str, who: Who) -> tuple[dict[str, Any], dict[str, str]]:
        config = self.app.config
        lang = "en" if who.language == "en" else "fi"
        raw = parse_args(spec, rest, lambda t: parse_when(t, lang, config.tz, self.app.clock.now()) is not None)
        options: dict[str, Any] = {}
        long_texts: dict[str, str] = {}
        for name, value in raw.items():
            param = spec.param(name)
            assert param is not None
            if param.kind is Kind.LONG_TEXT:
                long_texts[name] = value
            elif param.kind is Kind.INTEGER and value.lstrip("-").isdigit():
                options[name] = int(value)  # Discord sends integer options as numbers
            elif param.kind is Kind.USER:
                options[name] = self._user(Who(value.lstrip("@")))
            elif param.kind is Kind.CHOICE:
                options[name] = next((c.value for c in param.choices(config) if value.casefold() in
                                      {c.value.casefold(), *(render(c.label, x).casefold() for x in ("fi", "en"))}),
                                     value)
            else:
                options[name] = value
        return options, long_texts

    async def _dm_message(self, user_id: int, text: str) -> list[Seen]:
        channel_id = self.fake.dm_channel_for(user_id)
        message_id = self.fake._ids.next()
        payload = {
            "id": str(message_id), "channel_id": str(channel_id), "author": self.fake.users[user_id].to_payload(),
            "content": text, "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 0, "flags": 0,
        }
        self.fake.messages.setdefault(channel_id, {})[message_id] = payload
        await self.fake.wait_until_connected()
        await self.fake.dispatch("MESSAGE_CREATE", payload)
        await self.bot.frontend.wait_handled(message_id)
        await self.app.settle()
        replies = [c.response for c in self.fake.calls_to("POST", rf"^/channels/{channel_id}/messages$")
                   if c.status == 200
                   and str(((c.json or {}).get("message_reference") or {}).get("message_id")) == str(message_id)]
        return [self._seen(int(r["id"])) for r in replies]

    async def press(self, who: Who, message: Seen, label: str) -> list[Seen]:
        user_id = self._user(who)
        stored = self.fake.message(message.handle)
        assert stored is not None, "the message is gone"
        custom_id = next(b["custom_id"] for row in stored["components"] for b in row["components"]
                         if label in b.get("label", "") and "custom_id" in b)
        handle = await self.fake.press(custom_id, message_id=message.handle, user_id=user_id,
                                       locale=self._locale(who))
        await self.bot.frontend.wait_handled(handle.id)
        await self.app.settle()
        answer = await handle.response()
        if answer.json.get("type") == 9:  # the press opened a modal: refill() answers it
            self.modals[user_id] = answer.json["data"]
        return self._seen_for([handle.token])

    async def refill(self, who: Who, asked: list[Seen], changes: Mapping[str, str]) -> list[Seen]:
        """The reopened form's modals, round by round: each field keeps what the modal was filled in with
        (a text's value, a select's default option) unless `changes` names it; a round's "Fill in" opens the next."""
        user_id = self._user(who)
        place = {"user_id": user_id, "dm": True, "locale": self._locale(who)}
        seen = asked
        for _round in range(10):
            modal = self.modals.pop(user_id, None)
            if modal is None:
                return seen
            values = {name: ([changes[name]] if isinstance(kept, list) else changes[name]) if name in changes else kept
                      for name, kept in _modal_values(modal).items()}
            submit = await self.fake.submit_modal(modal["custom_id"], values, **place)
            await self.bot.frontend.wait_handled(submit.id)
            await self.app.settle()
            seen = self._seen_for([submit.token])
            fill_in = render(_("Fill in"), "en" if who.language == "en" else "fi")
            more = next((s for s in seen if any(fill_in in b for b in s.buttons)), None)
            if more is not None:
                seen = await self.press(who, more, fill_in)
        raise AssertionError("the form did not end")

    # ------------------------------------------------------------------------------------------ reading

    async def current(self, message: Seen) -> Seen:
        return self._seen(message.handle)

    async def posted(self, destination: str) -> list[Seen]:
        channel_id = self.app.config.destinations[destination].discord_channel_id
        assert channel_id is not None
        return [self._seen(int(m["id"])) for m in self.fake.channel_messages(channel_id) if _sent_on_its_own(m)]

    async def dms(self, who: Who) -> list[Seen]:
        channel_id = self.fake.dm_channel_for(self._user(who))
        return [self._seen(int(m["id"])) for m in self.fake.channel_messages(channel_id)
                if _sent_on_its_own(m) and int(m["author"]["id"]) == self.fake.bot.id]

    async def wait(self, seconds: float) -> None:
        await self.app.scheduler.advance(seconds)
        await self.app.settle()

    def _seen_for(self, tokens: list[str]) -> list[Seen]:
        """Every message an interaction created or changed (answer, edit, follow-ups), as it looks now."""
        ids: dict[int, None] = {}
        for call in self.fake.calls:
            if call.status not in (200, 204) or not any(token in call.path for token in tokens):
                continue
            if call.made is not None:  # an interaction callback (Discord answers 204 unless asked for the result)
                ids[call.made] = None
                continue
            body = call.response or {}
            if "id" in body:
                ids[int(body["id"])] = None
        return [self._seen(i) for i in ids if self.fake.message(i) is not None]

    def _seen(self, message_id: int) -> Seen:
        message = self.fake.message(message_id)
        assert message is not None, f"message {message_id} is gone"
        parts = [message.get("content") or ""]
        for embed in message.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        labels = [b.get("label", "") for row in message.get("components") or [] for b in row.get("components", [])]
        return Seen("\n".join(p for p in parts if p), labels, message_id, self._files(message))

    def _files(self, message: dict[str, Any]) -> dict[str, bytes]:
        wanted = {a["filename"] for a in message.get("attachments") or []}
        found: dict[str, bytes] = {}
        for call in self.fake.calls:
            for upload in call.files:
                if upload.filename in wanted and _answered_with(call, message["id"]):
                    found[upload.filename] = upload.data
        return found


def _modal_values(modal: dict[str, Any]) -> dict[str, Any]:
    """What an opened modal was filled in with: a text input's value, a select's default option (a list, as a
    select answers)."""
    found: dict[str, Any] = {}
    for item in modal.get("components") or []:
        inner = [item["component"]] if item.get("type") == 18 else item.get("components") or []
        for component in inner:
            if "custom_id" not in component:
                continue
            if component.get("type") == 3:
                found[component["custom_id"]] = [o["value"] for o in component.get("options") or [] if o.get("default")]
            else:
                found[component["custom_id"]] = component.get("value") or ""
    return found


def _answered_with(call: Call, message_id: str) -> bool:
    """Whether the request made or changed this message (an interaction callback, a follow-up, an edit)."""
    if call.made is not None:
        return str(call.made) == message_id
    return isinstance(call.response, dict) and call.response.get("id") == message_id


def _sent_on_its_own(message: dict[str, Any]) -> bool:
    """Not an interaction answer, not a reply to the person's DM."""
    return "webhook_id" not in message and "message_reference" not in message
