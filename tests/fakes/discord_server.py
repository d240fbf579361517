"""A fake Discord (REST API v10 + gateway) for end-to-end tests of the real discord.py.

Usage::

    async with FakeDiscord() as fake:
        point_discord_at(fake.base_url)
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        ...  # client.start(fake.token) as a task, then fake.slash(...), fake.press(...)

The fake binds to 127.0.0.1 on a free port and never talks to anything else. Every REST
request is recorded in ``fake.calls``; routes the fake does not know are answered with a
Discord-style 404 and also kept in ``fake.unknown_calls`` so gaps are visible in tests.
Paths in ``Call.path`` are relative to ``/api/v10`` (e.g. ``/channels/1/messages``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yarl
from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
ALL_PERMISSIONS = (1 << 50) - 1
ADMINISTRATOR = 1 << 3

# Default ids for the built-in test guild (see default_guild()).
BOT_ID = 100000000000000001
GUILD_ID = 200000000000000001
GENERAL_CHANNEL_ID = 300000000000000001
EVENTS_CHANNEL_ID = 300000000000000002
ADMIN_ROLE_ID = 400000000000000001
MEMBER_ROLE_ID = 400000000000000002
BOT_ROLE_ID = 400000000000000003
OWNER_ID = 500000000000000001
MEMBER_ID = 500000000000000002
GUEST_ID = 500000000000000003

JSON = dict[str, Any]
Result = tuple[int, Any]  # (HTTP status, JSON body or None for 204)
Options = JSON | list[JSON] | None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Snowflakes:
    """Time-based unique ids, so discord.py's created_at values look sane."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


# --------------------------------------------------------------------------- guild config


@dataclass
class FakeUser:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    id: int
    name: str
    type: int = 0  # 0 text, 2 voice, 4 category, 5 news, 15 forum
    position: int = 0
    parent_id: int | None = None

    def to_payload(self, guild_id: int) -> JSON:
        return {
            "id": str(self.id),
            "guild_id": str(guild_id),
            "name": self.name,
            "type": self.type,
            "position": self.position,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }


@dataclass
class FakeMember:
    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None

    def to_payload(self) -> JSON:
        return {
            "user": self.user.to_payload(),
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "joined_at": "2024-09-01T12:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: list[FakeRole] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    preferred_locale: str = "fi"

    def member(self, user_id: int) -> FakeMember | None:
        return next((m for m in self.members if m.user.id == user_id), None)

    def role(self, role_id: int) -> FakeRole | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def permissions_of(self, user_id: int) -> int:
        """Base permissions (no overwrites); owner and administrators get everything."""
        member = self.member(user_id)
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        role_ids = [self.id, *(member.roles if member else [])]
        perms = 0
        for role_id in role_ids:
            role = self.role(role_id)
            perms |= role.permissions if role else 0
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms


def default_guild() -> FakeGuild:
    """A small student-union guild: owner (admin), a member, a guest without roles and the bot."""
    bot = FakeUser(BOT_ID, "humako-bot", bot=True)
    return FakeGuild(
        id=GUILD_ID,
        name="Humako",
        owner_id=OWNER_ID,
        roles=[
            FakeRole(GUILD_ID, "@everyone", permissions=(1 << 10) | (1 << 11) | (1 << 31)),
            FakeRole(ADMIN_ROLE_ID, "Hallitus", permissions=ADMINISTRATOR, position=3),
            FakeRole(MEMBER_ROLE_ID, "Jäsen", permissions=0, position=1),
            FakeRole(BOT_ROLE_ID, "humako-bot", permissions=ADMINISTRATOR, position=2),
        ],
        channels=[
            FakeChannel(GENERAL_CHANNEL_ID, "yleinen", position=0),
            FakeChannel(EVENTS_CHANNEL_ID, "tapahtumat", position=1),
        ],
        members=[
            FakeMember(FakeUser(OWNER_ID, "puheenjohtaja"), [ADMIN_ROLE_ID, MEMBER_ROLE_ID]),
            FakeMember(FakeUser(MEMBER_ID, "jasen"), [MEMBER_ROLE_ID]),
            FakeMember(FakeUser(GUEST_ID, "vieras"), []),
            FakeMember(bot, [BOT_ROLE_ID]),
        ],
    )


# --------------------------------------------------------------------------- records


@dataclass
class UploadedFile:
    field: str
    filename: str
    data: bytes
    content_type: str


@dataclass
class Call:
    """One REST request as the fake saw it (and what it answered)."""

    method: str
    path: str  # relative to /api/v10, no query string
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response: Any = None
    made: int | None = None  # the message an interaction callback made or changed, also when answered with 204


@dataclass
class _FailRule:
    method: str
    pattern: re.Pattern[str]
    status: int
    code: int
    message: str
    remaining: int
    retry_after: float
    is_global: bool

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in (method, "*") and bool(self.pattern.search(path))


@dataclass
class _Interaction:
    id: int
    token: str
    type: int
    channel_id: int
    guild_id: int | None
    payload: JSON
    component_message_id: int | None = None  # message whose component was pressed
    original_message_id: int | None = None  # message created/updated by the callback
    response_type: int | None = None


class InteractionHandle:
    """Returned by the injectors; await its methods to see how the bot answered."""

    def __init__(self, fake: FakeDiscord, record: _Interaction) -> None:
        self._fake = fake
        self._record = record

    @property
    def id(self) -> int:
        return self._record.id

    @property
    def token(self) -> str:
        return self._record.token

    @property
    def payload(self) -> JSON:
        return self._record.payload

    async def response(self, timeout: float = 5.0) -> Call:
        """The interaction callback (POST /interactions/{id}/{token}/callback)."""
        return await self._fake.wait_response(self.id, timeout=timeout)

    async def followup(self, timeout: float = 5.0, count: int = 1) -> Call:
        """The count-th follow-up message (POST /webhooks/{app}/{token})."""
        path = rf"^/webhooks/\d+/{re.escape(self.token)}$"
        return await self._fake.wait_for_call("POST", path, timeout, count, include_429=False)

    async def original_edit(self, timeout: float = 5.0, count: int = 1) -> Call:
        """The count-th edit of the original response (PATCH .../messages/@original)."""
        path = rf"^/webhooks/\d+/{re.escape(self.token)}/messages/@original$"
        return await self._fake.wait_for_call("PATCH", path, timeout, count, include_429=False)

    def original_message(self) -> JSON | None:
        """The stored message the callback created or updated (None for modals/autocomplete)."""
        mid = self._record.original_message_id
        return self._fake.message(mid) if mid else None


# --------------------------------------------------------------------------- discord.py patching

_ORIGINALS: dict[str, Any] = {}


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def _mentions(data: JSON, users_by_id: dict[int, FakeUser] | None = None) -> JSON:
    """Who a message's content pings, the way Discord decides: without `allowed_mentions` every mention in
    the content pings (@everyone and @here, users, roles); with it, only the kinds in `parse` and the ids
    listed. Embeds never ping. Tests read `mention_everyone`, `mentions` and `mention_roles` of a message."""
    content = data.get("content") or ""
    allowed = data.get("allowed_mentions")
    parse = set(allowed.get("parse") or ()) if allowed is not None else {"everyone", "users", "roles"}
    users = [u for u in _USER_MENTION.findall(content)
             if "users" in parse or (allowed is not None and u in map(str, allowed.get("users") or ()))]
    roles = [r for r in _ROLE_MENTION.findall(content)
             if "roles" in parse or (allowed is not None and r in map(str, allowed.get("roles") or ()))]
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    known = users_by_id or {}
    mentions = [(known[int(u)] if int(u) in known else FakeUser(int(u), f"user{u}")).to_payload()
                for u in dict.fromkeys(users)]
    return {"mention_everyone": everyone, "mentions": mentions, "mention_roles": list(dict.fromkeys(roles))}


def point_discord_at(base_url: str) -> None:
    """Make the installed discord.py talk to the fake instead of discord.com.

    Route.BASE covers REST and the interaction webhooks (webhook/async_.py builds its URLs
    from http.Route too). A plain discord.Client never asks GET /gateway/bot; it connects to
    DiscordWebSocket.DEFAULT_GATEWAY, so that class attribute must be patched as well.
    Asset.BASE is patched so nothing can try to reach the real CDN.
    """
    import discord.asset
    import discord.gateway
    import discord.http

    _ORIGINALS.setdefault("route", discord.http.Route.BASE)
    _ORIGINALS.setdefault("gateway", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    _ORIGINALS.setdefault("asset", discord.asset.Asset.BASE)
    discord.http.Route.BASE = f"{base_url}{API_PREFIX}"
    ws_url = yarl.URL(base_url).with_scheme("ws") / "gateway"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = ws_url
    discord.asset.Asset.BASE = f"{base_url}/cdn"


def restore_discord() -> None:
    """Undo point_discord_at()."""
    import discord.asset
    import discord.gateway
    import discord.http

    if _ORIGINALS:
        discord.http.Route.BASE = _ORIGINALS.pop("route")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = _ORIGINALS.pop("gateway")
        discord.asset.Asset.BASE = _ORIGINALS.pop("asset")


# --------------------------------------------------------------------------- the server


@dataclass
class _GatewayConn:
    ws: web.WebSocketResponse
    seq: int = 0
    identified: bool = False
    shard: tuple[int, int] = (0, 1)  # (shard id, shard count) from IDENTIFY


Handler = Callable[[Call, "re.Match[str]"], Awaitable[Result]]


class FakeDiscord:
    """Fake Discord REST + gateway. See module docstring."""

    heartbeat_interval_ms = 41250

    def __init__(
        self,
        guild: FakeGuild | None = None,
        *,
        bot: FakeUser | None = None,
        token: str | None = "fake-bot-token",
        extra_users: Iterable[FakeUser] = (),
    ) -> None:
        self.guild = guild or default_guild()
        self.bot = bot or self._bot_from_guild() or FakeUser(BOT_ID, "humako-bot", bot=True)
        self.application_id = self.bot.id
        self.token = token  # None: accept any bot token
        self.base_url = ""
        self.ws_url = ""
        self.session_id = secrets.token_hex(16)
        self.global_limit_per_second: int | None = None

        self.calls: list[Call] = []
        self.unknown_calls: list[Call] = []
        self.gateway_received: list[JSON] = []
        self.identify_payloads: list[JSON] = []

        self.users: dict[int, FakeUser] = {m.user.id: m.user for m in self.guild.members}
        self.users.update({u.id: u for u in extra_users})
        self.users[self.bot.id] = self.bot
        if self.guild.member(self.bot.id) is None:
            self.guild.members.append(FakeMember(self.bot, []))
        if self.guild.role(self.guild.id) is None:
            self.guild.roles.insert(0, FakeRole(self.guild.id, "@everyone"))

        self.channels: dict[int, JSON] = {c.id: c.to_payload(self.guild.id) for c in self.guild.channels}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.messages: dict[int, dict[int, JSON]] = {}  # channel id -> message id -> message
        self.deleted_messages: list[JSON] = []
        self.thread_members: dict[int, set[int]] = {}
        self.attachment_data: dict[str, bytes] = {}  # attachment id -> the uploaded bytes (served at its url)
        self.invites: list[JSON] = []
        self.scheduled_events: dict[int, JSON] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}

        self._ids = Snowflakes()
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self._interactions: dict[int, _Interaction] = {}
        self._interactions_by_token: dict[str, _Interaction] = {}
        self._fail_rules: list[_FailRule] = []
        self._window_start = 0.0
        self._window_count = 0
        self._changed = asyncio.Event()
        self._conns: list[_GatewayConn] = []
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

    def _bot_from_guild(self) -> FakeUser | None:
        return next((m.user for m in self.guild.members if m.user.bot), None)

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_get("/cdn/attachments/{id}/{name}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._handle_other)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/gateway"
        return self

    async def stop(self) -> None:
        for conn in list(self._conns):
            await conn.ws.close(code=1001, message=b"fake discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- recording & waiting

    def calls_to(self, method: str, path_regex: str, *, include_429: bool = True) -> list[Call]:
        """Recorded calls with this method ("*" for any) whose path matches the regex (re.search).

        include_429=False drops rate-limited attempts, which discord.py retries transparently.
        """
        pattern = re.compile(path_regex)
        return [
            c
            for c in self.calls
            if method in (c.method, "*") and pattern.search(c.path) and (include_429 or c.status != 429)
        ]

    async def wait_for_call(
        self,
        method: str,
        path_regex: str,
        timeout: float = 5.0,
        count: int = 1,
        *,
        include_429: bool = True,
    ) -> Call:
        """Wait until at least `count` matching calls were answered; return the count-th one."""

        async def _wait() -> Call:
            while True:
                found = self.calls_to(method, path_regex, include_429=include_429)
                if len(found) >= count:
                    return found[count - 1]
                await self._changed.wait()

        try:
            return await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            seen = ", ".join(f"{c.method} {c.path} -> {c.status}" for c in self.calls[-15:])
            wanted = f"{count}x {method} {path_regex}"
            raise TimeoutError(f"no {wanted} within {timeout}s; last calls: {seen}") from None

    async def wait_response(self, interaction_id: int, timeout: float = 5.0) -> Call:
        """The bot's (successful or failed, but not rate-limited) callback for an injected interaction."""
        path = rf"^/interactions/{interaction_id}/[^/]+/callback$"
        return await self.wait_for_call("POST", path, timeout, include_429=False)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        # Wake every waiter; each waits on the event that was current when it started.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ----------------------------------------------------------------- failure injection

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        code: int = 0,
        message: str = "",
        times: int = 1,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with an error (429 gets rate-limit headers)."""
        msg = message or ("You are being rate limited." if status == 429 else f"{status} error")
        rule = _FailRule(method, re.compile(path_regex), status, code, msg, times, retry_after, is_global)
        self._fail_rules.append(rule)

    def _injected_failure(self, call: Call) -> web.Response | None:
        for rule in self._fail_rules:
            if rule.matches(call.method, call.path):
                rule.remaining -= 1
                if rule.status == 429:
                    return self._rate_limited(call, rule.retry_after, rule.is_global, rule.message)
                return self._json(call, rule.status, {"code": rule.code, "message": rule.message})
        return None

    def _global_limit_hit(self) -> float | None:
        """Seconds until the current one-second window ends, if the global limit is exceeded."""
        if not self.global_limit_per_second:
            return None
        now = time.monotonic()
        if now - self._window_start >= 1.0:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        if self._window_count > self.global_limit_per_second:
            return max(0.01, 1.0 - (now - self._window_start))
        return None

    def _rate_limited(self, call: Call, retry_after: float, is_global: bool, message: str) -> web.Response:
        # discord.py only retries a 429 that carries a Via header (otherwise it assumes a
        # Cloudflare ban and raises), so mimic Discord's proxy header.
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                    "X-RateLimit-Bucket": "fake-" + secrets.token_hex(4),
                }
            )
        body = {"message": message, "retry_after": retry_after, "global": is_global, "code": 0}
        return self._json(call, 429, body, headers)

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        call = await self._parse_request(request, request.path[len(API_PREFIX) :])
        try:
            return await self._answer(call)
        finally:
            self._record(call)

    async def _handle_other(self, request: web.Request) -> web.StreamResponse:
        call = await self._parse_request(request, request.path)
        self.unknown_calls.append(call)
        self._record(call)
        return self._json(call, 404, {"code": 0, "message": f"404: Not Found ({request.path})"})

    async def _answer(self, call: Call) -> web.Response:
        if (wait := self._global_limit_hit()) is not None:
            return self._rate_limited(call, wait, True, "You are being rate limited.")
        if (failure := self._injected_failure(call)) is not None:
            return failure
        if not self._authorized(call):
            return self._json(call, 401, {"code": 0, "message": "401: Unauthorized"})
        for method, pattern, handler in self._routes:
            if method == call.method and (match := pattern.match(call.path)):
                status, body = await handler(call, match)
                return self._json(call, status, body)
        self.unknown_calls.append(call)
        message = f"404: Not Found (fake has no {call.method} {call.path})"
        return self._json(call, 404, {"code": 0, "message": message})

    def _authorized(self, call: Call) -> bool:
        # Interaction callbacks and webhooks are authorised by their token in the URL.
        if self.token is None or call.path.startswith(("/interactions/", "/webhooks/", "/gateway")):
            return True
        return call.headers.get("Authorization") == f"Bot {self.token}"

    @staticmethod
    async def _parse_request(request: web.Request, path: str) -> Call:
        body: Any = None
        files: list[UploadedFile] = []
        if request.content_type == "multipart/form-data":
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    if name == "payload_json":
                        body = json.loads(data)
                    else:
                        files.append(UploadedFile(name, value.filename, data, value.content_type))
                elif name == "payload_json":
                    body = json.loads(value)
        else:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        return Call(request.method, path, body, files, dict(request.headers), dict(request.query))

    @staticmethod
    def _json(call: Call, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        call.status, call.response = status, body
        if body is None:
            return web.Response(status=204, headers=headers)
        # discord.py only parses JSON when Content-Type is exactly "application/json"
        # (aiohttp's json_response appends "; charset=utf-8", which it would treat as text).
        all_headers = {**(headers or {}), "Content-Type": "application/json"}
        return web.Response(body=json.dumps(body).encode(), status=status, headers=all_headers)

    @staticmethod
    def _error(status: int, code: int, message: str) -> Result:
        return status, {"code": code, "message": message}

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        s, tok = r"(\d+)", r"([^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", f"/users/{s}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", f"/applications/{s}/commands", self._get_global_commands),
            ("PUT", f"/applications/{s}/commands", self._put_global_commands),
            ("GET", f"/applications/{s}/guilds/{s}/commands", self._get_guild_commands),
            ("PUT", f"/applications/{s}/guilds/{s}/commands", self._put_guild_commands),
            ("POST", f"/interactions/{s}/{tok}/callback", self._interaction_callback),
            ("POST", f"/webhooks/{s}/{tok}", self._webhook_send),
            ("GET", f"/webhooks/{s}/{tok}/messages/(@original|\\d+)", self._webhook_get),
            ("PATCH", f"/webhooks/{s}/{tok}/messages/(@original|\\d+)", self._webhook_edit),
            ("DELETE", f"/webhooks/{s}/{tok}/messages/(@original|\\d+)", self._webhook_delete),
            ("GET", f"/channels/{s}", self._get_channel),
            ("GET", f"/channels/{s}/messages", self._get_messages),
            ("POST", f"/channels/{s}/messages", self._post_message),
            ("GET", f"/channels/{s}/messages/{s}", self._get_message),
            ("PATCH", f"/channels/{s}/messages/{s}", self._edit_message),
            ("DELETE", f"/channels/{s}/messages/{s}", self._delete_message),
            ("POST", f"/channels/{s}/threads", self._create_thread),
            ("POST", f"/channels/{s}/messages/{s}/threads", self._create_thread),
            ("PUT", f"/channels/{s}/thread-members/(@me|\\d+)", self._add_thread_member),
            ("DELETE", f"/channels/{s}/thread-members/(@me|\\d+)", self._remove_thread_member),
            ("PATCH", f"/channels/{s}", self._edit_channel),
            ("POST", f"/channels/{s}/invites", self._create_invite),
            ("GET", f"/guilds/{s}/invites", self._get_invites),
            ("GET", f"/guilds/{s}", self._get_guild),
            ("GET", f"/guilds/{s}/channels", self._get_guild_channels),
            ("GET", f"/guilds/{s}/roles", self._get_guild_roles),
            ("GET", f"/guilds/{s}/members/{s}", self._get_member),
            ("GET", f"/guilds/{s}/scheduled-events", self._list_events),
            ("POST", f"/guilds/{s}/scheduled-events", self._create_event),
            ("GET", f"/guilds/{s}/scheduled-events/{s}", self._get_event),
            ("PATCH", f"/guilds/{s}/scheduled-events/{s}", self._edit_event),
            ("DELETE", f"/guilds/{s}/scheduled-events/{s}", self._delete_event),
        ]
        return [(method, re.compile(f"^{path}$"), handler) for method, path, handler in table]

    # ----------------------------------------------------------------- REST: login & app

    async def _get_gateway(self, call: Call, m: re.Match[str]) -> Result:
        return 200, {"url": self.ws_url}

    async def _get_gateway_bot(self, call: Call, m: re.Match[str]) -> Result:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.ws_url, "shards": 1, "session_start_limit": limit}

    def _me_payload(self) -> JSON:
        return {**self.bot.to_payload(), "bot": True, "verified": True, "mfa_enabled": False, "flags": 0}

    async def _get_me(self, call: Call, m: re.Match[str]) -> Result:
        return 200, self._me_payload()

    async def _get_user(self, call: Call, m: re.Match[str]) -> Result:
        user = self.users.get(int(m[1]))
        return (200, user.to_payload()) if user else self._error(404, 10013, "Unknown User")

    async def _get_application(self, call: Call, m: re.Match[str]) -> Result:
        owner = self.users.get(self.guild.owner_id) or self.bot
        return 200, {
            "id": str(self.application_id),
            "name": self.bot.username,
            "icon": None,
            "description": "",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": owner.to_payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "interactions_endpoint_url": None,
            "bot": self._me_payload(),
        }

    # ----------------------------------------------------------------- REST: commands

    def _store_commands(self, guild_id: int | None, body: Any) -> list[JSON]:
        stored = []
        for cmd in body or []:
            ctype = cmd.get("type", 1)
            key = (guild_id, cmd["name"], ctype)
            cmd_id = self._command_ids.setdefault(key, self._ids.next())
            entry = {
                "default_member_permissions": None,
                "nsfw": False,
                "options": [],
                "description": "",
                **cmd,
                "id": str(cmd_id),
                "application_id": str(self.application_id),
                "type": ctype,
                "version": str(self._ids.next()),
            }
            if guild_id is not None:
                entry["guild_id"] = str(guild_id)
            stored.append(entry)
        return stored

    async def _put_global_commands(self, call: Call, m: re.Match[str]) -> Result:
        self.global_commands = self._store_commands(None, call.json)
        return 200, self.global_commands

    async def _get_global_commands(self, call: Call, m: re.Match[str]) -> Result:
        return 200, self.global_commands

    async def _put_guild_commands(self, call: Call, m: re.Match[str]) -> Result:
        guild_id = int(m[2])
        self.guild_commands[guild_id] = self._store_commands(guild_id, call.json)
        return 200, self.guild_commands[guild_id]

    async def _get_guild_commands(self, call: Call, m: re.Match[str]) -> Result:
        return 200, self.guild_commands.get(int(m[2]), [])

    # ----------------------------------------------------------------- message store

    def channel_messages(self, channel_id: int) -> list[JSON]:
        """Messages currently in a channel, oldest first."""
        return list(self.messages.get(channel_id, {}).values())

    def message(self, message_id: int) -> JSON | None:
        for by_id in self.messages.values():
            if message_id in by_id:
                return by_id[message_id]
        return None

    def _attachments(self, data: JSON, files: list[UploadedFile], keep: list[JSON]) -> list[JSON]:
        """Existing attachments named in data['attachments'] survive; uploaded files are appended."""
        wanted = {str(a.get("id")) for a in data.get("attachments", [])}
        kept = [a for a in keep if a["id"] in wanted] if "attachments" in data else list(keep)
        for upload in files:
            att_id = str(self._ids.next())
            url = f"{self.base_url}/cdn/attachments/{att_id}/{upload.filename}"
            self.attachment_data[att_id] = upload.data
            kept.append(
                {
                    "id": att_id,
                    "filename": upload.filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                }
            )
        return kept

    def _new_message(
        self,
        channel_id: int,
        data: JSON,
        files: list[UploadedFile],
        *,
        msg_type: int = 0,
        webhook: bool = False,
    ) -> JSON:
        msg_id = self._ids.next()
        message: JSON = {
            "id": str(msg_id),
            "channel_id": str(channel_id),
            "type": msg_type,
            "author": self.bot.to_payload(),
            "content": data.get("content") or "",
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "attachments": self._attachments(data, files, []),
            "flags": data.get("flags") or 0,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(data.get("tts")),
            "pinned": False,
            **_mentions(data, self.users),
        }
        channel = self.channels.get(channel_id, {})
        if channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]
        if webhook:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if "message_reference" in data:
            message["message_reference"] = data["message_reference"]
        self.messages.setdefault(channel_id, {})[msg_id] = message
        return message

    def _update_message(self, message: JSON, data: JSON, files: list[UploadedFile]) -> JSON:
        for key in ("content", "embeds", "components", "flags"):
            if key in data:
                message[key] = data[key] if data[key] is not None else ("" if key == "content" else [])
        if "attachments" in data or files:
            message["attachments"] = self._attachments(data, files, message["attachments"])
        if "content" in data:
            message.update(_mentions(data, self.users))
        message["edited_timestamp"] = _now_iso()
        return message

    def _remove_message(self, message_id: int) -> bool:
        for by_id in self.messages.values():
            if message_id in by_id:
                self.deleted_messages.append(by_id.pop(message_id))
                return True
        return False

    # ----------------------------------------------------------------- REST: channels & messages

    async def _get_channel(self, call: Call, m: re.Match[str]) -> Result:
        channel = self.channels.get(int(m[1]))
        return (200, channel) if channel else self._error(404, 10003, "Unknown Channel")

    async def _get_messages(self, call: Call, m: re.Match[str]) -> Result:
        limit = int(call.query.get("limit", 50))
        return 200, list(reversed(self.channel_messages(int(m[1]))))[:limit]

    async def _post_message(self, call: Call, m: re.Match[str]) -> Result:
        channel_id = int(m[1])
        if channel_id not in self.channels:
            return self._error(404, 10003, "Unknown Channel")
        return 200, self._new_message(channel_id, call.json or {}, call.files)

    async def _get_message(self, call: Call, m: re.Match[str]) -> Result:
        message = self.messages.get(int(m[1]), {}).get(int(m[2]))
        return (200, message) if message else self._error(404, 10008, "Unknown Message")

    async def _edit_message(self, call: Call, m: re.Match[str]) -> Result:
        message = self.messages.get(int(m[1]), {}).get(int(m[2]))
        if message is None:
            return self._error(404, 10008, "Unknown Message")
        return 200, self._update_message(message, call.json or {}, call.files)

    async def _delete_message(self, call: Call, m: re.Match[str]) -> Result:
        if int(m[2]) not in self.messages.get(int(m[1]), {}):
            return self._error(404, 10008, "Unknown Message")
        self._remove_message(int(m[2]))
        return 204, None

    def dm_channel_for(self, user_id: int) -> int:
        """The DM channel id with a user, created on first use (like POST /users/@me/channels)."""
        if user_id not in self.dm_channels:
            channel_id = self._ids.next()
            user = self.users.setdefault(user_id, FakeUser(user_id, f"user{user_id}"))
            self.dm_channels[user_id] = channel_id
            self.channels[channel_id] = {
                "id": str(channel_id),
                "type": 1,
                "recipients": [user.to_payload()],
                "last_message_id": None,
            }
        return self.dm_channels[user_id]

    async def _create_dm(self, call: Call, m: re.Match[str]) -> Result:
        user_id = int((call.json or {}).get("recipient_id", 0))
        return 200, self.channels[self.dm_channel_for(user_id)]

    async def _create_thread(self, call: Call, m: re.Match[str]) -> Result:
        parent = self.channels.get(int(m[1]))
        if parent is None:
            return self._error(404, 10003, "Unknown Channel")
        data = call.json or {}
        from_message = m.lastindex == 2
        thread_id = int(m[2]) if from_message else self._ids.next()  # Discord reuses the message id
        duration = data.get("auto_archive_duration", 1440)
        thread = {
            "id": str(thread_id),
            "guild_id": parent.get("guild_id"),
            "parent_id": parent["id"],
            "owner_id": str(self.bot.id),
            "name": data.get("name", "thread"),
            "type": 11 if from_message else data.get("type", 11),
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": data.get("rate_limit_per_user", 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": _now_iso(),
                "locked": False,
                "invitable": data.get("invitable", True),
                "create_timestamp": _now_iso(),
            },
        }
        self.channels[thread_id] = thread
        self.thread_members[thread_id] = {self.bot.id}
        return 201, thread

    async def _add_thread_member(self, call: Call, m: re.Match[str]) -> Result:
        thread_id = int(m[1])
        if thread_id not in self.thread_members:
            return self._error(404, 10003, "Unknown Channel")
        self.thread_members[thread_id].add(self.bot.id if m[2] == "@me" else int(m[2]))
        return 204, None

    async def _remove_thread_member(self, call: Call, m: re.Match[str]) -> Result:
        thread_id = int(m[1])
        if thread_id not in self.thread_members:
            return self._error(404, 10003, "Unknown Channel")
        self.thread_members[thread_id].discard(self.bot.id if m[2] == "@me" else int(m[2]))
        return 204, None

    async def _edit_channel(self, call: Call, m: re.Match[str]) -> Result:
        """Renaming, and a thread's archived / locked state (what closing a conversation sets)."""
        channel = self.channels.get(int(m[1]))
        if channel is None:
            return self._error(404, 10003, "Unknown Channel")
        data = call.json or {}
        if "name" in data:
            channel["name"] = data["name"]
        metadata = channel.get("thread_metadata")
        if metadata is not None:
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in data:
                    metadata[key] = data[key]
        return 200, channel

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachment_data.get(request.match_info["id"])
        if data is None:
            return web.json_response({"message": "404: Not Found", "code": 0}, status=404)
        return web.Response(body=data)

    async def user_message(self, channel_id: int, user_id: int, content: str,
                           files: Sequence[tuple[str, bytes]] = (), *, reply_to: int | None = None) -> int:
        """A user writes in a channel, thread or DM channel: stored, and MESSAGE_CREATE sent on the gateway (with
        the guild and the author's member record in a guild). A locked or archived thread refuses (as Discord
        does for members without Manage Threads). Returns the message id."""
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ValueError(f"no channel {channel_id}")
        metadata = channel.get("thread_metadata") or {}
        if metadata.get("locked") or metadata.get("archived"):
            raise PermissionError(f"thread {channel_id} is locked or archived")
        message_id = self._ids.next()
        user = self.users.setdefault(user_id, FakeUser(user_id, f"user{user_id}"))
        attachments = []
        for name, data in files:
            att_id = str(self._ids.next())
            self.attachment_data[att_id] = data
            url = f"{self.base_url}/cdn/attachments/{att_id}/{name}"
            attachments.append({"id": att_id, "filename": name, "size": len(data), "url": url, "proxy_url": url,
                                "content_type": "application/octet-stream"})
        payload: JSON = {
            "id": str(message_id), "channel_id": str(channel_id), "author": user.to_payload(), "content": content,
            "timestamp": _now_iso(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": attachments, "embeds": [], "pinned": False,
            "type": 0 if reply_to is None else 19, "flags": 0,
        }
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to), "channel_id": str(channel_id)}
        if channel.get("guild_id"):
            payload["guild_id"] = channel["guild_id"]
            member = self.guild.member(user_id)
            if member is not None:
                payload["member"] = {k: v for k, v in member.to_payload().items() if k != "user"}
        self.messages.setdefault(channel_id, {})[message_id] = payload
        await self.wait_until_connected()
        await self.dispatch("MESSAGE_CREATE", payload)
        return message_id

    async def _create_invite(self, call: Call, m: re.Match[str]) -> Result:
        channel = self.channels.get(int(m[1]))
        if channel is None:
            return self._error(404, 10003, "Unknown Channel")
        data = call.json or {}
        invite = {
            "type": 0,
            "code": secrets.token_urlsafe(6),
            "guild": {"id": str(self.guild.id), "name": self.guild.name, "features": [], "icon": None},
            "channel": {"id": channel["id"], "name": channel.get("name"), "type": channel["type"]},
            "inviter": self.bot.to_payload(),
            "max_age": data.get("max_age", 86400),
            "max_uses": data.get("max_uses", 0),
            "temporary": data.get("temporary", False),
            "uses": 0,
            "created_at": _now_iso(),
            "expires_at": None,
        }
        self.invites.append(invite)
        return 200, invite

    async def _get_invites(self, call: Call, m: re.Match[str]) -> Result:
        if not self._known_guild(m):
            return self._error(404, 10004, "Unknown Guild")
        return 200, self.invites

    async def member_joins(self, user: FakeUser, invite_code: str | None = None,
                           roles: list[int] | None = None) -> None:
        """Someone joins the guild (through an invite, whose uses then grow): GUILD_MEMBER_ADD."""
        if invite_code is not None:
            invite = next(i for i in self.invites if i["code"] == invite_code)
            invite["uses"] += 1
        member = FakeMember(user, list(roles or []))
        self.guild.members.append(member)
        await self.wait_until_connected()
        await self.dispatch("GUILD_MEMBER_ADD", {**member.to_payload(), "guild_id": str(self.guild.id)})

    async def give_role(self, user_id: int, role_id: int) -> None:
        """A member gets a server role: GUILD_MEMBER_UPDATE."""
        member = self.guild.member(user_id)
        assert member is not None, "not a member of the fake guild"
        member.roles.append(role_id)
        await self.dispatch("GUILD_MEMBER_UPDATE", {**member.to_payload(), "guild_id": str(self.guild.id)})

    # ----------------------------------------------------------------- REST: guild

    def _known_guild(self, m: re.Match[str]) -> bool:
        return int(m[1]) == self.guild.id

    async def _get_guild(self, call: Call, m: re.Match[str]) -> Result:
        if not self._known_guild(m):
            return self._error(404, 10004, "Unknown Guild")
        return 200, self.guild_payload()

    async def _get_guild_channels(self, call: Call, m: re.Match[str]) -> Result:
        return 200, [c.to_payload(self.guild.id) for c in self.guild.channels]

    async def _get_guild_roles(self, call: Call, m: re.Match[str]) -> Result:
        return 200, [r.to_payload() for r in self.guild.roles]

    async def _get_member(self, call: Call, m: re.Match[str]) -> Result:
        member = self.guild.member(int(m[2])) if self._known_guild(m) else None
        return (200, member.to_payload()) if member else self._error(404, 10007, "Unknown Member")

    # ----------------------------------------------------------------- REST: scheduled events

    async def _list_events(self, call: Call, m: re.Match[str]) -> Result:
        return 200, [e for e in self.scheduled_events.values() if e["guild_id"] == m[1]]

    async def _create_event(self, call: Call, m: re.Match[str]) -> Result:
        if not self._known_guild(m):
            return self._error(404, 10004, "Unknown Guild")
        data = call.json or {}
        problem = _recurrence_problem(data.get("recurrence_rule"))
        if problem:
            return self._error(400, 50035, f"Invalid Form Body: recurrence_rule: {problem}")
        event_id = self._ids.next()
        event = {
            "id": str(event_id),
            "guild_id": m[1],
            "channel_id": data.get("channel_id"),
            "creator_id": str(self.bot.id),
            "creator": self.bot.to_payload(),
            "name": data.get("name", ""),
            "description": data.get("description"),
            "scheduled_start_time": data.get("scheduled_start_time"),
            "scheduled_end_time": data.get("scheduled_end_time"),
            "privacy_level": data.get("privacy_level", 2),
            "status": data.get("status", 1),
            "entity_type": data.get("entity_type", 3),
            "entity_id": None,
            "entity_metadata": data.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": _full_rule(data.get("recurrence_rule")),
        }
        self.scheduled_events[event_id] = event
        await self._dispatch_if_connected("GUILD_SCHEDULED_EVENT_CREATE", event)
        return 200, event

    async def _get_event(self, call: Call, m: re.Match[str]) -> Result:
        event = self.scheduled_events.get(int(m[2]))
        return (200, event) if event else self._error(404, 10070, "Unknown Guild Scheduled Event")

    async def _edit_event(self, call: Call, m: re.Match[str]) -> Result:
        event = self.scheduled_events.get(int(m[2]))
        if event is None:
            return self._error(404, 10070, "Unknown Guild Scheduled Event")
        data = call.json or {}
        problem = _recurrence_problem(data.get("recurrence_rule"))
        if problem:
            return self._error(400, 50035, f"Invalid Form Body: recurrence_rule: {problem}")
        event.update({k: v for k, v in data.items() if k != "image"})
        if "recurrence_rule" in data:
            event["recurrence_rule"] = _full_rule(data["recurrence_rule"])
        await self._dispatch_if_connected("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return 200, event

    async def _delete_event(self, call: Call, m: re.Match[str]) -> Result:
        event = self.scheduled_events.pop(int(m[2]), None)
        if event is None:
            return self._error(404, 10070, "Unknown Guild Scheduled Event")
        await self._dispatch_if_connected("GUILD_SCHEDULED_EVENT_DELETE", event)
        return 204, None

    # ----------------------------------------------------------------- REST: interactions

    async def _interaction_callback(self, call: Call, m: re.Match[str]) -> Result:
        record = self._interactions.get(int(m[1]))
        if record is None or record.token != m[2]:
            return self._error(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        body = call.json or {}
        rtype, data = body.get("type"), body.get("data") or {}
        record.response_type = rtype
        message = self._apply_callback(record, rtype, data, call.files)
        call.made = int(message["id"]) if message is not None else None
        answer: JSON = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            }
        }
        if message is not None:
            answer["resource"] = {"type": rtype, "message": message}
        if call.query.get("with_response", "").lower() not in ("1", "true"):
            return 204, None  # Discord answers with the callback's result only when asked to
        return 200, answer

    def _apply_callback(self, record: _Interaction, rtype: int, data: JSON, files: list[UploadedFile]) -> JSON | None:
        """Update the message store the way Discord would for each callback type."""
        if rtype == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            message = self._new_message(record.channel_id, data, files, msg_type=20, webhook=True)
        elif rtype == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: a "thinking..." message
            flags = 128 | (data.get("flags") or 0)
            message = self._new_message(record.channel_id, {"flags": flags}, [], msg_type=20, webhook=True)
        elif rtype in (6, 7) and record.component_message_id:  # DEFERRED_UPDATE / UPDATE_MESSAGE
            message = self.message(record.component_message_id)
            if message is not None and rtype == 7:
                self._update_message(message, data, files)
        else:  # 8 autocomplete result, 9 modal: nothing is stored as a message
            return None
        if message is not None:
            record.original_message_id = int(message["id"])
        return message if rtype != 6 else None

    def _webhook_record(self, m: re.Match[str]) -> _Interaction | None:
        return self._interactions_by_token.get(m[2])

    def _webhook_target(self, m: re.Match[str]) -> JSON | None:
        record = self._webhook_record(m)
        if record is None:
            return None
        message_id = record.original_message_id if m[3] == "@original" else int(m[3])
        return self.message(message_id) if message_id else None

    async def _webhook_send(self, call: Call, m: re.Match[str]) -> Result:
        record = self._webhook_record(m)
        if record is None:
            return self._error(404, 10015, "Unknown Webhook")
        if record.response_type is None:
            return self._error(404, 10015, "Unknown Webhook")  # follow-ups need a callback first
        return 200, self._new_message(record.channel_id, call.json or {}, call.files, webhook=True)

    async def _webhook_get(self, call: Call, m: re.Match[str]) -> Result:
        message = self._webhook_target(m)
        return (200, message) if message else self._error(404, 10008, "Unknown Message")

    async def _webhook_edit(self, call: Call, m: re.Match[str]) -> Result:
        message = self._webhook_target(m)
        if message is None:
            return self._error(404, 10008, "Unknown Message")
        data = call.json or {}
        if m[3] == "@original" and message["flags"] & 128:
            data = {**data, "flags": (data.get("flags") or message["flags"]) & ~128}  # no longer loading
        return 200, self._update_message(message, data, call.files)

    async def _webhook_delete(self, call: Call, m: re.Match[str]) -> Result:
        message = self._webhook_target(m)
        if message is None:
            return self._error(404, 10008, "Unknown Message")
        self._remove_message(int(message["id"]))
        return 204, None

    # ----------------------------------------------------------------- gateway

    async def _handle_gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _GatewayConn(ws)
        self._conns.append(conn)
        try:
            await self._send(conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_message(conn, json.loads(msg.data))
        finally:
            self._conns.remove(conn)
        return ws

    async def _on_gateway_message(self, conn: _GatewayConn, msg: JSON) -> None:
        self.gateway_received.append(msg)
        op, data = msg.get("op"), msg.get("d")
        if op == 1:  # HEARTBEAT
            await self._send(conn, {"op": 11})
        elif op == 2:  # IDENTIFY
            self.identify_payloads.append(data or {})
            await self._identify(conn, (data or {}).get("shard") or [0, 1])
        elif op == 6:  # RESUME: only our own session can resume, otherwise invalidate
            if (data or {}).get("session_id") == self.session_id:
                conn.identified = True
                conn.seq = int((data or {}).get("seq") or 0)
                await self._dispatch_to(conn, "RESUMED", {})
            else:
                await self._send(conn, {"op": 9, "d": False})
        elif op == 8:  # REQUEST_GUILD_MEMBERS: everything in one chunk
            members = [mem.to_payload() for mem in self.guild.members]
            chunk = {"guild_id": str(self.guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
            chunk["nonce"] = (data or {}).get("nonce")
            await self._dispatch_to(conn, "GUILD_MEMBERS_CHUNK", chunk)
        self._record_gateway_change()

    def _record_gateway_change(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _identify(self, conn: _GatewayConn, shard: list[int]) -> None:
        """READY, then the guild on the shard that owns it (Discord's rule: (guild id >> 22) % shard count)."""
        conn.identified = True
        conn.shard = (int(shard[0]), int(shard[1]))
        ours = (self.guild.id >> 22) % shard[1] == shard[0]
        ready = {
            "v": 10,
            "user": self._me_payload(),
            "guilds": [{"id": str(self.guild.id), "unavailable": True}] if ours else [],
            "session_id": self.session_id,
            "resume_gateway_url": self.ws_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "shard": shard,
            "private_channels": [],
            "relationships": [],
        }
        await self._dispatch_to(conn, "READY", ready)
        if ours:
            await self._dispatch_to(conn, "GUILD_CREATE", self.guild_payload())

    def guild_payload(self) -> JSON:
        """The full GUILD_CREATE payload discord.py builds its Guild cache from."""
        g = self.guild
        return {
            "id": str(g.id),
            "name": g.name,
            "owner_id": str(g.owner_id),
            "icon": None,
            "banner": None,
            "splash": None,
            "description": None,
            "features": [],
            "preferred_locale": g.preferred_locale,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_id": None,
            "rules_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "unavailable": False,
            "large": False,
            "joined_at": "2024-09-01T12:00:00+00:00",
            # member_count == len(members) makes discord.py consider the guild chunked.
            "member_count": len(g.members),
            "roles": [r.to_payload() for r in g.roles],
            "channels": [c.to_payload(g.id) for c in g.channels],
            "members": [mem.to_payload() for mem in g.members],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "emojis": [],
            "stickers": [],
            "stage_instances": [],
            "guild_scheduled_events": [e for e in self.scheduled_events.values() if int(e["guild_id"]) == g.id],
            "soundboard_sounds": [],
        }

    async def _send(self, conn: _GatewayConn, payload: JSON) -> None:
        # Plain text JSON frames: discord.py only runs its zlib/zstd decompressor on bytes.
        await conn.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, conn: _GatewayConn, event: str, data: JSON) -> None:
        conn.seq += 1
        await self._send(conn, {"op": 0, "t": event, "s": conn.seq, "d": data})

    @property
    def connected(self) -> bool:
        return any(c.identified and not c.ws.closed for c in self._conns)

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Wait until a client has IDENTIFYed on the gateway."""

        async def _wait() -> None:
            while not self.connected:
                await self._changed.wait()

        await asyncio.wait_for(_wait(), timeout)

    async def wait_for_gateway(self, op: int, timeout: float = 5.0, count: int = 1) -> JSON:
        """Wait until the client has sent `count` gateway messages with this opcode (2 IDENTIFY, 6 RESUME)."""

        async def _wait() -> JSON:
            while True:
                found = [msg for msg in self.gateway_received if msg.get("op") == op]
                if len(found) >= count:
                    return found[count - 1]
                await self._changed.wait()

        return await asyncio.wait_for(_wait(), timeout)

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a DISPATCH (op 0) event to every identified gateway connection of the shard it belongs to: a
        guild's events to the shard owning the guild, direct messages to shard 0 (as Discord does)."""
        guild = data.get("guild_id") if isinstance(data, dict) else None
        conns = [c for c in self._conns if c.identified and not c.ws.closed
                 and ((guild is None and c.shard[0] == 0)
                      or (guild is not None and (int(guild) >> 22) % c.shard[1] == c.shard[0]))]
        if not conns:
            raise RuntimeError(f"cannot dispatch {event}: no client is connected to the fake gateway")
        for conn in conns:
            await self._dispatch_to(conn, event, data)

    async def _dispatch_if_connected(self, event: str, data: JSON) -> None:
        if self.connected:
            await self.dispatch(event, data)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection (discord.py will reconnect and RESUME)."""
        for conn in list(self._conns):
            await conn.ws.close(code=code)

    # ----------------------------------------------------------------- interaction injection

    def _default_user_id(self) -> int:
        return next(m.user.id for m in self.guild.members if not m.user.bot)

    def _default_channel_id(self) -> int:
        return next(c.id for c in self.guild.channels if c.type == 0)

    def _interaction_payload(
        self, itype: int, data: JSON, *, user_id: int | None, channel_id: int | None, dm: bool, locale: str
    ) -> _Interaction:
        """Common INTERACTION_CREATE fields; guild interactions carry `member`, DMs carry `user`."""
        user_id = user_id or self._default_user_id()
        user = self.users.setdefault(user_id, FakeUser(user_id, f"user{user_id}"))
        if dm:
            channel_id = self.dm_channel_for(user_id)
        channel_id = channel_id or self._default_channel_id()
        iid = self._ids.next()
        token = f"itok{iid}{secrets.token_hex(16)}"
        perms = str(self.guild.permissions_of(self.bot.id))
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "app_permissions": perms,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
            "channel": self.channels.get(channel_id, {"id": str(channel_id), "type": 0}),
        }
        if dm:
            payload.update({"user": user.to_payload(), "context": 1})
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
        else:
            member = self.guild.member(user_id)
            member_payload = member.to_payload() if member else FakeMember(user).to_payload()
            member_payload["permissions"] = str(self.guild.permissions_of(user_id))
            payload.update({"member": member_payload, "context": 0, "guild_id": str(self.guild.id)})
            payload["guild_locale"] = self.guild.preferred_locale
            locale_ = self.guild.preferred_locale
            payload["guild"] = {"id": str(self.guild.id), "locale": locale_, "features": []}
            payload["authorizing_integration_owners"] = {"0": str(self.guild.id)}
        record = _Interaction(iid, token, itype, channel_id, None if dm else self.guild.id, payload)
        self._interactions[iid] = record
        self._interactions_by_token[token] = record
        return record

    async def _inject(self, record: _Interaction) -> InteractionHandle:
        await self.wait_until_connected()
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return InteractionHandle(self, record)

    def find_command(self, name: str, *, dm: bool = False, ctype: int = 1) -> JSON:
        """A synced command (guild commands shadow global ones; DMs only see global)."""
        pools = [self.global_commands]
        if not dm:
            pools.insert(0, self.guild_commands.get(self.guild.id, []))
        for pool in pools:
            for cmd in pool:
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd
        synced = [c["name"] for pool in pools for c in pool]
        raise LookupError(f"command /{name} was not synced (synced: {synced}); call tree.sync() first")

    def _command_options(
        self, definition: list[JSON], path: Sequence[str], values: JSON, focused: str | None, resolved: JSON
    ) -> list[JSON]:
        """Nest SUB_COMMAND_GROUP/SUB_COMMAND options along `path`, typing leaves from the definition."""
        if path:
            sub = next((o for o in definition if o["name"] == path[0] and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"no subcommand {path[0]!r} in {[o['name'] for o in definition]}")
            inner = self._command_options(sub.get("options", []), path[1:], values, focused, resolved)
            return [{"type": sub["type"], "name": sub["name"], "options": inner}]
        by_name = {o["name"]: o for o in definition}
        options = []
        for name, value in values.items():
            if name not in by_name:
                raise LookupError(f"command has no option {name!r}; options: {sorted(by_name)}")
            otype = by_name[name]["type"]
            option: JSON = {"name": name, "type": otype, "value": self._option_value(otype, value, resolved)}
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options

    def _option_value(self, otype: int, value: Any, resolved: JSON) -> Any:
        """Snowflake options carry the id as a string plus an entry in data.resolved."""
        if otype not in (6, 7, 8, 9):
            return value
        snowflake = int(value)
        if (role := self.guild.role(snowflake)) is not None and otype in (8, 9):
            resolved.setdefault("roles", {})[str(snowflake)] = role.to_payload()
        elif otype == 7:
            channel = self.channels.get(snowflake, {"id": str(snowflake), "type": 0, "name": "?"})
            perms = str(self.guild.permissions_of(self.bot.id))
            resolved.setdefault("channels", {})[str(snowflake)] = {**channel, "permissions": perms}
        else:
            user = self.users.setdefault(snowflake, FakeUser(snowflake, f"user{snowflake}"))
            resolved.setdefault("users", {})[str(snowflake)] = user.to_payload()
            if (member := self.guild.member(snowflake)) is not None:
                member_payload = member.to_payload()
                member_payload.pop("user")
                member_payload["permissions"] = str(self.guild.permissions_of(snowflake))
                resolved.setdefault("members", {})[str(snowflake)] = member_payload
        return str(snowflake)

    def _command_data(self, name: str, options: Options, focused: str | None, dm: bool) -> JSON:
        """`options` is {leaf name: value} (typed from the synced definition) or raw option dicts."""
        top, *path = name.split()
        cmd = self.find_command(top, dm=dm)
        resolved: JSON = {}
        if isinstance(options, list):
            built = options
        else:
            built = self._command_options(cmd.get("options", []), path, options or {}, focused, resolved)
        data: JSON = {"id": cmd["id"], "name": top, "type": 1, "options": built}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]  # discord.py's tree picks guild commands by this
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        name: str,
        options: Options = None,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "fi",
    ) -> InteractionHandle:
        """Invoke a synced slash command; `name` may include the subcommand path ("event list")."""
        data = self._command_data(name, options, None, dm)
        kwargs = {"user_id": user_id, "channel_id": channel_id, "dm": dm, "locale": locale}
        return await self._inject(self._interaction_payload(2, data, **kwargs))

    async def autocomplete(
        self,
        name: str,
        options: Options,
        focused: str,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "fi",
    ) -> InteractionHandle:
        """Ask for autocomplete of option `focused` (its value is the partial text typed so far)."""
        data = self._command_data(name, options, focused, dm)
        kwargs = {"user_id": user_id, "channel_id": channel_id, "dm": dm, "locale": locale}
        return await self._inject(self._interaction_payload(4, data, **kwargs))

    def _find_component_message(self, custom_id: str) -> JSON:
        for channel in reversed(list(self.messages.values())):
            for message in reversed(list(channel.values())):
                if custom_id in _custom_ids(message.get("components", [])):
                    return message
        raise LookupError(f"no stored message has a component with custom_id {custom_id!r}")

    async def press(
        self,
        custom_id: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        component_type: int = 2,
        values: list[str] | None = None,
        locale: str = "fi",
    ) -> InteractionHandle:
        """Click a button (or pick select `values`) on a stored message; newest match by default."""
        message = self.message(message_id) if message_id else self._find_component_message(custom_id)
        if message is None:
            raise LookupError(f"unknown message {message_id}")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        channel_id = int(message["channel_id"])
        dm = self.channels.get(channel_id, {}).get("type") == 1
        record = self._interaction_payload(3, data, user_id=user_id, channel_id=channel_id, dm=dm, locale=locale)
        record.payload["message"] = message
        record.component_message_id = int(message["id"])
        return await self._inject(record)

    def opened_modal(self, custom_id: str) -> JSON | None:
        """The newest modal (callback type 9) the bot opened with this custom_id."""
        for call in reversed(self.calls_to("POST", r"^/interactions/\d+/[^/]+/callback$")):
            body = call.json or {}
            if body.get("type") == 9 and (body.get("data") or {}).get("custom_id") == custom_id:
                return body["data"]
        return None

    async def submit_modal(
        self,
        custom_id: str,
        values: JSON,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "fi",
    ) -> InteractionHandle:
        """Submit a modal; the components mirror the opened modal's layout (action rows or labels)."""
        modal = self.opened_modal(custom_id)
        layout = modal["components"] if modal else []
        components = _modal_submit_components(layout, dict(values))
        data = {"custom_id": custom_id, "components": components}
        kwargs = {"user_id": user_id, "channel_id": channel_id, "dm": dm, "locale": locale}
        return await self._inject(self._interaction_payload(5, data, **kwargs))


# --------------------------------------------------------------------------- recurrence rules

# Discord's guild scheduled event recurrence rule, with the limits its documentation lists ("System limitations",
# docs/resources/guild-scheduled-event): frequency YEARLY 0, MONTHLY 1, WEEKLY 2, DAILY 3; weekdays Monday 0.
RULE_KEYS = ("start", "end", "frequency", "interval", "by_weekday", "by_n_weekday", "by_month", "by_month_day",
             "by_year_day", "count")
DAILY_WEEKDAY_SETS = ([0, 1, 2, 3, 4], [1, 2, 3, 4, 5], [6, 0, 1, 2, 3], [4, 5], [5, 6], [6, 0])


def _recurrence_problem(rule: Any) -> str | None:
    """Why Discord would refuse this rule (None: accepted; a null rule removes the recurrence)."""
    if rule is None:
        return None
    if not isinstance(rule, dict) or set(rule) - set(RULE_KEYS):
        return "unknown fields"
    try:
        datetime.fromisoformat(str(rule.get("start")))
    except ValueError:
        return "start must be an ISO8601 timestamp"
    for system_set in ("end", "count", "by_year_day"):
        if rule.get(system_set) is not None:
            return f"{system_set} cannot be set"
    frequency, interval = rule.get("frequency"), rule.get("interval", 1)
    if frequency not in (0, 1, 2, 3) or not isinstance(interval, int) or interval < 1:
        return "frequency or interval is invalid"
    if interval != 1 and not (frequency == 2 and interval == 2):
        return "interval other than 1 is only for a weekly rule, and then 2"
    weekdays, n_weekdays = rule.get("by_weekday"), rule.get("by_n_weekday")
    months, month_days = rule.get("by_month"), rule.get("by_month_day")
    if sum(x is not None for x in (weekdays, n_weekdays, months or month_days)) > 1:
        return "by_weekday, by_n_weekday and by_month + by_month_day are mutually exclusive"
    if weekdays is not None:
        if frequency not in (2, 3) or any(d not in range(7) for d in weekdays):
            return "by_weekday is only for daily and weekly rules"
        if frequency == 2 and len(weekdays) != 1:
            return "a weekly rule has exactly one weekday"
        if frequency == 3 and list(weekdays) not in DAILY_WEEKDAY_SETS:
            return "a daily rule's weekdays must be one of the known sets"
    if n_weekdays is not None and (frequency != 1 or len(n_weekdays) != 1):
        return "by_n_weekday is only for a monthly rule, with one entry"
    if (months is not None or month_days is not None) and (
            frequency != 0 or months is None or month_days is None or len(months) != 1 or len(month_days) != 1):
        return "by_month and by_month_day are only for a yearly rule, one each"
    return None


def _full_rule(rule: Any) -> JSON | None:
    """The rule as Discord returns it: every field present (null when not set)."""
    return None if rule is None else {key: rule.get(key, 1 if key == "interval" else None) for key in RULE_KEYS}


# --------------------------------------------------------------------------- component helpers


def _custom_ids(components: list[JSON]) -> set[str]:
    """All custom_ids in a (possibly nested) component tree."""
    found: set[str] = set()
    for comp in components:
        if "custom_id" in comp:
            found.add(comp["custom_id"])
        found |= _custom_ids(comp.get("components", []))
        if isinstance(comp.get("accessory"), dict):
            found |= _custom_ids([comp["accessory"]])
    return found


def _submitted(component: JSON, value: Any) -> JSON:
    """What Discord sends back for one modal input: `values` for lists, `value` otherwise."""
    entry: JSON = {"type": component.get("type", 4), "custom_id": component["custom_id"]}
    if "id" in component:
        entry["id"] = component["id"]
    entry["values" if isinstance(value, list) else "value"] = value
    return entry


def _modal_submit_components(layout: list[JSON], values: JSON) -> list[JSON]:
    """Answer shape for discord.py 2.7: type 1 rows with `components`, type 18 labels with `component`."""
    out: list[JSON] = []
    for comp in layout:
        if comp.get("type") == 1:
            wanted = [c for c in comp["components"] if c.get("custom_id") in values]
            inner = [_submitted(c, values.pop(c["custom_id"])) for c in wanted]
            if inner:
                out.append({"type": 1, "components": inner})
        elif comp.get("type") == 18 and comp["component"].get("custom_id") in values:
            child = comp["component"]
            label: JSON = {"type": 18, "component": _submitted(child, values.pop(child["custom_id"]))}
            if "id" in comp:
                label["id"] = comp["id"]
            out.append(label)
    # Inputs not found in the opened modal still get sent, as classic text-input rows.
    out.extend({"type": 1, "components": [_submitted({"custom_id": k}, v)]} for k, v in values.items())
    return out
