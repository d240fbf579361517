"""A form on Telegram (real python-telegram-bot against the fake Bot API): opened from a button, asked field
by field with keyboards for choices and Skip, a refused value and a cross-field error asked again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.formkit import SIGNUPS, kit
from tests.scenarios.driver import Seen, Who, text_of
from tests.scenarios.telegram_driver import TelegramBot, TelegramDriver

SANNI = Who("Sanni")


@pytest.fixture
async def driver(tmp_path: Path) -> AsyncIterator[TelegramDriver]:
    SIGNUPS.clear()
    async with FakeTelegram() as fake:
        bot = await TelegramBot.start(tmp_path, fake, extra_cogs=(kit,))
        try:
            yield TelegramDriver(bot)
        finally:
            await bot.stop()


def with_button(seen: list[Seen], label: str) -> Seen:
    return next(s for s in seen if any(label in b for b in s.buttons))


async def test_a_form_is_asked_field_by_field_and_a_refused_answer_is_asked_again(driver: TelegramDriver) -> None:
    card = with_button(await driver.say(SANNI, "/kit_trip_button"), "Sign up")
    assert "Mitä kenttään ”Your name” tulee?" in text_of(await driver.press(SANNI, card, "Sign up"))
    await driver.say(SANNI, "Sanni S")
    refused = text_of(await driver.say(SANNI, "9"))
    assert "enintään 4" in refused and "Mitä kenttään ”Seats” tulee?" in refused
    await driver.say(SANNI, "3")
    diet = with_button(await driver.say(SANNI, "huomenna klo 12"), "Vegan")
    assert diet.buttons == ["No diet", "Vegan", "Ohita", "Peruuta"]  # an inline keyboard, Skip for optional
    sauna = with_button(await driver.press(SANNI, diet, "Vegan"), "Kyllä")
    note = with_button(await driver.press(SANNI, sauna, "Kyllä"), "Ohita")
    again = text_of(await driver.press(SANNI, note, "Ohita"))
    assert "at most two" in again and "Mitä kenttään ”Seats” tulee?" in again and SIGNUPS == []
    done = text_of(await driver.say(SANNI, "2"))
    assert "Signed up Sanni S: 2 seats, diet vegan, sauna True, note None." in done and len(SIGNUPS) == 1
