"""Discord: slash commands, embeds, buttons and modals through discord.py, translating to and from the core.

The frontend owns a `discord.Client` (intents: guilds, DMs, and guild messages with their content, for what
members write in conversation threads; no member list). Slash commands come from the neutral model
(discord_commands.py), replies are rendered by discord_render.py.

- An interaction is answered within Discord's 3 seconds: the core runs as a task and the interaction is
  deferred if it has not answered after `defer_after` seconds.
- Long-text parameters are asked in a modal, then the command runs with every value. Fields the core asks
  for (a form, a field to fix) open a modal too (discord_forms.py), where Discord allows one: in answer to a
  command or a press, not to a modal's submission (a "Fill in" button reopens it then).
- Private commands answer ephemerally wherever they are used (guild commands do not exist in DMs), so the
  context calls such a chat direct: nobody but the person sees the exchange.
- The outbox's sends and edits share one sliding-window limiter (`WindowLimiter`: at most 50 requests in any
  window of a little over a second, Discord's global limit); discord.py keeps the per-route buckets.
- `config.discord.api_base` points the REST API and the gateway elsewhere: a test fake or a self-hosted proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl

from bot.commands import (
    CHOICE_LABEL_MAX,
    Arrival,
    Button,
    CommandSpec,
    File,
    FormAsk,
    ParamSpec,
    Rendered,
    Reply,
    clip,
    render_reply,
)
from bot.context import Account, Chat, Context, Origin
from bot.frontends.base import Frontend, MessageGone, Rejected, RetryLater, Sent, Target, Unreachable
from bot.frontends.discord_answer import answer
from bot.frontends.discord_calendar import GuildCalendar
from bot.frontends.discord_commands import CatalogTranslator, build_tree, sync_if_changed
from bot.frontends.discord_forms import FieldsModal
from bot.frontends.discord_render import ActionButton, as_seen, message_parts
from bot.i18n import _, render

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

PLATFORM = "discord"


class RateLimitCounter(logging.Filter):
    """discord.py waits out a 429 itself and only logs it ("We are being rate limited. ..."): counted here,
    for the metrics. It lets every record through."""

    def __init__(self, count: Callable[[], None]) -> None:
        super().__init__()
        self.count = count

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("We are being rate limited."):
            self.count()
        return True
GLOBAL_PER_SECOND = 50  # Discord's global limit per bot
GLOBAL_WINDOW = 1.05  # seconds; a margin so that our window never straddles two of Discord's
EDIT_SHARE = 0.8  # live edits may use at most this share of the global window; sends always find room
MIN_EDIT_SECONDS = 1.0  # live edits of one message at most once a second (Discord's edit bucket is 5 / 5 s)
CLOSED_DMS = 50007  # "Cannot send messages to this user"
NO_ACCESS = {50001, 50013}  # missing access / permissions on a channel
GONE = {10003, 10008}  # unknown channel / unknown message
THREAD_NAME_MAX = 100


class WindowLimiter:
    """At most `limit` entries in any `window` seconds. Strict, unlike a token bucket, whose full bucket plus
    its refill lets nearly twice the rate through in one second.

    `async with limiter:` is the normal lane; `async with limiter.low():` (live edits) never takes a slot while
    a normal request waits, and uses at most EDIT_SHARE of the window, so edits never delay sends.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._times: deque[float] = deque()
        self._waiting = 0  # normal requests waiting for a slot
        self._changed = asyncio.Event()

    async def __aenter__(self) -> None:
        await self._enter(low=False)

    async def __aexit__(self, *exc: object) -> None:
        return None

    @contextlib.asynccontextmanager
    async def low(self) -> AsyncIterator[None]:
        await self._enter(low=True)
        yield

    async def _enter(self, low: bool) -> None:
        limit = max(1, int(self.limit * EDIT_SHARE)) if low else self.limit
        if not low:
            self._waiting += 1
        try:
            while True:  # no lock: each check runs to its end before another task runs
                now = time.monotonic()
                while self._times and self._times[0] <= now - self.window:
                    self._times.popleft()
                yielding = low and self._waiting > 0
                if len(self._times) < limit and not yielding:
                    self._times.append(now)
                    return
                timeout = None if yielding else self._times[len(self._times) - limit] + self.window - now
                changed = self._changed
                with contextlib.suppress(TimeoutError):  # asyncio.timeout: no inner task to cancel
                    async with asyncio.timeout(timeout):
                        await changed.wait()
        finally:
            if not low:
                self._waiting -= 1
                self._changed.set()  # edits held back re-check
                self._changed = asyncio.Event()


class HumakoClient(discord.Client):
    def __init__(self, frontend: DiscordFrontend, **options: Any) -> None:
        super().__init__(**options)
        self.frontend = frontend

    async def setup_hook(self) -> None:
        # Every button of ours, on any message (also from before a restart), reaches the frontend.
        self.add_dynamic_items(ActionButton)

    async def on_message(self, message: discord.Message) -> None:
        await self.frontend.on_message(message)

    async def on_member_join(self, member: discord.Member) -> None:
        await self.frontend.on_member_join(member)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        await self.frontend.on_member_update(before, after)


class HumakoShardedClient(HumakoClient, discord.AutoShardedClient):
    """This process's gateway shards (`[discord] shard_ids` of `shard_count`): guilds are divided between
    processes by discord.py's rule, (guild id >> 22) % shard_count; DMs come on shard 0."""


class DiscordFrontend(Frontend):
    platform = PLATFORM
    room_kind = "thread"

    def __init__(self, app: Application, *, guild_ready_timeout: float = 2.0) -> None:
        super().__init__(app)
        self.settings = app.config.discord
        self.defer_after = 2.0  # seconds before an unanswered interaction is deferred (Discord allows 3)
        # The configured pace of live edits, never faster than Discord's edit bucket allows.
        self.edit_interval = max(app.config.bot.live_edit_seconds, MIN_EDIT_SECONDS)
        self.member_cache_seconds = 60.0
        self.limiter = WindowLimiter(GLOBAL_PER_SECOND, GLOBAL_WINDOW)
        self.guild_ready_timeout = guild_ready_timeout
        self.client: HumakoClient | None = None
        self.tree: discord.app_commands.CommandTree[Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._patched: dict[str, Any] = {}
        self._members: dict[int, tuple[float, list[int]]] = {}
        self._locales: dict[int, str] = {}
        self._done: OrderedDict[int, None] = OrderedDict()
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self.calendar: GuildCalendar | None = None
        self._invite_uses: dict[str, int] = {}  # uses of the guilds' invites when last looked: a join's invite
        self._invite_lock = asyncio.Lock()
        self._rate_limits = RateLimitCounter(app.metrics.rate_limited.labels(PLATFORM).inc)

    # ---------------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        logging.getLogger("discord.http").addFilter(self._rate_limits)
        token = self.app.config.secrets.discord_token
        if not token:
            raise RuntimeError("the Discord frontend needs DISCORD_TOKEN")
        if self.settings.api_base:
            self._point_at(self.settings.api_base)
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True  # prompt answers in DMs (DM content needs no privileged intent)
        # What members write in a conversation's thread. Message content is a privileged intent: it must be
        # enabled for the application in the developer portal. Other guild messages are dropped unread.
        intents.guild_messages = True
        intents.message_content = True
        # Joins and given roles, when a cog hears them (@cog.on_arrival, @cog.on_role_given). A privileged
        # intent too: enable "Server Members" for the application in the developer portal.
        intents.members = self.app.core.wants_members
        # No message cache: what members write is handed on, not kept in memory (and nothing here needs it).
        # No pings unless a message asks for one: user text such as "@everyone <@&role>" is echoed inert.
        # discord.py merges this default into every send, edit, interaction response and follow-up.
        options: dict[str, Any] = {}
        kind: type[HumakoClient] = HumakoClient
        if self.settings.shard_count is not None:  # several processes share the gateway: this one's shards
            kind = HumakoShardedClient
            options = {"shard_count": self.settings.shard_count,
                       "shard_ids": list(self.settings.shard_ids) or None}  # none: all of them here
        client = kind(self, intents=intents, guild_ready_timeout=self.guild_ready_timeout, max_messages=None,
                      allowed_mentions=discord.AllowedMentions.none(), **options)
        self.client = client
        descriptions = {cog.name: cog.description for cog in self.app.cogs}
        self.tree = build_tree(client, list(self.app.core.commands.values()), descriptions, self.app.config,
                               self.run_command, self._complete)
        await self.tree.set_translator(CatalogTranslator())
        self.tree.on_error = self._tree_error  # type: ignore[method-assign]
        self._task = asyncio.create_task(client.start(token), name="discord")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _pending = await asyncio.wait({ready, self._task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            await self.stop()
            if self._task.done() and self._task.exception() is not None:
                raise self._task.exception()  # type: ignore[misc]
            raise RuntimeError("Discord did not become ready within 60 s")
        self.calendar = GuildCalendar(self.app.db, self.app.clock.now)
        if intents.members:
            await self._count_invites()
        if self._syncs_commands:
            await sync_if_changed(self.tree, self.settings.sync, self.settings.guild_ids,
                                  self.app.data_dir / "discord_commands.json")
        log.info("discord: ready as %s", client.user.id if client.user else "?")

    @property
    def _syncs_commands(self) -> bool:
        """One process of several registers the slash commands: the one with shard 0 (or the only one)."""
        return not self.settings.shard_ids or 0 in self.settings.shard_ids

    def health(self) -> str | None:
        if self.client is None or self.client.is_closed() or not self.client.is_ready():
            return "discord: not connected to the gateway"
        return None

    async def stop(self) -> None:
        logging.getLogger("discord.http").removeFilter(self._rate_limits)
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
        self._restore()

    def _point_at(self, api_base: str) -> None:
        """REST at {api_base}/api/v10, the gateway at ws://…/gateway, no CDN: for tests and self-hosting."""
        import discord.asset
        import discord.gateway
        import discord.http

        base = api_base.rstrip("/")
        self._patched = {"route": discord.http.Route.BASE,
                         "gateway": discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
                         "asset": discord.asset.Asset.BASE}
        discord.http.Route.BASE = f"{base}/api/v10"
        url = yarl.URL(base)
        scheme = "wss" if url.scheme == "https" else "ws"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = url.with_scheme(scheme) / "gateway"
        discord.asset.Asset.BASE = f"{base}/cdn"

    def _restore(self) -> None:
        import discord.asset
        import discord.gateway
        import discord.http

        if self._patched:
            discord.http.Route.BASE = self._patched["route"]
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._patched["gateway"]
            discord.asset.Asset.BASE = self._patched["asset"]
            self._patched = {}

    # ------------------------------------------------------------------------------------- output side

    def destination_chat(self, destination: str) -> str | None:
        target = self.app.config.destinations.get(destination)
        channel_id = target.discord_channel_id if target is not None else None
        return str(channel_id) if channel_id else None

    def preview(self, message: Rendered) -> str:
        return as_seen(message)

    async def send(self, target: Target, message: Rendered) -> Sent:
        client = self._client()
        try:
            if target.kind == "user":
                async with self.limiter:
                    channel: Any = await client.create_dm(discord.Object(int(target.id)))
            else:
                channel = client.get_partial_messageable(int(target.id))
            async with self.limiter:
                sent = await channel.send(**message_parts(message))
        except discord.Forbidden as error:
            raise Unreachable(f"discord {error.code}") from None
        except discord.NotFound as error:
            raise Unreachable(f"discord {error.code}") from None
        except discord.HTTPException as error:
            raise _retry_or_raise(error) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise RetryLater(type(error).__name__) from None
        await self._mirror_calendar(int(target.id), message)
        return Sent(str(sent.channel.id), str(sent.id))

    async def edit(self, sent: Sent, message: Rendered) -> None:
        partial = self._client().get_partial_messageable(int(sent.chat_id)).get_partial_message(int(sent.message_id))
        try:
            async with self.limiter.low():  # live edits: the lane that never delays sends
                await partial.edit(**message_parts(message, edit=True))
            await self._mirror_calendar(int(sent.chat_id), message)
        except (discord.NotFound, discord.Forbidden) as error:
            raise MessageGone(f"discord {error.code}") from None
        except discord.HTTPException as error:
            raise _retry_or_raise(error) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise RetryLater(type(error).__name__) from None

    async def open_room(self, chat_id: str, title: str, user_ids: list[str], *, team: bool) -> str | None:
        """A thread in a text channel, with the members added: private (type 12, members cannot invite others),
        or public when the channel's team is a member (the channel's own permissions keep it to them). None
        if the channel cannot hold one (a forum or announcement channel, gone, or the bot may not), so that
        the members get DMs rather than nothing."""
        client = self._client()
        try:
            channel = client.get_channel(int(chat_id))
            if channel is None:
                async with self.limiter:
                    channel = await client.fetch_channel(int(chat_id))
            if not isinstance(channel, discord.TextChannel) or channel.is_news():
                return None
            kind = discord.ChannelType.public_thread if team else discord.ChannelType.private_thread
            async with self.limiter:
                thread = await channel.create_thread(name=clip(title, THREAD_NAME_MAX) or "·", type=kind,
                                                     invitable=False)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("channel %s: no thread: discord %s", chat_id, error.code)
            return None
        except discord.HTTPException as error:
            raise _retry_or_raise(error) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise RetryLater(type(error).__name__) from None
        for user_id in user_ids:
            # The thread exists now: a member who cannot be added (left the server) must not make the outbox
            # open a second one. discord.py itself retries rate limits and server errors.
            await self.add_to_room(str(thread.id), user_id)
        return str(thread.id)

    async def add_to_room(self, room_id: str, user_id: str) -> None:
        await self._thread_call(room_id, "adding a member", self._client().http.add_user_to_thread,
                                int(room_id), int(user_id))

    async def remove_from_room(self, room_id: str, user_id: str) -> None:
        await self._thread_call(room_id, "removing a member", self._client().http.remove_user_from_thread,
                                int(room_id), int(user_id))

    async def close_room(self, room_id: str, *, closed: bool) -> None:
        """Archived and locked (only moderators and the bot can open it again), or both undone."""
        await self._thread_call(room_id, "closing" if closed else "reopening", self._client().http.edit_channel,
                                int(room_id), archived=closed, locked=closed)

    async def _thread_call(self, room_id: str, what: str, call: Any, *args: Any, **options: Any) -> None:
        try:
            async with self.limiter:
                await call(*args, **options)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("thread %s: %s failed: %s", room_id, what, type(error).__name__)

    async def _mirror_calendar(self, channel_id: int, message: Rendered) -> None:
        """A dated thing posted in a server also goes to the server's Events list."""
        channel = self.client.get_channel(channel_id) if self.client else None
        guild = getattr(channel, "guild", None)
        if message.calendar is not None and guild is not None and self.calendar is not None:
            async with self.limiter:
                await self.calendar.mirror(guild, message.calendar, channel_id)

    async def create_invite(self, chat_id: str) -> tuple[str, str] | None:
        """A unique invite that never expires (a personal referral link): its uses are followed."""
        channel = self._client().get_channel(int(chat_id))
        if not isinstance(channel, discord.TextChannel):
            return None
        try:
            invite = await channel.create_invite(max_age=0, unique=True)
        except discord.HTTPException as error:
            raise _retry_or_raise(error) from error
        async with self._invite_lock:
            self._invite_uses[invite.code] = invite.uses or 0
        return invite.code, invite.url

    async def _count_invites(self) -> dict[str, int]:
        """Every invite's uses now, in the configured guilds (listing needs Manage Server)."""
        counts: dict[str, int] = {}
        for guild_id in self.settings.guild_ids:
            guild = self.client.get_guild(guild_id) if self.client else None
            if guild is None:
                continue
            try:
                counts.update({i.code: i.uses or 0 for i in await guild.invites()})
            except discord.HTTPException as error:
                log.warning("discord: cannot list the invites of a guild (%s)", error.status)
        self._invite_uses = counts
        return counts

    async def on_member_join(self, member: discord.Member) -> None:
        """Which invite brought them: the one whose uses grew since we last looked (none if not exactly one)."""
        if member.bot or member.guild.id not in self.settings.guild_ids:
            return
        async with self._invite_lock:
            before = dict(self._invite_uses)
            now = await self._count_invites()
            grown = [code for code, uses in now.items() if uses > before.get(code, 0)]
            if len(grown) == 1:
                # One use is this join's; more are joins whose events are still on their way.
                self._invite_uses[grown[0]] = before.get(grown[0], 0) + 1
        arrival = Arrival(PLATFORM, grown[0] if len(grown) == 1 else None, member.created_at)
        chat = Chat(PLATFORM, str(member.guild.id), direct=False, title=member.guild.name)
        ctx = await self._person_context(member, chat, None)
        await self.app.core.arrived(ctx, arrival)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if after.bot or after.guild.id not in self.settings.guild_ids:
            return
        roles = self.app.roles.for_discord_role_ids
        had = roles([r.id for r in before.roles])
        given = roles([r.id for r in after.roles]) - had
        if not given:
            return
        self._members.pop(after.id, None)  # their cached roles are stale
        chat = Chat(PLATFORM, str(after.guild.id), direct=False, title=after.guild.name)
        ctx = await self._person_context(after, chat, None)
        for role in sorted(given):
            await self.app.core.role_given(ctx, role)

    def _client(self) -> HumakoClient:
        if self.client is None:
            raise RetryLater("discord is not started")
        return self.client

    # -------------------------------------------------------------------------------------- input side

    async def _context(self, interaction: discord.Interaction[Any], *, private: bool = False,
                       origin: Origin | None = None) -> Context:
        locale = self._locales[interaction.user.id] = str(interaction.locale)
        chat = Chat(PLATFORM, str(interaction.channel_id), direct=interaction.guild_id is None or private,
                    title=getattr(interaction.channel, "name", None) or "")
        return await self._person_context(interaction.user, chat, locale, origin)

    async def _person_context(self, user: discord.User | discord.Member, chat: Chat, locale: str | None,
                              origin: Origin | None = None) -> Context:
        """The one way a Discord user becomes a Context: roles from the guild member (fetched for DMs)."""
        role_ids = member_role_ids(user) if isinstance(user, discord.Member) else await self._member_roles(user.id)
        return await self.app.core.context_for(Account(PLATFORM, str(user.id)), user.display_name, chat,
                                               self.app.roles.for_discord_role_ids(role_ids), locale, origin)

    async def _member_roles(self, user_id: int) -> list[int]:
        """Role ids in the configured guilds of someone writing in a DM (cached: no members intent)."""
        cached = self._members.get(user_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        role_ids: list[int] = []
        for guild_id in self.settings.guild_ids:
            guild = self.client.get_guild(guild_id) if self.client else None
            if guild is None:
                continue
            member = guild.get_member(user_id)
            if member is None:
                with contextlib.suppress(discord.HTTPException):
                    member = await guild.fetch_member(user_id)
            if member is not None:
                role_ids += [r.id for r in member.roles]
        self._members[user_id] = (time.monotonic() + self.member_cache_seconds, role_ids)
        return role_ids

    async def run_command(self, interaction: discord.Interaction[Any], spec: CommandSpec, values: dict[str, Any],
                          *, modal_done: bool = False) -> None:
        """A slash command (or its modal's submission): the core's answer, deferred if it takes long."""
        try:
            ctx = await self._context(interaction, private=spec.private)
            raw: dict[str, Any] = {}
            for name, value in values.items():
                if isinstance(value, discord.User | discord.Member):
                    value = await self.app.people.get_or_create(PLATFORM, str(value.id), value.display_name)
                raw[name] = value
            long_params = spec.long_params
            # The modal opens only when the command may run, so nobody writes a long text to be refused.
            if long_params and not modal_done and self.app.core.may_use(spec, ctx.roles):
                async def submit(submitted: discord.Interaction[Any], typed: dict[str, Any]) -> None:
                    given = {name: value for name, value in typed.items() if value}
                    await self.run_command(submitted, spec, {**raw, **given}, modal_done=True)

                await interaction.response.send_modal(FieldsModal(
                    render(spec.description, ctx.language), long_params, ctx.language, self.app.config, submit,
                    self.apologise))
                return
            # A field the core asks again (a cross-field error) opens a modal; a required option Discord asks
            # itself does not (only a test can leave one out).
            native = spec.required_short - raw.keys()
            await self._answer(interaction, ctx, self.app.core.invoke(ctx, spec, raw), private=spec.private,
                               modal=not modal_done, native=native)
        except Exception as error:
            await self.apologise(interaction, error)
        finally:
            self._finished(interaction.id)

    async def _complete(self, interaction: discord.Interaction[Any], spec: CommandSpec, param: ParamSpec,
                        current: str) -> list[discord.app_commands.Choice[str]]:
        try:
            ctx = await self._context(interaction, private=spec.private)
            found = await self.app.core.suggest(ctx, spec, param.name, current)
            return [discord.app_commands.Choice(name=clip(render(c.label, ctx.language), CHOICE_LABEL_MAX) or c.value,
                                                value=str(c.value)[:100]) for c in found[:25]]
        finally:
            self._finished(interaction.id)

    async def on_press(self, interaction: discord.Interaction[Any], action: str) -> None:
        try:
            message = interaction.message
            origin = Origin(PLATFORM, str(interaction.channel_id), str(message.id if message else ""))
            ctx = await self._context(interaction, origin=origin)
            await self._answer(interaction, ctx, self.app.core.press(ctx, action), pressed=True, modal=True)
        except Exception as error:
            await self.apologise(interaction, error)
        finally:
            self._finished(interaction.id)

    async def on_message(self, message: discord.Message) -> None:
        """A DM that is not a command (the answer to the core's question, or a message to the person's
        conversation), or a message in a conversation's thread. Other guild messages are not read."""
        if message.author.bot:
            return
        conversation_id = self.app.conversations.room_of(PLATFORM, str(message.channel.id))
        if message.guild is not None and conversation_id is None:
            return
        try:
            direct = message.guild is None
            chat = Chat(PLATFORM, str(message.channel.id), direct=direct)
            ctx = await self._person_context(message.author, chat, self._locales.get(message.author.id))
            files = [File(a.filename, await a.read(), a.content_type or "application/octet-stream")
                     for a in message.attachments]
            conversations = self.app.conversations
            if not direct:
                assert conversation_id is not None
                reply = await conversations.from_room(ctx, conversation_id, message.content, files)
            else:
                reply = await self.app.core.handle_text(ctx, message.content) if message.content else None
                if reply is None:
                    replied = message.reference.message_id if message.reference else None
                    reply = await conversations.from_direct(ctx, message.content, files,
                                                            str(replied) if replied else None)
            rendered = render_reply(reply, ctx.language) if reply is not None else None
            if rendered is not None and rendered.has_body():  # nothing to say past the rate, once told
                async with self.limiter:
                    sent = await message.reply(**message_parts(rendered), mention_author=False)
                await self.app.live.remember_reply(rendered, PLATFORM, Sent(str(sent.channel.id), str(sent.id)), ctx)
        except Exception:
            log.exception("discord message %s failed", message.id)
        finally:
            self._finished(message.id)

    # ----------------------------------------------------------------------------------------- answers

    async def submit_form(self, interaction: discord.Interaction[Any], answers: dict[str, Any]) -> None:
        """A form modal's fields: checked by the core; a field to fix comes back with a Fill in button."""
        try:
            ctx = await self._context(interaction)
            await self._answer(interaction, ctx, self.app.core.submit(ctx, answers), private=True)
        except Exception as error:
            await self.apologise(interaction, error)
        finally:
            self._finished(interaction.id)

    async def _open_form(self, interaction: discord.Interaction[Any], ctx: Context, form: FormAsk) -> bool:
        """The asked fields as a modal, when this interaction may still answer with one."""
        if interaction.response.is_done():
            return False
        note = render(form.note, ctx.language) if form.note is not None else ""
        await interaction.response.send_modal(FieldsModal(render(form.title, ctx.language), form.fields,
                                                          ctx.language, self.app.config, self.submit_form,
                                                          self.apologise, form.given, note, form.must))
        return True

    def _with_fill_in(self, ctx: Context, reply: Reply) -> Reply:
        """A question Discord cannot open as a modal right now: a button that reopens it."""
        fill_in = Button(_("Fill in"), self.app.core.signer.sign("core:form", ctx.person.id), style="primary")
        return dataclasses.replace(reply, buttons=[[fill_in], *reply.rows], private=True)

    async def _answer(self, interaction: discord.Interaction[Any], ctx: Context, work: Awaitable[Reply], *,
                      private: bool = False, pressed: bool = False, modal: bool = False,
                      native: set[str] | frozenset[str] = frozenset()) -> None:
        # Discord drops an interaction not answered within 3 s: a timer acknowledges it if the core is slow.
        # (A timer rather than a task per interaction: most answers come in milliseconds.)
        deferring: list[asyncio.Task[Any]] = []

        def defer() -> None:
            if pressed:
                deferring.append(asyncio.create_task(interaction.response.defer()))
            else:
                deferring.append(asyncio.create_task(interaction.response.defer(ephemeral=private, thinking=True)))

        timer = asyncio.get_running_loop().call_later(self.defer_after, defer)
        try:
            reply = await work
        finally:
            timer.cancel()
            if deferring:
                await deferring[0]
        if reply.form is not None:
            asks_native = bool(native & {f.name for f in reply.form.fields})
            if modal and not asks_native and await self._open_form(interaction, ctx, reply.form):
                return
            reply = self._with_fill_in(ctx, reply)
        deferred_ephemeral = private
        message = render_reply(reply, ctx.language)
        ephemeral = message.private or private
        response = interaction.response
        if pressed and message.edit:
            parts = message_parts(message, edit=True)
            if response.is_done():
                await interaction.edit_original_response(**parts)
            else:
                await response.edit_message(**parts)
            if message.notice:
                await interaction.followup.send(message.notice, ephemeral=True)
            return
        if pressed and not message.has_body():
            if message.notice:
                await self._reply(interaction, Rendered(text=message.notice), ephemeral=True)
            elif not response.is_done():
                await response.defer()
            return
        if not message.has_body() and not message.notice:
            await self._stay_silent(interaction)  # over the rate and already told: no answer
            return
        if not message.has_body() and message.notice:
            message = Rendered(text=message.notice, private=True)
            ephemeral = True
        # A reply that shows a stored thing is kept current, unless only its reader sees it in a server.
        kept = message.shows is not None and not (ephemeral and interaction.guild_id is not None)
        sent_id = await self._reply(interaction, message, ephemeral, deferred_ephemeral=deferred_ephemeral,
                                    replace_deferred=not pressed, want_id=kept)
        if kept and sent_id is not None:
            await self.app.live.remember_reply(message, PLATFORM, Sent(str(interaction.channel_id or 0), str(sent_id)),
                                               ctx)

    @staticmethod
    async def _stay_silent(interaction: discord.Interaction[Any]) -> None:
        """A slash command must be acknowledged: a private "thinking…" that is removed at once."""
        with contextlib.suppress(discord.HTTPException):
            if not interaction.response.is_done():
                await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.delete_original_response()

    async def _reply(self, interaction: discord.Interaction[Any], message: Rendered, ephemeral: bool, *,
                     deferred_ephemeral: bool = False, replace_deferred: bool = False,
                     want_id: bool = False) -> int | None:
        """A new message answering the interaction; returns its id when known (`want_id`: a live reply's id is
        needed, so the first answer asks Discord for its message back)."""
        parts = message_parts(message)
        if not interaction.response.is_done():
            if not want_id:
                await answer(interaction, **parts, ephemeral=ephemeral)
                return None
            callback = await interaction.response.send_message(**parts, ephemeral=ephemeral)
            return callback.message_id
        if replace_deferred and deferred_ephemeral == ephemeral:
            # The deferred "thinking…" message becomes the answer.
            edit = message_parts(message, edit=True)
            edited = await interaction.edit_original_response(**edit)
            return edited.id
        if replace_deferred:
            # Deferred with the other visibility: answer with the right one, drop the placeholder.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        followup = await interaction.followup.send(**parts, ephemeral=ephemeral, wait=True)
        return followup.id

    async def apologise(self, interaction: discord.Interaction[Any], error: BaseException) -> None:
        """Log with the interaction id (never the texts) and give the person a translated, private apology."""
        log.error("discord interaction %s failed", interaction.id, exc_info=error)
        language = ctx_language(interaction, self.app.config.community.default_language)
        text = render(self.app.core.apology(getattr(error, "original", error)).text, language)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)

    async def _tree_error(self, interaction: discord.Interaction[Any],
                          error: discord.app_commands.AppCommandError) -> None:
        await self.apologise(interaction, error)
        self._finished(interaction.id)

    # --------------------------------------------------------------------------- waiting (tests, bench)

    def _finished(self, key: int) -> None:
        waiter = self._waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
            return
        self._done[key] = None
        while len(self._done) > 1000:
            self._done.popitem(last=False)

    async def wait_handled(self, key: int, timeout: float = 10.0) -> None:
        """Wait until the interaction (or DM message) with this id has been fully answered."""
        if key in self._done:
            del self._done[key]
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[key] = waiter
        await asyncio.wait_for(waiter, timeout)


def member_role_ids(member: discord.Member) -> tuple[int, ...]:
    """The member's role ids, @everyone's (the guild's id) included, as `Member.roles` has them: that property
    resolves and sorts Role objects on every call, and an update needs only the ids (discord.py's `_roles`)."""
    return (*member._roles, member.guild.id)


def ctx_language(interaction: discord.Interaction[Any], default: str) -> str:
    from bot.i18n import normalise_language

    return normalise_language(str(interaction.locale)) or default


def _retry_or_raise(error: discord.HTTPException) -> Exception:
    if error.status >= 500 or error.status == 429:
        return RetryLater(f"discord {error.status}")
    if error.code in NO_ACCESS or error.code == CLOSED_DMS:
        return Unreachable(f"discord {error.code}")
    if error.code in GONE:
        return MessageGone(f"discord {error.code}")
    if error.status == 400:  # an invalid message (too long, malformed): sending it again fails again
        return Rejected(f"discord {error.code}")
    return error
