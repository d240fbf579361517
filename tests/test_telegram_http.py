"""The Telegram frontend's HTTP layer (aiohttp under PTB), against the fake Bot API: the same bodies as PTB's
own httpx layer, failures raised as PTB's TimedOut and NetworkError, which the outbox and the rate limiter
understand; and answers left unparsed where only an id (or nothing) is kept."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.commands import File, Rendered, RenderedButton, Reply, render_reply
from bot.frontends.base import RetryLater, Target
from bot.frontends.telegram import delivery_error
from bot.frontends.telegram_http import AiohttpRequest
from bot.frontends.telegram_limits import Lane, SlidingRateLimiter
from bot.frontends.telegram_render import keyboard, keyboard_json
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import test_config as config_for_tests
from tests.scenarios.telegram_driver import TelegramBot, telegram_config


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def tg(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot.start(tmp_path, fake, config=telegram_config(fake, config_for_tests(cogs=["ping"])))
    try:
        yield bot
    finally:
        await bot.stop()


def bot_on(url: str, token: str, request: AiohttpRequest) -> Bot:
    return Bot(token, base_url=url, request=request, get_updates_request=AiohttpRequest(connection_pool_size=1))


async def test_a_reply_goes_out_through_aiohttp_with_its_markup_and_html(tg: TelegramBot) -> None:
    assert isinstance(tg.frontend.ptb.bot.request, AiohttpRequest)
    ada = tg.fake.user(5001, "Ada", language_code="en")
    tg.fake.send_text(ada, "/ping")
    [call] = await tg.fake.wait_for("sendMessage")
    assert call.ok and call.params["chat_id"] == ada.id and call.params["parse_mode"] == "HTML"
    stored = tg.fake.last_bot_message(ada.id)
    assert stored.text == "Pong!" and stored.callback_data()  # its button came through as a keyboard


async def test_a_file_with_a_finnish_name_is_uploaded_whole(tg: TelegramBot) -> None:
    ada = tg.fake.user(5002, "Ada")
    data = bytes(range(256)) * 40  # every byte value, 10 kB
    reply = Reply("Jäsenlista", files=[File('Jäsenet "syksy".csv', data, "text/csv")])
    await tg.frontend.send(Target("telegram", str(ada.id)), render_reply(reply, "fi"))
    [stored] = tg.fake.bot_messages(ada.id)
    assert stored.document is not None and stored.caption == "Jäsenlista"
    assert tg.fake.files[stored.document["file_id"]] == ('Jäsenet "syksy".csv', data)


async def test_an_answer_held_past_the_read_timeout_is_timed_out_and_retried_later(tg: TelegramBot) -> None:
    ada = tg.fake.user(5003, "Ada")
    tg.fake.hold_next("sendMessage", 1.0)
    with pytest.raises(TimedOut) as raised:
        await tg.frontend.ptb.bot.send_message(ada.id, "Hei", read_timeout=0.2)
    assert isinstance(delivery_error(raised.value), RetryLater)  # the outbox tries it again


async def test_a_full_pool_is_timed_out_without_sending(fake: FakeTelegram) -> None:
    fake.hold_next("sendMessage", 1.0)
    bot = bot_on(fake.bot_api_url, fake.token,
                 AiohttpRequest(connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1))
    async with bot:
        ada = fake.user(5004, "Ada")
        first = asyncio.ensure_future(bot.send_message(ada.id, "Eka", read_timeout=2.0))
        await fake.wait_for("sendMessage")  # the one connection is taken until its answer comes
        with pytest.raises(TimedOut):
            await bot.send_message(ada.id, "Toka")
        await first
    assert [call.params["text"] for call in fake.calls_of("sendMessage")] == ["Eka"]


async def test_an_unreachable_api_is_a_network_error_not_a_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    request = AiohttpRequest()
    bot = bot_on(f"http://127.0.0.1:{port}/bot", "123:abc", request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.get_me()
        assert not isinstance(raised.value, TimedOut)
        assert "ClientConnectorError" in str(raised.value)
    finally:
        await request.shutdown()


class RecordingLimiter(SlidingRateLimiter):
    """The frontend's limiter, remembering each limited request's method and lane."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, object]] = []

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: Lane | None) -> Any:
        self.seen.append((endpoint, rate_limit_args))
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


async def test_an_unparsed_call_goes_through_the_limiter_in_its_lane(tmp_path: Path, fake: FakeTelegram) -> None:
    limiter = RecordingLimiter()
    tg = await TelegramBot.start(tmp_path, fake, config=telegram_config(fake, config_for_tests(cogs=["ping"])),
                                 rate_limiter=limiter)
    try:
        ada = fake.user(5005, "Ada")
        answer = await tg.frontend.bot.call("sendMessage", {"chat_id": ada.id, "text": "<b>Hei</b>",
                                                            "parse_mode": "HTML", "message_thread_id": None},
                                            Lane.SEND)
        stored = fake.last_bot_message(ada.id)
        assert answer["message_id"] == stored.message_id and stored.text == "Hei"  # Telegram's dict, as it came
        [call] = fake.calls_of("sendMessage")
        assert "message_thread_id" not in call.params  # None values are left out, as PTB's methods do
        assert limiter.seen[-1] == ("sendMessage", Lane.SEND)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):  # PTB's errors, as its methods raise
            await tg.frontend.bot.call("editMessageText", {"chat_id": ada.id, "message_id": 999, "text": "x"},
                                       Lane.EDIT)
    finally:
        await tg.stop()


async def test_a_pressed_card_is_edited_and_a_reply_keeps_its_id(tg: TelegramBot) -> None:
    ada = tg.fake.user(5006, "Ada", language_code="en")
    tg.fake.send_text(ada, "/ping")
    await tg.fake.wait_for("sendMessage")
    card = tg.fake.last_bot_message(ada.id)
    press = tg.fake.press(ada, card, card.callback_data()[0])
    await tg.fake.wait_for("answerCallbackQuery")
    [edit] = await tg.fake.wait_for("editMessageText")
    assert edit.ok and edit.params["message_id"] == card.message_id  # the id kept from the unparsed answer
    assert card.edited and press.message is card


labels = st.text(min_size=1, max_size=20)
buttons = st.builds(RenderedButton, label=labels, action=st.text(min_size=1, max_size=64),
                    url=st.none() | st.just("https://t.me/humako_test_bot?start=x") | st.just("https://humako.fi/ö"))


@given(rows=st.lists(st.lists(buttons, max_size=4), max_size=4))
def test_the_keyboards_json_is_what_ptb_would_send(rows: list[list[RenderedButton]]) -> None:
    message = Rendered(text="Hei", buttons=rows)
    markup = keyboard(message)
    built = keyboard_json(message)
    if markup is None:
        assert built is None
    else:
        assert built is not None and json.loads(built) == markup.to_dict()
