"""Proves FakeTelegram against a bare, real python-telegram-bot Application (not humako-bot)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.telegram_api import Call, FakeTelegram

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

pytestmark = pytest.mark.asyncio

RSVP = "ev:rsvp:1:yes"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = context.args[0] if context.args else "-"
    await update.effective_message.reply_text(f"payload={payload}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tulen", callback_data=RSVP)]])
    await update.effective_message.reply_text(" ".join(context.args) or "echo", reply_markup=keyboard)


async def on_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Kiitos!")
    await query.edit_message_text(f"Ilmoittautuminen tallennettu ({query.data})")


def build_app(fake: FakeTelegram, rate_limiter: AIORateLimiter | None = None) -> Application:
    builder = fake.application_builder()
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("echo", echo))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture
async def app(fake: FakeTelegram) -> AsyncIterator[Application]:
    """Embedded the way a bot owning its event loop does it: no run_polling()."""
    application = build_app(fake)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


def to_chat(chat_id: int) -> Callable[[Call], bool]:
    return lambda call: call.params.get("chat_id") == chat_id


async def test_startup_calls_and_prompt_shutdown(fake: FakeTelegram) -> None:
    application = build_app(fake)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=30)
        while fake.polls == 0:  # a long poll is waiting at the fake
            await asyncio.sleep(0.01)
        started = [call.method for call in fake.calls]
        await application.updater.stop()
        await application.stop()
    assert started[:2] == ["getMe", "deleteWebhook"]
    # Stopping did not wait out the 30 s poll: the fake never answered it (an abandoned poll is not recorded);
    # PTB's last call is a poll with timeout 0 that confirms the offset.
    assert [c.params for c in fake.calls_of("getUpdates")] == [{"timeout": 0, "offset": 0}]
    assert all(call.ok for call in fake.calls)


async def test_commands_stored_per_scope_and_language(fake: FakeTelegram, app: Application) -> None:
    private, groups = BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()
    await app.bot.set_my_commands([BotCommand("start", "Aloita")], scope=private, language_code="fi")
    await app.bot.set_my_commands([BotCommand("start", "Start")], scope=private, language_code="en")
    await app.bot.set_my_commands([BotCommand("echo", "Kaiku")], scope=groups, language_code="fi")

    assert [call.params["language_code"] for call in fake.calls_of("set_my_commands")] == ["fi", "en", "fi"]
    assert fake.commands_for("all_private_chats", "fi") == [{"command": "start", "description": "Aloita"}]
    assert fake.commands_for("all_private_chats", "en") == [{"command": "start", "description": "Start"}]
    assert fake.commands_for("all_group_chats", "fi") == [{"command": "echo", "description": "Kaiku"}]
    assert fake.commands_for("default") is None
    fetched = await app.bot.get_my_commands(scope=groups, language_code="fi")
    assert [command.command for command in fetched] == ["echo"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Start", "capitals are invalid")])


@pytest.mark.usefixtures("app")
async def test_start_deep_link_payload(fake: FakeTelegram) -> None:
    user = fake.user(1001, "Aino")
    fake.send_text(user, "/start ev_42")
    [call] = await fake.wait_for("sendMessage", to_chat(user.id))
    assert call.params["text"] == "payload=ev_42"
    reply = fake.last_bot_message(user.id)
    assert reply.text == "payload=ev_42"
    assert reply.sender["username"] == "humako_test_bot"


@pytest.mark.usefixtures("app")
async def test_button_press_answers_and_edits(fake: FakeTelegram) -> None:
    user = fake.user(1002, "Eero", language_code="en")
    fake.send_text(user, "/echo Vuosijuhlat")
    await fake.wait_for("sendMessage", to_chat(user.id))
    message = fake.last_bot_message(user.id)
    assert message.text == "Vuosijuhlat"
    assert message.callback_data() == [RSVP]

    press = fake.press(user, message, RSVP)
    [answer] = await fake.wait_for("answerCallbackQuery")
    assert answer.params == {"callback_query_id": press.query_id, "text": "Kiitos!"}
    await fake.wait_for("editMessageText")
    assert message.text == f"Ilmoittautuminen tallennettu ({RSVP})"
    assert message.edited
    assert message.history[0][0] == "Vuosijuhlat"
    assert message.reply_markup is None  # edits without reply_markup drop the keyboard, like Telegram


@pytest.mark.usefixtures("app")
async def test_group_command_addressed_to_bot(fake: FakeTelegram) -> None:
    user, group = fake.user(1003, "Liisa"), fake.group(-1001234567890, "Hallitus")
    fake.send_text(user, "/echo@other_bot ei minulle", chat=group)
    sent = fake.send_text(user, "/echo@humako_test_bot moi", chat=group)
    assert sent.entities == [{"type": "bot_command", "offset": 0, "length": 21}]
    [call] = await fake.wait_for("sendMessage", to_chat(group.id))
    assert call.params["text"] == "moi"
    reply = fake.last_bot_message(group.id)
    assert reply.chat.type == "supergroup"
    assert reply.reply_to is sent  # PTB quotes in groups by default
    assert len(fake.bot_messages(group.id)) == 1


async def test_document_upload_and_download(fake: FakeTelegram, app: Application) -> None:
    user = fake.user(1004, "Onni")
    content = b"nimi;email\nAino;aino@example.fi\n"
    message = await app.bot.send_document(user.id, document=content, filename="jasenet.csv", caption="Lista")
    [call] = fake.calls_of("sendDocument")
    assert call.files["document"] == ("jasenet.csv", content)
    assert message.document.file_name == "jasenet.csv"
    assert fake.last_bot_message(user.id).caption == "Lista"
    telegram_file = await app.bot.get_file(message.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == content


async def test_retry_after_is_honoured_by_rate_limiter(fake: FakeTelegram) -> None:
    user = fake.user(1005, "Veera")
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with build_app(fake, AIORateLimiter(max_retries=2)) as application:
        await application.bot.send_message(user.id, "muistutus")
    first, second = fake.calls_of("sendMessage")
    assert (first.error_code, second.error_code) == (429, None)
    assert second.time - first.time >= 1.0  # waited at least as long as asked (a lower bound only)
    assert [m.text for m in fake.bot_messages(user.id)] == ["muistutus"]


async def test_forbidden_and_bad_requests(fake: FakeTelegram, app: Application) -> None:
    blocker, other = fake.user(1006, "Kalle"), fake.user(1007, "Maija")
    blocked = "Forbidden: bot was blocked by the user"
    fake.fail_next("sendMessage", 403, blocked, predicate=to_chat(blocker.id))
    await app.bot.send_message(other.id, "ok")  # the rule only matches the blocker's chat
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await app.bot.send_message(blocker.id, "hei")
    await app.bot.send_message(blocker.id, "rule used up")

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await app.bot.edit_message_text("x", chat_id=other.id, message_id=999)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await app.bot.edit_message_text("ok", chat_id=other.id, message_id=1)
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await app.bot.send_message(other.id, "Aino <aino@example.fi>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await app.bot.send_message(other.id, "Kokous 1.2. klo 18", parse_mode="MarkdownV2")
    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("sendFancyThing")
    assert fake.calls_of("sendFancyThing")[0].error_code == 404


async def test_chat_member_and_chat(fake: FakeTelegram, app: Application) -> None:
    user, group = fake.user(1008, "Sanni"), fake.group(-555, "Jäsenet")
    fake.set_member(group.id, user.id, "administrator")
    assert (await app.bot.get_chat_member(group.id, user.id)).status == "administrator"
    assert (await app.bot.get_chat_member(group.id, 4242)).status == "left"
    assert (await app.bot.get_chat(group.id)).title == "Jäsenet"


async def test_flood_mode_rejects_naive_burst(fake: FakeTelegram) -> None:
    fake.flood_limit(per_second=30, per_group_per_minute=20)
    fake.clock = lambda: 0.0  # all 40 inside one second, however slowly they are sent
    user = fake.user(1009, "Ville")
    rejected = 0
    async with Bot(fake.token, base_url=fake.bot_api_url) as bot:
        for index in range(40):
            try:
                await bot.send_message(user.id, f"viesti {index}")
            except RetryAfter:
                rejected += 1
    assert rejected == fake.flood_429s == 10  # exactly the 10 above the limit fail
    assert all(call.description == "Too Many Requests: retry after 1"
               for call in fake.calls_of("sendMessage") if call.error_code == 429)
    assert len(fake.bot_messages(user.id)) == 30


async def test_flood_mode_group_limit(fake: FakeTelegram) -> None:
    fake.flood_limit(per_second=None, per_group_per_minute=20)
    fake.clock = lambda: 0.0  # the 21st send falls inside the same minute however slow the machine is
    group = fake.group(-777, "Kilta")
    async with Bot(fake.token, base_url=fake.bot_api_url) as bot:
        for index in range(20):
            await bot.send_message(group.id, f"{index}")
        with pytest.raises(RetryAfter):
            await bot.send_message(group.id, "one too many")
        await bot.send_message(1010, "private chats are not group-limited")


async def test_long_poll_wakes_on_queued_update(fake: FakeTelegram) -> None:
    user = fake.user(1011, "Pekka")
    async with Bot(fake.token, base_url=fake.bot_api_url) as bot:
        assert await bot.get_updates(timeout=0) == ()
        poll = asyncio.ensure_future(bot.get_updates(timeout=30))
        while fake.polls < 2:  # the long poll is waiting at the fake
            await asyncio.sleep(0.01)
        fake.send_text(user, "hei")
        # Woken by the update: a fake that slept out its 30 s would trip this guard (a hang guard, not a timing).
        updates = await asyncio.wait_for(poll, 10)
        assert updates[0].message.text == "hei"
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
