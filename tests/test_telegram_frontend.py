"""The Telegram frontend end to end: humako-bot with the real python-telegram-bot against the fake Bot API.

Every check reads what the bot really sent (the fake's recorded calls and stored messages).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import pytest

from bot.commands import Choice, Cog, File, Param, Reply
from bot.context import Context, ServiceContext
from bot.frontends.telegram_menu import sync_menus
from bot.scheduler import Due
from bot.signing import payload_of
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, TgUser
from tests.scenarios.telegram_driver import TelegramBot

# A test-only cog: a private command in a group, a reference with suggestions, a file, a scheduled task.
diary = Cog("diary", "Test diary")
ITEMS = [Choice("1", "Kevätjuhla"), Choice("2", "Kevätretki"), Choice("3", "Syysjuhla")]


async def suggest_items(ctx: Context, partial: str) -> list[Choice]:
    return [c for c in ITEMS if partial.casefold() in str(c.label).casefold()]


@diary.command("Write a private note", private=True)
async def note(ctx: Context, text: Annotated[str, Param("The note", long=True)]) -> Reply:
    return Reply(f"Noted: {text}")


@diary.command("Pick an item")
async def pick(ctx: Context, item: Annotated[int, Param("Item", suggest=suggest_items)]) -> Reply:
    return Reply(f"Picked item {item}")


@diary.command("Get the diary as a file")
async def export(ctx: Context) -> Reply:
    return Reply("Your diary <3", files=[File("diary.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")])


@diary.command("Remind me in an hour")
async def remindme(ctx: Context, what: Annotated[str, Param("What")]) -> Reply:
    await ctx.schedule("remind", ctx.now() + timedelta(hours=1), key=f"diary:{ctx.person.id}",
                       payload={"what": what}, person_id=ctx.person.id)
    return Reply("I'll remind you.")


@diary.task("remind")
async def remind(ctx: ServiceContext, due: Due) -> None:
    assert due.person_id is not None
    await ctx.notify(due.person_id, Reply(f"Reminder: {due.payload['what']}"))


@diary.deep_link("diary")
async def open_entry(ctx: Context, rest: str) -> Reply:
    return Reply(f"Opening entry {rest}")


BOARD_CHAT = -1002000000003  # the "board" team chat that telegram_config creates (roles sorted by name)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def tg(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot.start(tmp_path, fake, extra_cogs=(diary,))
    try:
        yield bot
    finally:
        await bot.stop()


async def say(tg: TelegramBot, user: TgUser, text: str, chat_id: int | None = None) -> None:
    tg.fake.send_text(user, text, chat=tg.fake.chats[chat_id] if chat_id is not None else None)
    tg.queued()
    await tg.settle()


async def press(tg: TelegramBot, user: TgUser, message: StoredMessage, data: str) -> str:
    """Press the button whose action is `data` (the signed callback data on the message)."""
    data = next((d for d in message.callback_data() if payload_of(d) == data), data)
    query = tg.fake.press(user, message, data)
    tg.queued()
    await tg.settle()
    return query.query_id


def payloads(actions: list[str]) -> list[str]:
    return [payload_of(a) for a in actions]


def to_chat(chat_id: int):  # type: ignore[no-untyped-def]
    return lambda call: call.params.get("chat_id") == chat_id


def group(tg: TelegramBot, name: str = "announcements") -> int:
    chat_id = tg.app.config.destinations[name].telegram_chat_id
    assert chat_id is not None
    return chat_id


async def test_command_menus_in_both_languages(tg: TelegramBot) -> None:
    fake = tg.fake
    private_fi = fake.commands_for("all_private_chats", "fi")
    private_en = fake.commands_for("all_private_chats", "en")
    groups_fi = fake.commands_for("all_group_chats", "fi")
    assert private_fi is not None and private_en is not None and groups_fi is not None
    assert {"command": "ping", "description": "Tarkista, että olen hereillä"} in private_fi
    assert {"command": "ping", "description": "Check that I am alive"} in private_en
    assert {"command": "diary_note", "description": "Write a private note"} in private_fi
    names = [c["command"] for c in groups_fi]
    assert "diary_pick" in names and "diary_note" not in names  # private-only stays out of groups
    assert "broadcast" not in names  # board-only commands are not advertised
    assert fake.commands_for("all_group_chats", "en") is not None
    assert fake.commands_for("default") == private_fi
    assert len(fake.calls_of("setMyCommands")) == 5
    # A restart with the same commands writes nothing: the menus are compared first.
    assert await sync_menus(tg.frontend.ptb.bot, tg.app) == 0
    assert len(fake.calls_of("setMyCommands")) == 5


async def test_ping_and_button_edit_in_place(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1001, "Olli")
    await say(tg, olli, "/ping <b>&</b>")
    card = fake.last_bot_message(olli.id)
    assert card.text == "Pong: <b>&</b>"  # shown literally: escaped for Telegram's HTML
    [sent] = fake.calls_of("sendMessage")
    assert sent.params["parse_mode"] == "HTML" and "&lt;b&gt;&amp;&lt;/b&gt;" in sent.params["text"]
    assert payloads(card.callback_data()) == ["ping:again:1"]

    query_id = await press(tg, olli, card, "ping:again:1")
    assert card.text == "Pong ×2" and payloads(card.callback_data()) == ["ping:again:2"]  # same message, new keyboard
    [answer] = fake.calls_of("answerCallbackQuery")
    assert answer.params == {"callback_query_id": query_id, "text": "Pong!"}
    assert len(fake.bot_messages(olli.id)) == 1


async def test_grouped_command_forms(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1002, "Olli")
    chat_id = group(tg, "tutors")
    await say(tg, olli, "/diary pick 2")
    assert fake.last_bot_message(olli.id).text == "Picked item 2"
    await say(tg, olli, "/diary_pick@humako_test_bot Syysjuhla", chat_id)
    reply = fake.last_bot_message(chat_id)
    assert reply.text == "Picked item 3" and reply.reply_to is not None  # answers the command in a group
    await say(tg, olli, "/diary_pick@some_other_bot 1", chat_id)
    await say(tg, olli, "just chatting in the group", chat_id)
    assert len(fake.bot_messages(chat_id)) == 1  # neither was for us


async def test_conversation_asks_missing_parameters(tg: TelegramBot) -> None:
    fake = tg.fake
    emma = fake.user(1003, "Emma", language_code="en")
    await say(tg, emma, "/countdown")
    question = fake.last_bot_message(emma.id)
    assert "Until which moment should I count?" in (question.text or "")
    assert payloads(question.callback_data()) == ["core:cancel"]
    await say(tg, emma, "tomorrow 14:00")
    assert "24 hours" in (fake.last_bot_message(emma.id).text or "")

    await say(tg, emma, "/language")  # a choice: an inline keyboard, answered by a press
    choices = fake.last_bot_message(emma.id)
    assert [b["text"] for b in choices.buttons()] == ["suomi", "English", "Cancel"]
    await press(tg, emma, choices, "core:pick:0")
    assert fake.last_bot_message(emma.id).text == "Puhun kanssasi tästä lähtien suomea."

    await say(tg, emma, "/diary_pick")  # a reference: a keyboard of the best matches
    matches = fake.last_bot_message(emma.id)
    assert [b["text"] for b in matches.buttons()] == ["Kevätjuhla", "Kevätretki", "Syysjuhla", "Peruuta"]
    await press(tg, emma, matches, "core:pick:1")
    assert fake.last_bot_message(emma.id).text == "Picked item 2"

    await say(tg, emma, "/diary_note")  # long text: the next message; cancel with the button
    asked = fake.last_bot_message(emma.id)
    await press(tg, emma, asked, "core:cancel")
    assert asked.text == "Peruutettu." and asked.reply_markup is None
    await say(tg, emma, "not a command any more")
    assert "/help" in (fake.last_bot_message(emma.id).text or "")


async def test_private_command_in_group_answers_with_deep_link(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1004, "Olli")
    chat_id = group(tg, "tutors")
    await say(tg, olli, "/diary_note secret stuff", chat_id)
    reply = fake.last_bot_message(chat_id)
    assert "yksityisviestissä" in (reply.text or "")
    assert [b.get("url") for b in reply.buttons()] == ["https://t.me/humako_test_bot?start=diary_note"]
    assert "secret" not in (reply.text or "") and not fake.bot_messages(olli.id)

    await say(tg, olli, "/start diary_note")  # the link opens the private chat with this payload
    assert "/diary_note" in (fake.last_bot_message(olli.id).text or "")
    await say(tg, olli, "/start diary_42")  # a cog's own deep link
    assert fake.last_bot_message(olli.id).text == "Opening entry 42"


async def test_private_reply_in_group_goes_to_dm_or_deep_link(tg: TelegramBot) -> None:
    fake = tg.fake
    olli, kalle = fake.user(1005, "Olli"), fake.user(1006, "Kalle")
    chat_id = group(tg, "tutors")
    await say(tg, olli, "/help", chat_id)  # /help answers privately
    assert "/ping" in (fake.last_bot_message(olli.id).text or "")
    assert not fake.bot_messages(chat_id)

    fake.block(kalle.id)  # never started the bot: a DM is refused
    await say(tg, kalle, "/help", chat_id)
    reply = fake.last_bot_message(chat_id)
    assert "yksityisviestiä" in (reply.text or "")
    assert reply.buttons()[0]["url"] == "https://t.me/humako_test_bot?start=start"


async def test_file_reply_as_document(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1007, "Olli")
    await say(tg, olli, "/diary_export")
    [call] = fake.calls_of("sendDocument")
    assert call.files["document"] == ("diary.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert fake.last_bot_message(olli.id).caption == "Your diary <3"


async def test_roles_from_team_chat_membership(tg: TelegramBot) -> None:
    fake = tg.fake
    assert tg.app.config.roles["board"].telegram_chat_ids == (BOARD_CHAT,)
    board, student = fake.user(1008, "Hanna"), fake.user(1009, "Sami")
    fake.set_member(BOARD_CHAT, board.id, "administrator")
    await say(tg, student, "/broadcast Hello")
    assert "on vain näiden käytössä: hallitus" in (fake.last_bot_message(student.id).text or "")
    checks = [c for c in fake.calls_of("getChatMember") if c.params["user_id"] == board.id]
    assert not checks
    await say(tg, board, "/broadcast Vuosikokous <pe> & tervetuloa")
    [post] = fake.bot_messages(group(tg))  # reaches the announcements group through the outbox
    assert post.text == "Hallitukselta\nVuosikokous <pe> & tervetuloa"
    assert post.raw_text == "<b>Hallitukselta</b>\nVuosikokous &lt;pe&gt; &amp; tervetuloa"
    assert fake.last_bot_message(board.id).text == "Julkaistu tiedotteisiin."
    assert any(c.params["chat_id"] == BOARD_CHAT for c in fake.calls_of("getChatMember"))


async def test_role_cache_and_configured_user_ids(tmp_path: Path, fake: FakeTelegram) -> None:
    import dataclasses

    from bot.config import RoleSource
    from tests.scenarios.telegram_driver import telegram_config

    config = telegram_config(fake)
    roles = dict(config.roles)
    roles["board"] = RoleSource(telegram_chat_ids=(BOARD_CHAT,), telegram_user_ids=(2001,))
    config = dataclasses.replace(config, roles=roles,
                                 telegram=dataclasses.replace(config.telegram, role_cache_seconds=300))
    tg = await TelegramBot.start(tmp_path, fake, config=config)
    try:
        chair = fake.user(2001, "Puheenjohtaja")
        await say(tg, chair, "/broadcast Hei")
        await say(tg, chair, "/broadcast Taas")
        assert len(fake.bot_messages(group(tg))) == 2
        per_user = [c for c in fake.calls_of("getChatMember") if c.params["user_id"] == chair.id]
        assert len(per_user) == len(tg.app.roles.telegram_team_chats())  # one round, then the cache
    finally:
        await tg.stop()


async def test_scheduled_reminder_reaches_dm(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1010, "Olli")
    await say(tg, olli, "/diary_remindme Palauta essee")
    assert fake.last_bot_message(olli.id).text == "I'll remind you."
    await tg.app.scheduler.advance(3600)
    await tg.app.settle()
    assert fake.last_bot_message(olli.id).text == "Reminder: Palauta essee"
    assert tg.from_outbox(fake.last_bot_message(olli.id))


async def test_429_is_honoured_then_delivered(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1011, "Olli")
    await say(tg, olli, "/diary_remindme Kokous")
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                   predicate=to_chat(olli.id))
    await tg.app.scheduler.advance(3600)
    await tg.app.settle()
    first, second = [c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == olli.id][-2:]
    assert (first.error_code, second.error_code) == (429, None)
    assert second.time - first.time >= 1.0  # waited at least as long as asked (a lower bound only)
    assert fake.last_bot_message(olli.id).text == "Reminder: Kokous"
    assert tg.frontend.limiter.retries == 1
    assert tg.app.metrics.registry.get_sample_value("humako_rate_limited_total", {"platform": "telegram"}) == 1
    counts = await tg.app.outbox.rows.status_counts()
    assert counts.get("sent") == 1 and "failed" not in counts


async def test_blocked_user_recorded_unreachable(tg: TelegramBot) -> None:
    fake = tg.fake
    olli = fake.user(1012, "Olli")
    await say(tg, olli, "/diary_remindme Kokous")
    fake.block(olli.id)
    await tg.app.scheduler.advance(3600)
    await tg.app.settle()
    assert [c.error_code for c in fake.calls_of("sendMessage")][-1] == 403
    counts = await tg.app.outbox.rows.status_counts()
    assert counts.get("unreachable") == 1
    person = await tg.app.people.get_or_create("telegram", str(olli.id), "Olli")
    assert await tg.app.people.delivery_order(person.id) == []


async def test_handler_error_logged_and_apologised(tg: TelegramBot, caplog: pytest.LogCaptureFixture) -> None:
    fake = tg.fake
    olli = fake.user(1013, "Olli")
    fake.fail_next("sendMessage", 400, "Bad Request: something unexpected", predicate=to_chat(olli.id))
    with caplog.at_level(logging.ERROR, logger="bot.frontends.telegram"):
        sent = fake.send_text(olli, "/ping salainen")
        tg.queued()
        await tg.settle()
    assert fake.last_bot_message(olli.id).text.startswith("Minulla tapahtui virhe")
    [record] = [r for r in caplog.records if "failed" in r.getMessage()]
    assert str(sent.update_id) in record.getMessage()
    assert "salainen" not in caplog.text  # message texts never reach the logs
    await say(tg, olli, "/ping")  # still running
    assert fake.last_bot_message(olli.id).text == "Pong!"


async def test_event_list_and_rsvp_edit_the_posted_card(tmp_path: Path, fake: FakeTelegram) -> None:
    from tests.harness import test_config
    from tests.scenarios.telegram_driver import TEAM_CHAT_BASE, telegram_config

    config = telegram_config(fake, test_config(cogs=["ping", "events"], live_edit_seconds=0.0))
    tg = await TelegramBot.start(tmp_path, fake, config=config)
    try:
        organiser_chat = config.roles["organiser"].telegram_chat_ids[0]
        assert organiser_chat < TEAM_CHAT_BASE
        olli, sanni = fake.user(3001, "Olli"), fake.user(3002, "Sanni")
        fake.set_member(organiser_chat, olli.id, "member")
        await say(tg, olli, '/event create title="Kevätkokous" start="4.12. klo 18" where=helsinki '
                            'description="Tervetuloa" capacity=2')
        [card] = [m for m in fake.bot_messages(group(tg)) if "Kevätkokous" in (m.text or "")]
        await say(tg, sanni, "/event_list")
        assert "Kevätkokous" in (fake.last_bot_message(sanni.id).text or "")
        going = next(b["callback_data"] for b in card.buttons() if b["text"] == "Tulen")
        await press(tg, sanni, card, going)
        assert card.edited and "Tulossa 1/2" in (card.text or "")
        edits = [c for c in fake.calls_of("editMessageText") if c.params["chat_id"] == group(tg)]
        assert edits and all(c.ok for c in edits)
        assert fake.calls_of("answerCallbackQuery")[-1].ok
    finally:
        await tg.stop()


async def test_group_chatter_during_a_prompt_stores_nobody(tg: TelegramBot) -> None:
    fake = tg.fake
    chat_id = group(tg)
    olli, sanni = fake.user(1101, "Olli"), fake.user(1102, "Sanni")
    await say(tg, olli, "/countdown", chat_id=chat_id)  # Olli owes us an answer in the group
    await say(tg, sanni, "kuka tulee saunaan?", chat_id=chat_id)  # Sanni is just chatting
    assert await tg.app.db.fetchval(
        "SELECT COUNT(*) FROM accounts WHERE platform = 'telegram' AND platform_user_id = ?", ("1102",)) == 0
    assert not [c for c in fake.calls_of("getChatMember") if c.params.get("user_id") in (1102, "1102")]
    await say(tg, olli, "huomenna klo 14", chat_id=chat_id)
    assert "24 tunnin päästä" in (fake.last_bot_message(chat_id).text or "")
