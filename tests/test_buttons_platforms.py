"""Forged button data and another person's Cancel on the real python-telegram-bot and discord.py, against the
fakes: the core's checks hold whatever the platform lets a modified client send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.signing import payload_of
from tests.fakes.telegram_api import CallbackPress, FakeTelegram, StoredMessage, TgUser
from tests.scenarios.discord_driver import DiscordBot
from tests.scenarios.driver import Who
from tests.scenarios.telegram_driver import TelegramBot
from tests.test_telegram_frontend import say

NO_LONGER_WORKS = "Tämä painike ei enää toimi."
NOT_YOURS = "Tämä painike on sille, jolle viesti näytettiin."
EPHEMERAL = 64


# -------------------------------------------------------------------------------------------- Telegram


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[TelegramBot]:
    async with FakeTelegram() as fake:
        bot = await TelegramBot.start(tmp_path, fake)
        try:
            yield bot
        finally:
            await bot.stop()


async def press(tg: TelegramBot, user: TgUser, message: StoredMessage, data: str) -> str | None:
    """Press with any callback data (forged or not); the toast the presser got."""
    pressed: CallbackPress = tg.fake.press(user, message, data, forged=True)
    tg.queued()
    await tg.settle()
    [answer] = [c for c in tg.fake.calls_of("answerCallbackQuery")
                if c.params.get("callback_query_id") == pressed.query_id]
    return answer.params.get("text")


def edits_of(tg: TelegramBot, message: StoredMessage) -> int:
    return sum(1 for c in tg.fake.calls_of("editMessageText")
               if c.params.get("message_id") == message.message_id and c.params.get("chat_id") == message.chat_id)


async def test_telegram_forged_callback_data_on_the_announcements_card_changes_nothing(tg: TelegramBot) -> None:
    fake = tg.fake
    olli, emma = fake.user(3001, "Olli"), fake.user(3002, "Emma")
    fake.set_member(tg.app.config.roles["board"].telegram_chat_ids[0], olli.id, "administrator")
    await say(tg, olli, '/event create title=Quiz start="4.12. klo 18" where=helsinki description=x')
    group = tg.app.config.destinations["announcements"].telegram_chat_id
    assert group is not None
    card = fake.last_bot_message(group)
    text, buttons = card.text, card.buttons()
    assert [payload_of(d) for d in card.callback_data()] == ["ev:rsvp:1:yes", "ev:rsvp:1:maybe", "ev:rsvp:1:no"]
    genuine = card.callback_data()[0]
    _payload, owner, mac = genuine.split("~")
    for forged in ("core:cancel", "ev:page:2:-:-", "ev:rsvp:1:yes", f"ev:rsvp:1:no~{owner}~{mac}"):
        assert await press(tg, emma, card, forged) == NO_LONGER_WORKS, forged
    assert edits_of(tg, card) == 0 and card.text == text and card.buttons() == buttons
    assert len(fake.bot_messages(group)) == 1 and fake.bot_messages(emma.id) == []
    assert await press(tg, emma, card, genuine) == "Olet tulossa: Quiz."  # the real button works


async def test_telegram_another_persons_cancel_leaves_the_prompt_open(tg: TelegramBot) -> None:
    fake = tg.fake
    olli, emma = fake.user(3003, "Olli"), fake.user(3004, "Emma")
    group = tg.app.config.destinations["announcements"].telegram_chat_id
    assert group is not None
    await say(tg, olli, "/countdown", group)
    question = fake.last_bot_message(group)
    [cancel] = question.callback_data()
    assert payload_of(cancel) == "core:cancel" and "Mihin hetkeen lasken aikaa?" in (question.text or "")
    assert await press(tg, emma, question, cancel) == NOT_YOURS
    assert edits_of(tg, question) == 0 and question.reply_markup is not None
    await say(tg, olli, "huomenna klo 14", group)  # Olli's question is still open
    assert "tunnin päästä" in (fake.last_bot_message(group).text or "")


# --------------------------------------------------------------------------------------------- Discord


@pytest.fixture
async def dc(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    bot = await DiscordBot.start(tmp_path)
    try:
        yield bot
    finally:
        await bot.stop()


async def test_discord_forged_custom_id_changes_nothing(dc: DiscordBot) -> None:
    """discord.py hands a component interaction over only when its custom_id is on the message, so a forged id
    reaches us on a message that carries it: one posted before the upgrade, under another key, or altered."""
    olli, emma = dc.driver._user(Who("Olli")), dc.driver._user(Who("Emma"))
    handle = await dc.fake.slash("ping", user_id=olli)
    await handle.response()
    message = handle.original_message()
    assert message is not None
    button = message["components"][0]["components"][0]
    genuine = button["custom_id"]
    _payload, owner, mac = genuine.split("~")
    for forged in ("core:cancel", "ping:again:1", f"ping:again:99~{owner}~{mac}", f"ping:again:1~~{mac}"):
        button["custom_id"] = forged
        pressed = await dc.fake.press(forged, message_id=int(message["id"]), user_id=olli)
        answer = (await pressed.response()).json
        assert answer["type"] == 4 and answer["data"]["flags"] == EPHEMERAL, forged
        assert answer["data"]["content"] == NO_LONGER_WORKS, forged
        await dc.frontend.wait_handled(pressed.id)
    button["custom_id"] = genuine
    pressed = await dc.fake.press(genuine, message_id=int(message["id"]), user_id=emma)  # Olli's, pressed by Emma
    answer = (await pressed.response()).json
    assert answer["data"]["flags"] == EPHEMERAL and answer["data"]["content"] == NOT_YOURS
    await dc.frontend.wait_handled(pressed.id)
    stored = dc.fake.message(int(message["id"]))
    assert stored is not None and stored["content"] == "Pong!"  # never edited
    pressed = await dc.fake.press(genuine, message_id=int(message["id"]), user_id=olli)
    assert (await pressed.response()).json["type"] == 7  # Olli's own press edits it
