"""Telegram through python-telegram-bot 22, embedded in our own event loop (no run_polling).

Updates come in through two generic handlers, one for messages (typed lines; and texts, photos and documents
for conversations, bot/conversations.py) and one for button presses; both hand the neutral core a Context
and render its Reply back as HTML text with inline keyboards. A conversation's room is a forum topic of the
team's group: its id is "<group id>/<topic id>". Everything the bot sends goes through PTB's rate-limiter
hook (telegram_limits.py), the one place that keeps Telegram's flood limits and honours 429 retry_after.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Chat as TgChat
from telegram import Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application as PTBApplication
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.commands import Button, File, Rendered, Reply, render_reply
from bot.context import Account, Chat, Context, Origin
from bot.conversations import MAX_FILE_BYTES
from bot.frontends.base import Frontend, MessageGone, Rejected, RetryLater, Sent, Target, Unreachable
from bot.frontends.telegram_fleet import HandOver
from bot.frontends.telegram_http import AiohttpRequest, LeanBot
from bot.frontends.telegram_limits import ChatQueues, Lane, PerPersonUpdates, SlidingRateLimiter, retry_seconds
from bot.frontends.telegram_menu import sync_menus
from bot.frontends.telegram_render import MAX_CAPTION, as_seen, has_text, keyboard, keyboard_json, to_html
from bot.i18n import _, normalise_language
from bot.leader import Leader
from bot.textargs import is_command, split_command
from bot.textlen import utf16_len
from storage.db import is_busy

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

PLATFORM = "telegram"
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MEMBER_STATUSES = frozenset({"member", "administrator", "creator", "restricted"})
ALLOWED_UPDATES = ["message", "callback_query"]


def delivery_error(error: TelegramError) -> Exception:
    """A Bot API error as the outbox and live copies understand it."""
    text = str(error).lower()
    if isinstance(error, RetryAfter):
        return RetryLater("telegram flood limit", after=retry_seconds(error))
    if isinstance(error, Forbidden):
        return Unreachable(type(error).__name__)
    if isinstance(error, BadRequest) and ("message to edit not found" in text or "can't be edited" in text
                                          or "chat not found" in text):
        return MessageGone(type(error).__name__)
    if isinstance(error, BadRequest):  # too long, malformed: permanent (and a NetworkError subclass in PTB)
        return Rejected(type(error).__name__)
    if isinstance(error, NetworkError):  # includes TimedOut
        return RetryLater(type(error).__name__)
    return error


GROUP_EDIT_SECONDS = 3.0  # 20 messages a minute per group
TOPIC_NAME_MAX = 128


class TelegramFrontend(Frontend):
    platform = PLATFORM
    room_kind = "topic"

    def __init__(self, app: Application, *, poll_interval: float = 0.0, poll_timeout: int = 30,
                 rate_limiter: SlidingRateLimiter | None = None) -> None:
        super().__init__(app)
        self.group_edit_seconds = GROUP_EDIT_SECONDS
        settings = app.config.telegram
        self.settings = settings
        self.poll_interval, self.poll_timeout = poll_interval, poll_timeout
        self.limiter = rate_limiter or SlidingRateLimiter()
        self.limiter.on_rate_limited = app.metrics.rate_limited.labels(PLATFORM).inc
        self.chats = ChatQueues()  # answers in groups, sent in order, never awaited inside an update
        self.username = ""
        self.leader: Leader | None = None  # polling mode: polls only while this process leads
        self.hand_over: HandOver | None = None  # webhook mode on several processes (bot/fleet.py)
        self._role_cache: dict[int, tuple[float, frozenset[str]]] = {}
        self.handled_updates = 0  # tests and the bench wait on this
        self._handled = asyncio.Event()
        # aiohttp: about half httpx's CPU per request (telegram_http.py). A small pool: Telegram's 30 messages/s
        # never needs more than a few connections.
        self._requests = (AiohttpRequest(connection_pool_size=8), AiohttpRequest(connection_pool_size=1))
        self.bot = LeanBot(app.config.secrets.telegram_token or "",
                           base_url=settings.base_url or "https://api.telegram.org/bot",
                           base_file_url=settings.base_file_url or "https://api.telegram.org/file/bot",
                           request=self._requests[0], get_updates_request=self._requests[1],
                           rate_limiter=self.limiter)
        self.ptb: PTBApplication = (ApplicationBuilder().bot(self.bot)
                                    .concurrent_updates(PerPersonUpdates()).build())
        self.ptb.add_handler(MessageHandler(
            filters.UpdateType.MESSAGE & (filters.TEXT | filters.PHOTO | filters.Document.ALL), self._on_message))
        self.ptb.add_handler(CallbackQueryHandler(self._on_button))
        self.ptb.add_error_handler(self._on_error)

    def processes_changed(self, count: int) -> None:
        self.limiter.share(count)  # Telegram's limits are the token's, whichever process sends

    def edit_interval_for(self, chat_id: str) -> float:
        # Telegram allows 20 messages a minute in one group, edits included: a card there is edited at most
        # every 3 s, so a burst of presses never queues its edits behind the group's limit.
        if chat_id.startswith("-"):
            return max(self.edit_interval, self.group_edit_seconds)
        return self.edit_interval

    # ------------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            # Undone here: the application does not stop a frontend that failed to start, and PTB shuts down only
            # what initialized fully (the HTTP sessions opened before getMe failed would stay open).
            with contextlib.suppress(Exception):
                await self.stop()
            await asyncio.gather(*(request.shutdown() for request in self._requests))
            raise

    async def _start(self) -> None:
        await self.ptb.initialize()  # getMe: we learn our username for deep links
        self.username = self.ptb.bot.username
        try:
            await sync_menus(self.ptb.bot, self.app)
        except TelegramError as error:  # a menu is a nicety: never keep the bot from starting
            log.warning("setting the Telegram command menus failed: %s", type(error).__name__)
        await self.ptb.start()
        updater = self.ptb.updater
        assert updater is not None
        web = self.app.web
        if self.app.core.fleet is not None:  # a person's updates may reach any process: prompts' answers are handed
            self.hand_over = HandOver(self, self.app.core.fleet)
            self.hand_over.start()
        if self.settings.mode == "webhook" and web is not None:
            # One port: the bot's own web server takes Telegram's pushes and hands them to PTB's queue.
            web.add_webhook(urlsplit(self.settings.webhook_url).path, self._pushed)
            await self.ptb.bot.set_webhook(self.settings.webhook_url, allowed_updates=ALLOWED_UPDATES,
                                           secret_token=self._webhook_secret())
        elif self.settings.mode == "webhook":  # no [web] server: PTB's own listener
            await updater.start_webhook(
                listen=self.settings.webhook_listen, port=self.settings.webhook_port,
                url_path=urlsplit(self.settings.webhook_url).path.lstrip("/"),
                webhook_url=self.settings.webhook_url, allowed_updates=ALLOWED_UPDATES,
                # Telegram echoes this header on every push: requests without it are not Telegram's.
                secret_token=self._webhook_secret(),
            )
        else:
            # Long polling runs in one process of several (bot/leader.py); the others send and stand by.
            self.leader = Leader(self.app, "telegram-polling", self._start_polling, self._stop_polling)
            await self.leader.start()
        log.info("telegram: running as @%s (%s)", self.username, self.settings.mode)

    async def _start_polling(self) -> None:
        updater = self.ptb.updater
        assert updater is not None
        await updater.start_polling(poll_interval=self.poll_interval, timeout=self.poll_timeout,
                                    allowed_updates=ALLOWED_UPDATES)

    async def _stop_polling(self) -> None:
        if self.ptb.updater is not None and self.ptb.updater.running:
            await self.ptb.updater.stop()

    def _webhook_secret(self) -> str:
        # Telegram echoes this header on every push: requests without it are not Telegram's.
        token = self.app.config.secrets.telegram_token or ""
        return hashlib.sha256(f"humako-webhook:{token}".encode()).hexdigest()

    async def _pushed(self, body: bytes, headers: Mapping[str, str]) -> int:
        """An update Telegram POSTed to the web server: the HTTP status to answer."""
        if not hmac.compare_digest(headers.get("X-Telegram-Bot-Api-Secret-Token", ""), self._webhook_secret()):
            return 403
        try:
            update = Update.de_json(json.loads(body), self.ptb.bot)
        except (ValueError, TypeError, KeyError):
            return 400
        await self.ptb.update_queue.put(update)
        return 200

    async def stop(self) -> None:
        if self.leader is not None:
            await self.leader.stop()
        if self.hand_over is not None:
            await self.hand_over.stop()
        if self.ptb.updater is not None and self.ptb.updater.running:
            await self.ptb.updater.stop()
        await self.chats.stop()
        if self.ptb.running:
            await self.ptb.stop()
        await self.ptb.shutdown()

    def health(self) -> str | None:
        updater = self.ptb.updater
        pushed = self.settings.mode == "webhook" and self.app.web is not None  # no updater then
        if self.leader is not None and not self.leader.leading and self.ptb.running:
            return None  # another process polls: this one sends, and stands by to take over
        if not self.ptb.running or not (pushed or (updater is not None and updater.running)):
            return "telegram: not receiving updates"
        return None

    # ---------------------------------------------------------------------------------- output side

    def destination_chat(self, destination: str) -> str | None:
        config = self.app.config.destinations.get(destination)
        if config is None or config.telegram_chat_id is None:
            return None
        return str(config.telegram_chat_id)

    def preview(self, message: Rendered) -> str:
        return as_seen(message)

    def direct_link(self, payload: str) -> str | None:
        if not self.username:
            return None
        return f"https://t.me/{self.username}?start={payload}" if PAYLOAD_RE.match(payload) \
            else f"https://t.me/{self.username}"

    async def send(self, target: Target, message: Rendered) -> Sent:
        chat_id, _sep, topic = target.id.partition("/")
        return await self._post(int(chat_id), message, topic=int(topic) if topic else None, lane=Lane.SEND)

    async def open_room(self, chat_id: str, title: str, user_ids: list[str], *, team: bool) -> str | None:
        """A forum topic in the team's group (the bot needs the right to manage topics); None if the group is
        not a forum or the bot may not, so that the team gets the conversation in the group itself."""
        try:
            topic = await self.ptb.bot.create_forum_topic(int(chat_id), title[:TOPIC_NAME_MAX] or "·")
        except (BadRequest, Forbidden) as error:
            log.warning("telegram: no forum topic in chat %s: %s", chat_id, type(error).__name__)
            return None
        except TelegramError as error:
            raise delivery_error(error) from error
        return f"{chat_id}/{topic.message_thread_id}"

    async def close_room(self, room_id: str, *, closed: bool) -> None:
        chat_id, _sep, topic = room_id.partition("/")
        call = self.ptb.bot.close_forum_topic if closed else self.ptb.bot.reopen_forum_topic
        try:
            await call(int(chat_id), int(topic))
        except TelegramError as error:
            log.warning("telegram: topic %s not %s: %s", room_id, "closed" if closed else "reopened",
                        type(error).__name__)

    async def edit(self, sent: Sent, message: Rendered) -> None:
        await self._edit(sent, message, Lane.EDIT)  # a live copy kept current: bulk

    async def _edit(self, sent: Sent, message: Rendered, lane: Lane) -> None:
        """`lane`: the card a person just pressed is edited in the reply lane, a live copy in the edit lane."""
        try:
            await self.bot.call("editMessageText", {
                "chat_id": int(sent.chat_id), "message_id": int(sent.message_id), "text": to_html(message),
                "parse_mode": ParseMode.HTML, "reply_markup": keyboard_json(message)}, lane)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return  # the message already shows this: nothing to do
            if "no text in the message" in str(error).lower():  # a document: its caption carries the text
                await self._edit_caption(sent, message, lane)
                return
            raise delivery_error(error) from error
        except TelegramError as error:
            raise delivery_error(error) from error

    async def _edit_caption(self, sent: Sent, message: Rendered, lane: Lane) -> None:
        try:
            await self.ptb.bot.edit_message_caption(chat_id=int(sent.chat_id), message_id=int(sent.message_id),
                                                    caption=to_html(message, MAX_CAPTION),
                                                    parse_mode=ParseMode.HTML, reply_markup=keyboard(message),
                                                    rate_limit_args=lane)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise delivery_error(error) from error

    async def _post(self, chat_id: int, message: Rendered, reply_to: int | None = None, *,
                    topic: int | None = None, lane: Lane = Lane.REPLY) -> Sent:
        """Text (and files) to one chat (a forum `topic` of it); returns the message that carries the buttons.
        `lane`: whose message it is, which decides who goes first at the rate limiter."""
        bot = self.bot
        where: dict[str, Any] = {}
        if reply_to is not None:  # in a group, answer the command that asked, so it is clear to whom
            where["reply_parameters"] = ReplyParameters(reply_to, allow_sending_without_reply=True)
        if topic is not None:
            where["message_thread_id"] = topic
        extra = {"rate_limit_args": lane, **where}
        try:
            if not message.files:  # the answer's id is all we keep of it: left unparsed
                answer = await bot.call("sendMessage", {"chat_id": chat_id, "text": to_html(message),
                                                        "parse_mode": ParseMode.HTML,
                                                        "reply_markup": keyboard_json(message), **where}, lane)
                return Sent(str(chat_id), str(answer["message_id"]))
            sent: Message
            markup = keyboard(message)
            caption = to_html(message, MAX_CAPTION) if has_text(message) else None
            text_first = caption is not None and (len(message.files) > 1
                                                  or utf16_len(message.plain_text()) > MAX_CAPTION)
            if text_first:
                sent = await bot.send_message(chat_id, to_html(message), parse_mode=ParseMode.HTML,
                                              reply_markup=markup, **extra)
            for index, file in enumerate(message.files):
                with_caption = index == 0 and not text_first
                document = await bot.send_document(
                    chat_id, document=file.data, filename=file.name,
                    caption=caption if with_caption else None, parse_mode=ParseMode.HTML,
                    reply_markup=markup if with_caption else None, **extra)
                if with_caption:
                    sent = document
            return Sent(str(chat_id), str(sent.message_id))
        except TelegramError as error:
            raise delivery_error(error) from error

    # ----------------------------------------------------------------------------------- input side

    async def _context(self, update: Update, origin: Origin | None = None) -> Context:
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None
        where = Chat(PLATFORM, str(chat.id), direct=chat.type == TgChat.PRIVATE,
                     title=chat.title or chat.full_name or "")
        roles = await self._team_roles(user.id)
        return await self.app.core.context_for(Account(PLATFORM, str(user.id)), user.full_name, where, roles,
                                               user.language_code, origin)

    async def _team_roles(self, user_id: int) -> frozenset[str]:
        """Roles from membership of the configured team chats, cached per person for a few minutes."""
        cached = self._role_cache.get(user_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        chats = self.app.roles.telegram_team_chats()
        found = await asyncio.gather(*(self._is_member(chat_id, user_id) for chat_id in chats))
        roles = frozenset(role for chat_id, member in zip(chats, found, strict=True) if member
                          for role in chats[chat_id])
        self._role_cache[user_id] = (now + self.settings.role_cache_seconds, roles)
        return roles

    async def _is_member(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.ptb.bot.get_chat_member(chat_id, user_id)
        except TelegramError as error:  # not in the chat, or the bot was removed: no role, keep going
            log.info("telegram: membership check in team chat %s failed: %s", chat_id, type(error).__name__)
            return False
        return member.status in MEMBER_STATUSES

    def _for_us(self, text: str) -> str | None:
        """The text, or None for a command addressed to another bot (`/cmd@otherbot`); the core's command
        reading drops our own @mention."""
        if not is_command(text):
            return text
        mention = split_command(text).bot_mention
        return None if mention and mention.lower() != self.username.lower() else text

    def _in_turn(self, update: Update, chat_id: int, work: Callable[[], Awaitable[None]]) -> None:
        """A group's answer goes to the group's queue; the update counts as handled once it went out."""

        async def job() -> None:
            try:
                await work()
            except Exception:
                await self._apologise(update)
            finally:
                self._mark_handled()

        self.chats.submit(chat_id, job)

    async def _on_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        deferred = False
        try:
            if message is None or chat is None or user is None or user.is_bot:
                return
            text = self._for_us(message.text) if message.text is not None else None
            if message.text is not None and text is None:
                return  # a command for another bot
            direct = chat.type == TgChat.PRIVATE
            command = text is not None and is_command(text)
            # Group chatter is none of our business (nobody is stored for it), unless it answers our question,
            # is written in a conversation's topic, or replies to a conversation's message relayed there.
            answering = text is not None and self.app.core.has_prompt(PLATFORM, str(chat.id), str(user.id))
            room = None if direct or command else self._room(message)
            relayed = None
            if not direct and not command and room is None and self._replies_to_us(message):
                assert message.reply_to_message is not None
                relayed = await self.app.conversations.relayed_in_chat(
                    PLATFORM, str(chat.id), str(message.reply_to_message.message_id))
            if not direct and not command and not answering and room is None and relayed is None:
                return
            ctx = await self._context(update)
            reply = None
            if text is not None and (direct or command or answering):
                reply = await self.app.core.handle_text(ctx, text)
            if reply is None and not command:
                reply = await self._to_conversation(ctx, message, room, relayed)
            if reply is None:
                if not direct:
                    return
                reply = Reply(_("I understand commands: /help lists what you can do."))
            if direct:
                await self._answer(ctx, reply)
            else:
                # In a group, the answer waits in that group's queue, never in this update (a group at its send
                # limit must not hold up everyone else's updates).
                self._in_turn(update, chat.id, functools.partial(
                    self._answer, ctx, reply, reply_to=message.message_id,
                    topic=message.message_thread_id if room is not None else None))
                deferred = True
        except Exception:
            await self._apologise(update)
        finally:
            if not deferred:
                self._mark_handled()

    def _room(self, message: Message) -> int | None:
        """The conversation whose forum topic this group message was written in."""
        if not message.is_topic_message or message.message_thread_id is None:
            return None
        return self.app.conversations.room_of(PLATFORM, f"{message.chat.id}/{message.message_thread_id}")

    def _replies_to_us(self, message: Message) -> bool:
        replied = message.reply_to_message
        return replied is not None and replied.from_user is not None and replied.from_user.id == self.ptb.bot.id

    async def _to_conversation(self, ctx: Context, message: Message, room: int | None,
                               relayed: int | None) -> Reply | None:
        """A member's message (text, a photo, a document) to its conversation; None if it belongs to none."""
        conversations = self.app.conversations
        sizes = [item.file_size or 0 for item in (message.document, message.photo[-1] if message.photo else None)
                 if item is not None]
        if any(size > MAX_FILE_BYTES for size in sizes):
            return conversations.too_large()
        files = await self._files(message)
        text = message.text if message.text is not None else (message.caption or "")
        if room is not None:
            return await conversations.from_room(ctx, room, text, files)
        if relayed is not None:
            return await conversations.from_team_chat(ctx, relayed, text, files)
        replied = message.reply_to_message
        return await conversations.from_direct(ctx, text, files, str(replied.message_id) if replied else None)

    async def _files(self, message: Message) -> list[File]:
        """A photo (its largest size) or a document, downloaded to pass on."""
        found: list[File] = []
        if message.photo:
            photo = await message.photo[-1].get_file()
            found.append(File("photo.jpg", bytes(await photo.download_as_bytearray()), "image/jpeg"))
        if message.document is not None:
            document = await message.document.get_file()
            found.append(File(message.document.file_name or "file", bytes(await document.download_as_bytearray()),
                              message.document.mime_type or "application/octet-stream"))
        return found

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        toast: str | None = None
        deferred = False
        try:
            if query is None or query.data is None or update.effective_user is None:
                return
            source = query.message
            origin = Origin(PLATFORM, str(source.chat.id), str(source.message_id)) if source else None
            ctx = await self._context(update, origin)
            reply = await self.app.core.press(ctx, query.data)
            message = render_reply(reply, ctx.language)
            toast = message.notice
            work: Callable[[], Awaitable[None]] | None = None
            if message.edit and origin is not None:
                work = functools.partial(self._edit, Sent(origin.chat_id, origin.message_id), message, Lane.REPLY)
            elif message.has_body():
                work = functools.partial(self._answer, ctx, reply, rendered=message)
            if work is not None and ctx.chat.direct:
                await work()
            elif work is not None:
                self._in_turn(update, int(ctx.chat.id), work)
                deferred = True
        except Exception:
            await self._apologise(update)
        finally:
            if query is not None:  # always answered, or the person's button spins until Telegram gives up
                try:
                    await query.answer(toast[:200] if toast else None)
                except TelegramError as error:
                    log.info("telegram: answering callback of update %s failed: %s", update.update_id,
                             type(error).__name__)
            if not deferred:
                self._mark_handled()

    async def _answer(self, ctx: Context, reply: Reply, *, reply_to: int | None = None,
                      rendered: Rendered | None = None, topic: int | None = None) -> None:
        message = rendered or render_reply(reply, ctx.language)
        if not message.has_body():
            return
        chat_id = int(ctx.chat.id)
        if message.private and not ctx.chat.direct and not self._links_to_us(message):
            # Private things go to the person's own chat; the group sees nothing of them.
            try:
                sent = await self._post(int(ctx.account.user_id), message)
                await self.app.live.remember_reply(message, PLATFORM, sent, ctx)
                return
            except Unreachable:  # never started a chat with us: tell them how, in the group
                message = render_reply(Reply(
                    _("I can't message you privately yet. Open a chat with me, then try again."),
                    buttons=[Button(_("Open a private chat"), url=self.direct_link("start") or "")]),
                    ctx.language)
        sent = await self._post(chat_id, message, reply_to=reply_to, topic=topic)
        await self.app.live.remember_reply(message, PLATFORM, sent, ctx)

    def _links_to_us(self, message: Rendered) -> bool:
        """A reply whose point is a link into our private chat (a private command used in a group)."""
        prefix = f"https://t.me/{self.username}"
        return any(button.url and button.url.startswith(prefix) for row in message.buttons for button in row)

    async def _apologise(self, update: Update) -> None:
        # The update id finds the failure in the logs; the text stays out of them (privacy).
        error = sys.exc_info()[1]
        if error is not None and is_busy(error):  # another process holds the database: they hear "busy"
            log.warning("telegram: handling update %s failed: the database is locked", update.update_id)
        else:
            log.exception("telegram: handling update %s failed", update.update_id)
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        language = normalise_language(user.language_code if user else None)
        # Called inside the except block: a database held by another process is "busy", not an apology.
        message = render_reply(self.app.core.apology(error),
                               language or self.app.config.community.default_language)

        async def post() -> None:
            try:
                await self._post(chat.id, message)
            except Exception:
                log.warning("telegram: the apology for update %s could not be sent either", update.update_id)

        if chat.type == TgChat.PRIVATE:
            await post()
        else:  # in a group, in turn with the group's other answers
            self.chats.submit(chat.id, post)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram: error in update %s: %s", update_id, type(context.error).__name__,
                  exc_info=context.error)

    def _mark_handled(self) -> None:
        self.handled_updates += 1
        self._handled.set()
        self._handled = asyncio.Event()

    async def wait_handled(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` updates in all have been handled (tests and the bench)."""
        deadline = time.monotonic() + timeout
        while self.handled_updates < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"handled {self.handled_updates} of {count} updates")
            event = self._handled
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue
