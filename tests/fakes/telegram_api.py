"""A fake Telegram Bot API server for end-to-end tests of the real python-telegram-bot.

The fake speaks the real HTTP interface (``{base}/bot{token}/{method}``), so PTB runs unmodified:

    async with FakeTelegram() as fake:
        app = (ApplicationBuilder().token(fake.token)
               .base_url(fake.bot_api_url).base_file_url(fake.file_api_url).build())

PTB appends the token to ``base_url`` itself, so ``base_url`` must end in ``/bot``.
PTB (httpx) sends every parameter form-urlencoded, as a string with objects JSON-dumped,
and switches to multipart/form-data when a file is uploaded; JSON bodies and query strings are
accepted too. Errors look like Telegram's: HTTP status == ``error_code`` with
``{"ok": false, "error_code", "description", "parameters"}``.

Deliberately realistic details that catch real bugs: editMessageText without ``reply_markup``
removes the inline keyboard; an edit that changes nothing is a 400 "message is not modified";
HTML / MarkdownV2 text is checked for the common parse errors; callback_data is limited to
64 bytes; a callback query can be answered once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import itertools
import json
import math
import mimetypes
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

JSON = dict[str, Any]
DEFAULT_TOKEN = "123456789:AAF-humako-fake-token"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
FLOOD_METHODS = frozenset({"sendMessage", "sendDocument", "editMessageText"})
# Update types Telegram withholds unless asked for explicitly in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Form values are JSON-decoded, except these free-text fields ("123" must stay a string).
STRING_PARAMS = frozenset(
    {"text", "caption", "data", "callback_query_id", "url", "description", "short_description",
     "name", "language_code", "parse_mode", "secret_token", "title", "query", "inline_message_id"}
)
COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "tg-emoji", "code", "pre", "blockquote"}
)
HTML_TAG_RE = re.compile(r"<(/?)([^\s<>/]*)(\s[^<>]*)?>")
MDV2_ALWAYS_ESCAPED = set("#+-={}.!>")
MDV2_LINK_TARGET_RE = re.compile(r"\]\((?:\\.|[^)\\])*\)")  # only ) and \ need escaping in a URL
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)


class ApiError(Exception):
    """A Bot API error answer; raised inside handlers, turned into the HTTP response."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Call:
    """One recorded Bot API request. ``time`` is the fake's ``clock()`` (``time.monotonic()``) at arrival."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    time: float
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    held: float = 0.0  # seconds its answer was held back (hold_next): the client may have given up on it

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str
    language_code: str | None = "fi"
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class TgChat:
    id: int
    type: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False  # a supergroup with topics

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "username"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class StoredMessage:
    """A message as the fake currently holds it; edits mutate it and push to ``history``."""

    message_id: int
    chat: TgChat
    sender: JSON
    date: int
    from_bot: bool
    text: str | None = None  # plain text, as Telegram stores it (markup parsed away)
    raw_text: str | None = None  # text exactly as sent, e.g. with HTML tags
    parse_mode: str | None = None
    entities: list[JSON] | None = None
    reply_markup: JSON | None = None
    document: JSON | None = None
    photo: list[JSON] | None = None
    caption: str | None = None
    reply_to: StoredMessage | None = None
    message_thread_id: int | None = None  # the forum topic it is in
    edit_date: int | None = None
    update_id: int | None = None  # set for user messages queued as updates
    history: list[tuple[str | None, JSON | None]] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def buttons(self) -> list[JSON]:
        """All inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]

    def to_api(self) -> JSON:
        data: JSON = {"message_id": self.message_id, "from": self.sender, "chat": self.chat.to_api(),
                      "date": self.date}
        optional = {"text": self.text, "entities": self.entities, "document": self.document, "photo": self.photo,
                    "caption": self.caption, "edit_date": self.edit_date, "message_thread_id": self.message_thread_id}
        data.update({key: value for key, value in optional.items() if value is not None})
        if self.message_thread_id is not None:
            data["is_topic_message"] = True
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup  # Telegram echoes only inline keyboards
        if self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api()
        return data


@dataclass
class CallbackPress:
    update_id: int
    query_id: str
    message: StoredMessage


@dataclass
class _FailureRule:
    method: str  # normalised
    error: ApiError
    times: int
    predicate: Callable[[Call], bool] | None


@dataclass
class _HoldRule:
    method: str  # normalised
    seconds: float
    times: int
    predicate: Callable[[Call], bool] | None
    reached: bool  # the call takes effect before its answer is held (a send that reached Telegram)


class _Signal:
    """Broadcast wake-up callable from sync code: waiters hold the current event, fire() swaps it."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


class _FloodLimiter:
    """Sliding windows like Telegram's limits: overall per second, per group chat per minute."""

    def __init__(self, per_second: int | None, per_group_per_minute: int | None) -> None:
        self.per_second = per_second
        self.per_group_per_minute = per_group_per_minute
        self._overall: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}

    def admit(self, chat_id: Any, now: float) -> int | None:
        """Record the send and return None, or return the retry_after seconds when over a limit."""
        windows = [(self._overall, self.per_second, 1.0)]
        if isinstance(chat_id, int) and chat_id < 0:
            windows.append((self._groups.setdefault(chat_id, deque()), self.per_group_per_minute, 60.0))
        for stamps, limit, period in windows:
            while stamps and stamps[0] <= now - period:
                stamps.popleft()
            if limit is not None and len(stamps) >= limit:
                return max(1, math.ceil(stamps[0] + period - now))
        for stamps, _, _ in windows:
            stamps.append(now)
        return None


def _normalise(method: str) -> str:
    """Bot API method names are case-insensitive; also accept PTB's snake_case names."""
    return method.replace("_", "").lower()


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSON] | None:
    """Telegram marks a leading /command (optionally @botname) with a bot_command entity."""
    match = COMMAND_RE.match(text)
    if not match:
        return None
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


def _decode_param(name: str, value: str) -> Any:
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _html_to_plain(text: str) -> str:
    """Check Telegram-HTML like the server does and return the plain text it would store."""
    stack: list[str] = []
    plain: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) != -1:
        plain.append(text[pos:start])
        offset = len(text[:start].encode())
        match = HTML_TAG_RE.match(text, start)
        if not match:
            raise _parse_error(f"Unclosed start tag at byte offset {offset}")
        closing, name = match.group(1), (match.group(2) or "").lower()
        if closing:
            if not stack or stack[-1] != name:
                raise _parse_error(f"Unexpected end tag at byte offset {offset}")
            stack.pop()
        elif name not in HTML_TAGS:
            raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
        else:
            stack.append(name)
        pos = match.end()
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    plain.append(text[pos:])
    return html.unescape("".join(plain))


def _markdown_v2_to_plain(text: str) -> str:
    """Catch the classic MarkdownV2 bug (unescaped . - ! ...) and strip markup approximately."""
    text = MDV2_LINK_TARGET_RE.sub("]", text)
    plain: list[str] = []
    chars = iter(enumerate(text))
    in_code = False
    for index, char in chars:
        if char == "\\":
            nxt = next(chars, None)
            plain.append(nxt[1] if nxt else "")
        elif char == "`":
            in_code = not in_code
        elif in_code:
            plain.append(char)
        elif char in MDV2_ALWAYS_ESCAPED and not (char == ">" and (index == 0 or text[index - 1] == "\n")):
            raise _parse_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        elif char not in "*_~|[]()":
            plain.append(char)
    return "".join(plain)


def _plain_text(text: str, parse_mode: str | None, limit: int) -> str:
    mode = (parse_mode or "").lower()
    plain = text
    if mode == "html":
        plain = _html_to_plain(text)
    elif mode == "markdownv2":
        plain = _markdown_v2_to_plain(text)
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if _utf16_len(plain) > limit:
        raise ApiError(400, "Bad Request: message is too long")
    return plain


def _check_reply_markup(markup: Any) -> JSON | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if len(str(button.get("callback_data", "")).encode()) > MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _require(params: JSON, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise ApiError(400, f"Bad Request: {name} is empty")
    return params[name]


Handler = Callable[[Call], Awaitable[Any]]


class FakeTelegram:
    """In-process fake of api.telegram.org on 127.0.0.1; see the module docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "humako_test_bot",
                 bot_first_name: str = "Humako Test") -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", maxsplit=1)[0]
        bot_id = int(prefix) if prefix.isdigit() else 123456789
        self.bot_user = TgUser(bot_id, bot_first_name, language_code=None, username=bot_username,
                               is_bot=True)
        self.base_url = ""  # set by start(): "http://127.0.0.1:{port}"
        self.calls: list[Call] = []
        self.messages: dict[int, list[StoredMessage]] = {}
        self.deleted_messages: list[StoredMessage] = []
        self.chats: dict[int, TgChat] = {}
        self.users: dict[int, TgUser] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.blocked: set[int] = set()
        self.my_commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.settings: dict[str, JSON] = {}  # last params of simple setters (setMyDescription, ...)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (filename, bytes)
        self.topics: dict[tuple[int, int], JSON] = {}  # (chat id, message_thread_id) -> {"name", "closed"}
        self.webhook: JSON = {}
        self.flood_429s = 0
        # The time calls are stamped with and the flood limits count in; a test may freeze it (lambda: 0.0)
        # so that which sends a limit refuses depends on counts, not on how fast the machine runs.
        self.clock: Callable[[], float] = time.monotonic
        self._flood: _FloodLimiter | None = None
        self._failures: list[_FailureRule] = []
        self._holds: list[_HoldRule] = []
        self._updates: list[JSON] = []
        self._allowed_updates: set[str] | None = None
        self._update_ids = itertools.count(100_000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._poll_generation = 0
        self._updates_signal = _Signal()
        self._calls_signal = _Signal()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._handlers = self._build_handlers()

    # ----- lifecycle -------------------------------------------------------------------------

    @property
    def bot_api_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_url()``; PTB appends the token itself."""
        return f"{self.base_url}/bot"

    @property
    def file_api_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_file_url()``."""
        return f"{self.base_url}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Telegram's upload limit
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a poll abandoned by the client (PTB stopping) must not linger.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0,
                                     access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, never anything but loopback
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._stopping = False

    async def stop(self) -> None:
        self._stopping = True
        self._updates_signal.fire()  # long polls return [] at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def application_builder(self) -> Any:
        """A PTB ``ApplicationBuilder`` already pointed at this fake (token and URLs set)."""
        from telegram.ext import ApplicationBuilder  # local: the fake itself does not need PTB

        return (ApplicationBuilder().token(self.token).base_url(self.bot_api_url)
                .base_file_url(self.file_api_url))

    # ----- recording -------------------------------------------------------------------------

    @property
    def polls(self) -> int:
        """getUpdates requests received so far, answered or still waiting."""
        return self._poll_generation

    def calls_of(self, method: str) -> list[Call]:
        wanted = _normalise(method)
        return [call for call in self.calls if _normalise(call.method) == wanted]

    async def wait_for(self, method: str, predicate: Callable[[Call], bool] | None = None,
                       timeout: float = 5.0, count: int = 1) -> list[Call]:
        """Wait until ``count`` answered calls of ``method`` match; return all matching calls."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_of(method) if predicate is None or predicate(c)]
            remaining = deadline - time.monotonic()
            if len(found) >= count:
                return found
            if remaining <= 0:
                seen = [c.method for c in self.calls if c.method != "getUpdates"]
                raise AssertionError(
                    f"waited {timeout}s for {count} x {method}, matched {len(found)}; calls: {seen}"
                )
            await self._calls_signal.wait(remaining)

    # ----- scenario set-up -------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, language_code: str | None = "fi",
             username: str | None = None, last_name: str | None = None) -> TgUser:
        user = TgUser(user_id, first_name, language_code, username, last_name)
        self.users[user_id] = user
        self.chats[user_id] = TgChat(user_id, "private", first_name=first_name, username=username)
        return user

    def group(self, chat_id: int, title: str, chat_type: str | None = None, *, forum: bool = False) -> TgChat:
        """A group chat; ids below -10**12 are supergroups, as in Telegram. `forum`: a supergroup with topics."""
        chat = TgChat(chat_id, chat_type or ("supergroup" if chat_id < -(10**12) else "group"), title=title,
                      is_forum=forum)
        self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """status: creator, administrator, member, restricted, left or kicked (default left)."""
        self.members[(chat_id, user_id)] = status

    def block(self, user_id: int) -> None:
        """The user blocked the bot: every send to their private chat is a 403."""
        self.blocked.add(user_id)

    def fail_next(self, method: str, error_code: int, description: str, retry_after: int | None = None,
                  times: int = 1, predicate: Callable[[Call], bool] | None = None) -> None:
        """Answer the next ``times`` matching calls of ``method`` with this error."""
        error = ApiError(error_code, description, retry_after)
        self._failures.append(_FailureRule(_normalise(method), error, times, predicate))

    def hold_next(self, method: str, seconds: float, *, times: int = 1, predicate: Callable[[Call], bool] | None = None,
                  reached: bool = True) -> None:
        """Hold the answer to the next ``times`` matching calls of ``method`` for ``seconds`` (past the client's
        timeout, so it sees a timeout). With ``reached`` the call takes effect first (the message is sent, only
        its answer is lost: the client's retry sends it again); without, it never takes effect."""
        self._holds.append(_HoldRule(_normalise(method), seconds, times, predicate, reached))

    def _take_hold(self, call: Call) -> _HoldRule | None:
        for rule in self._holds:
            if rule.method == _normalise(call.method) and (rule.predicate is None or rule.predicate(call)):
                rule.times -= 1
                if rule.times <= 0:
                    self._holds.remove(rule)
                return rule
        return None

    def flood_limit(self, per_second: int | None = 30, per_group_per_minute: int | None = 20) -> None:
        """Answer 429 + retry_after to sends beyond Telegram's limits; None disables a limit."""
        self._flood = _FloodLimiter(per_second, per_group_per_minute)

    def flood_off(self) -> None:
        self._flood = None

    # ----- incoming updates ------------------------------------------------------------------

    def queue_update(self, payload: JSON) -> int:
        """Queue any update body, e.g. ``{"my_chat_member": {...}}``; returns its update_id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        self._updates_signal.fire()
        return update_id

    def send_text(self, user: TgUser, text: str, chat: TgChat | None = None,
                  reply_to: StoredMessage | None = None, topic: int | None = None) -> StoredMessage:
        """The user writes ``text`` (private chat unless ``chat``; in a forum ``topic`` of it); returns the
        stored message."""
        chat = chat or self._private_chat(user)
        message = self._store(chat, user.to_api(), from_bot=False, text=text, raw_text=text,
                              entities=_command_entities(text), reply_to=reply_to, message_thread_id=topic)
        message.update_id = self.queue_update({"message": message.to_api()})
        return message

    def send_document(self, user: TgUser, filename: str, data: bytes, caption: str | None = None,
                      chat: TgChat | None = None) -> StoredMessage:
        """The user uploads a file; the bot can fetch it with getFile + the file URL."""
        chat = chat or self._private_chat(user)
        message = self._store(chat, user.to_api(), from_bot=False, caption=caption,
                              document=self._save_file(filename, data))
        message.update_id = self.queue_update({"message": message.to_api()})
        return message

    def send_photo(self, user: TgUser, data: bytes, caption: str | None = None, chat: TgChat | None = None,
                   reply_to: StoredMessage | None = None, topic: int | None = None) -> StoredMessage:
        """The user sends a photo (Telegram offers it in several sizes; here two, the larger last)."""
        chat = chat or self._private_chat(user)
        full = self._save_file("photo.jpg", data)
        thumb = self._save_file("thumb.jpg", data[:16])
        sizes = [{"file_id": f["file_id"], "file_unique_id": f["file_unique_id"], "width": w, "height": h,
                  "file_size": f["file_size"]} for f, w, h in ((thumb, 90, 60), (full, 1280, 853))]
        message = self._store(chat, user.to_api(), from_bot=False, photo=sizes, caption=caption, reply_to=reply_to,
                              message_thread_id=topic)
        message.update_id = self.queue_update({"message": message.to_api()})
        return message

    def press(self, user: TgUser, message: StoredMessage, data: str, *, forged: bool = False) -> CallbackPress:
        """The user taps the inline button with ``data`` on a stored bot message. ``forged``: any data, as a
        modified client can send (Telegram does not check callback data against the message's buttons)."""
        if message in self.deleted_messages:
            raise ValueError(f"message {message.message_id} was deleted")
        if not forged and data not in message.callback_data():
            raise ValueError(f"no button {data!r} on message {message.message_id}: {message.callback_data()}")
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        chat_instance = str(int(hashlib.sha1(str(message.chat_id).encode()).hexdigest()[:15], 16))
        query = {"id": query_id, "from": user.to_api(), "message": message.to_api(),
                 "chat_instance": chat_instance, "data": data}
        return CallbackPress(self.queue_update({"callback_query": query}), query_id, message)

    # ----- message store ---------------------------------------------------------------------

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.messages.get(chat_id, []) if m.from_bot]

    def last_bot_message(self, chat_id: int) -> StoredMessage:
        messages = self.bot_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {chat_id}")
        return messages[-1]

    def commands_for(self, scope_type: str = "default", language_code: str = "",
                     **scope_fields: Any) -> list[JSON] | None:
        """Commands stored by setMyCommands for a scope, e.g. ("all_private_chats", "fi")."""
        return self.my_commands.get((self._scope_key({"type": scope_type, **scope_fields}), language_code))

    def _store(self, chat: TgChat, sender: JSON, from_bot: bool, **fields: Any) -> StoredMessage:
        counter = self._message_ids.setdefault(chat.id, itertools.count(1))
        message = StoredMessage(next(counter), chat, sender, int(time.time()), from_bot, **fields)
        self.messages.setdefault(chat.id, []).append(message)
        return message

    def _private_chat(self, user: TgUser) -> TgChat:
        return self.chats.setdefault(user.id, TgChat(user.id, "private", first_name=user.first_name,
                                                     username=user.username))

    def _chat(self, chat_id: Any) -> TgChat:
        """Resolve a chat_id; unknown numeric ids are created leniently (tests needn't pre-register)."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.username and f"@{chat.username}".lower() == chat_id.lower():
                    return chat
            raise ApiError(400, "Bad Request: chat not found")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id not in self.chats:
            kind = "private" if chat_id > 0 else "group"
            self.chats[chat_id] = TgChat(chat_id, kind, first_name=f"User {chat_id}" if chat_id > 0 else None,
                                         title=None if chat_id > 0 else f"Group {chat_id}")
        return self.chats[chat_id]

    def _chat_for_send(self, params: JSON) -> TgChat:
        chat = self._chat(_require(params, "chat_id"))
        if chat.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _find_message(self, params: JSON, missing: str) -> StoredMessage:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")  # inline mode is not faked
        chat_id, message_id = _require(params, "chat_id"), _require(params, "message_id")
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise ApiError(400, f"Bad Request: {missing}")

    def _save_file(self, filename: str, data: bytes) -> JSON:
        file_id = f"BQACAgQAAxkBAAI{next(self._file_ids):06d}"
        self.files[file_id] = (filename, data)
        return {"file_id": file_id, "file_unique_id": f"AgAD{file_id[-6:]}", "file_name": filename,
                "mime_type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
                "file_size": len(data)}

    @staticmethod
    def _scope_key(scope: JSON | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # ----- HTTP plumbing ---------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = self.clock()
        params, files = await self._parse_body(request)
        entry = self._handlers.get(_normalise(request.match_info["method"]))
        call = Call(entry[0] if entry else request.match_info["method"], params, files, arrived)
        hold = self._take_hold(call)
        if hold is not None:
            call.held = hold.seconds
            if not hold.reached:  # lost on the way: nothing happens, and the client hears nothing in time
                call.error_code, call.description = 504, "Gateway Timeout"
                self.calls.append(call)  # recorded first: the client gone, the server may cancel the handler
                self._calls_signal.fire()
                await asyncio.sleep(hold.seconds)
                return web.json_response({"ok": False, "error_code": 504, "description": call.description},
                                         status=504)
        try:
            body, status = await self._answer(request, call, entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # odd params or a fake bug
            call.error_code, call.description = 500, f"Internal Server Error: fake crashed: {exc!r}"
            body, status = {"ok": False, "error_code": 500, "description": call.description}, 500
        if hold is not None:  # done (the message is stored), but the answer comes too late
            self.calls.append(call)
            self._calls_signal.fire()
            await asyncio.sleep(hold.seconds)
            return web.json_response(body, status=status)
        client_gone = request.transport is None or request.transport.is_closing()
        if not (client_gone and call.method == "getUpdates"):  # an abandoned poll had no effect
            self.calls.append(call)
            self._calls_signal.fire()
        return web.json_response(body, status=status)

    async def _answer(self, request: web.Request, call: Call,
                      entry: tuple[str, Handler] | None) -> tuple[JSON, int]:
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found")  # what Telegram says; PTB raises InvalidToken
            self._inject_failures(call)
            call.result = await entry[1](call)
        except ApiError as error:
            call.error_code, call.description = error.error_code, error.description
            return error.payload(), error.error_code
        return {"ok": True, "result": call.result}, 200

    async def _handle_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].split("/")[-1].split("_")[0]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=self.files[file_id][1])

    @staticmethod
    async def _parse_body(request: web.Request) -> tuple[JSON, dict[str, tuple[str, bytes]]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json" and request.body_exists:
            return {**{k: _decode_param(k, v) for k, v in raw.items()}, **await request.json()}, files
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    raw[key] = value
        return {k: _decode_param(k, v) if isinstance(v, str) else v for k, v in raw.items()}, files

    def _inject_failures(self, call: Call) -> None:
        for rule in self._failures:
            if rule.method == _normalise(call.method) and (rule.predicate is None or rule.predicate(call)):
                rule.times -= 1
                if rule.times <= 0:
                    self._failures.remove(rule)
                raise rule.error
        if self._flood is not None and call.method in FLOOD_METHODS:
            retry_after = self._flood.admit(call.params.get("chat_id"), call.time)
            if retry_after is not None:
                self.flood_429s += 1
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _build_handlers(self) -> dict[str, tuple[str, Handler]]:
        handlers: dict[str, Handler] = {
            "getMe": self._get_me, "getUpdates": self._get_updates, "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook, "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message, "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup, "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query, "sendDocument": self._send_document,
            "getFile": self._get_file, "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands, "deleteMyCommands": self._delete_my_commands,
            "getChatMember": self._get_chat_member, "getChat": self._get_chat,
            "createForumTopic": self._create_forum_topic, "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
            "setChatMenuButton": self._set_chat_menu_button, "getChatMenuButton": self._get_chat_menu_button,
        }
        for name in ("close", "logOut", "sendChatAction", "setMyDescription", "setMyShortDescription",
                     "setMyName", "setMyDefaultAdministratorRights"):
            handlers[name] = self._make_setter(name)
        return {_normalise(name): (name, handler) for name, handler in handlers.items()}

    def _make_setter(self, name: str) -> Handler:
        async def setter(call: Call) -> bool:
            self.settings[name] = call.params
            return True

        return setter

    # ----- Bot API methods -------------------------------------------------------------------

    async def _get_me(self, call: Call) -> JSON:
        return {**self.bot_user.to_api(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    async def _get_updates(self, call: Call) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        params = call.params
        self._confirm_updates(params.get("offset"))
        if "allowed_updates" in params:
            self._allowed_updates = set(params["allowed_updates"] or []) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older poll still waiting is now superseded
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        deadline = time.monotonic() + max(float(params.get("timeout", 0)), 0.0)
        while True:
            if self._stopping:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            pending = self._deliverable_updates()
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                return pending[:limit]
            await self._updates_signal.wait(remaining)

    def _confirm_updates(self, offset: Any) -> None:
        """Telegram forgets updates below offset; a negative offset keeps only the last -offset."""
        if offset is None:
            return
        offset = int(offset)
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable_updates(self) -> list[JSON]:
        def allowed(update: JSON) -> bool:
            kind = next(key for key in update if key != "update_id")
            if self._allowed_updates is None:
                return kind not in OPT_IN_UPDATES
            return kind in self._allowed_updates

        # Telegram does not keep updates of types the bot did not ask for.
        self._updates = [u for u in self._updates if allowed(u)]
        return list(self._updates)

    async def _delete_webhook(self, call: Call) -> bool:
        self.webhook = {}
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _set_webhook(self, call: Call) -> bool:
        self.webhook = dict(call.params)
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, call: Call) -> JSON:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _send_message(self, call: Call) -> JSON:
        params = call.params
        chat = self._chat_for_send(params)
        text = _require(params, "text")
        plain = _plain_text(text, params.get("parse_mode"), MAX_TEXT)
        message = self._store(chat, self.bot_user.to_api(), from_bot=True, text=plain, raw_text=text,
                              parse_mode=params.get("parse_mode"),
                              reply_markup=_check_reply_markup(params.get("reply_markup")),
                              reply_to=self._replied(chat.id, params), message_thread_id=self._topic(chat, params))
        return message.to_api()

    def _replied(self, chat_id: int, params: JSON) -> StoredMessage | None:
        reply_id = (params.get("reply_parameters") or {}).get("message_id")
        reply_id = reply_id or params.get("reply_to_message_id")
        return next((m for m in self.messages.get(chat_id, []) if m.message_id == reply_id), None)

    async def _send_document(self, call: Call) -> JSON:
        params = call.params
        chat = self._chat_for_send(params)
        if "document" in call.files:
            document = self._save_file(*call.files["document"])
        elif isinstance(params.get("document"), str) and params["document"] in self.files:
            document = self._save_file(*self.files[params["document"]])  # re-send by file_id
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = params.get("caption")
        plain_caption = _plain_text(caption, params.get("parse_mode"), MAX_CAPTION) if caption else None
        message = self._store(chat, self.bot_user.to_api(), from_bot=True, document=document,
                              caption=plain_caption, reply_markup=_check_reply_markup(params.get("reply_markup")),
                              message_thread_id=self._topic(chat, params))
        return message.to_api()

    def _topic(self, chat: TgChat, params: JSON) -> int | None:
        """The forum topic a send goes to: it must exist and be open (Telegram refuses otherwise)."""
        thread_id = params.get("message_thread_id")
        if thread_id is None:
            return None
        topic = self.topics.get((chat.id, int(thread_id)))
        if topic is None:
            raise ApiError(400, "Bad Request: message thread not found")
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_CLOSED")
        return int(thread_id)

    async def _create_forum_topic(self, call: Call) -> JSON:
        chat = self._chat(_require(call.params, "chat_id"))
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = _require(call.params, "name")
        if len(name) > 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        # The topic's id is the id of the service message that opens it.
        thread_id = next(self._message_ids.setdefault(chat.id, itertools.count(1)))
        self.topics[(chat.id, thread_id)] = {"name": name, "closed": False}
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    async def _close_forum_topic(self, call: Call) -> bool:
        self._existing_topic(call)["closed"] = True
        return True

    async def _reopen_forum_topic(self, call: Call) -> bool:
        self._existing_topic(call)["closed"] = False
        return True

    def _existing_topic(self, call: Call) -> JSON:
        key = (int(_require(call.params, "chat_id")), int(_require(call.params, "message_thread_id")))
        if key not in self.topics:
            raise ApiError(400, "Bad Request: TOPIC_ID_INVALID")
        return self.topics[key]

    async def _get_file(self, call: Call) -> JSON:
        file_id = _require(call.params, "file_id")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        filename, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"AgAD{file_id[-6:]}", "file_size": len(data),
                "file_path": f"documents/{file_id}_{filename}"}

    async def _edit_message_text(self, call: Call) -> JSON:
        params = call.params
        message = self._find_message(params, "message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        if message.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = _require(params, "text")
        plain = _plain_text(text, params.get("parse_mode"), MAX_TEXT)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = _check_reply_markup(params.get("reply_markup"))
        if plain == message.text and text == message.raw_text and markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.history.append((message.text, message.reply_markup))
        message.text, message.raw_text, message.reply_markup = plain, text, markup
        message.parse_mode, message.edit_date = params.get("parse_mode"), int(time.time())
        return message.to_api()

    async def _edit_message_reply_markup(self, call: Call) -> JSON:
        message = self._find_message(call.params, "message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        markup = _check_reply_markup(call.params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.history.append((message.text, message.reply_markup))
        message.reply_markup, message.edit_date = markup, int(time.time())
        return message.to_api()

    async def _delete_message(self, call: Call) -> bool:
        message = self._find_message(call.params, "message to delete not found")
        self.messages[message.chat_id].remove(message)
        self.deleted_messages.append(message)
        return True

    async def _answer_callback_query(self, call: Call) -> bool:
        query_id = _require(call.params, "callback_query_id")
        if query_id not in self._open_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        self._open_queries.discard(query_id)  # a query can be answered only once
        return True

    async def _set_my_commands(self, call: Call) -> bool:
        commands = _require(call.params, "commands")
        for command in commands:
            if not BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        key = (self._scope_key(call.params.get("scope")), call.params.get("language_code", ""))
        self.my_commands[key] = commands
        return True

    async def _get_my_commands(self, call: Call) -> list[JSON]:
        key = (self._scope_key(call.params.get("scope")), call.params.get("language_code", ""))
        return self.my_commands.get(key, [])

    async def _delete_my_commands(self, call: Call) -> bool:
        key = (self._scope_key(call.params.get("scope")), call.params.get("language_code", ""))
        self.my_commands.pop(key, None)
        return True

    async def _get_chat_member(self, call: Call) -> JSON:
        chat = self._chat(_require(call.params, "chat_id"))
        user_id = _require(call.params, "user_id")
        user = self.users.get(user_id) or TgUser(user_id, f"User {user_id}", language_code=None)
        if user_id == self.bot_user.id:
            user = self.bot_user
        return _chat_member(self.members.get((chat.id, user_id), "left"), user.to_api())

    async def _get_chat(self, call: Call) -> JSON:
        chat_id = _require(call.params, "chat_id")
        if isinstance(chat_id, int) and chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                               "gifts_from_channels"), False)
        return {**self._chat(chat_id).to_api(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    async def _set_chat_menu_button(self, call: Call) -> bool:
        self.menu_buttons[call.params.get("chat_id")] = call.params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, call: Call) -> JSON:
        return self.menu_buttons.get(call.params.get("chat_id"), {"type": "commands"})


def _chat_member(status: str, user: JSON) -> JSON:
    """A ChatMember object with the fields PTB requires for each status."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(
            ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
             "can_manage_video_chats",
             "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
             "can_post_stories", "can_edit_stories", "can_delete_stories"), False))
        member["can_manage_chat"] = True
    elif status == "restricted":
        member.update(dict.fromkeys(
            ("can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages", "can_send_polls",
             "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
             "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
             "can_send_voice_notes", "can_edit_tag"), False))
        member.update(is_member=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left"):
        raise ApiError(500, f"fake: unknown chat member status {status!r}")
    return member
