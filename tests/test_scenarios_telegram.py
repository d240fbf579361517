"""The shared scenario suite on Telegram: real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios import all_scenarios
from tests.scenarios.telegram_driver import TelegramBot, TelegramDriver


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[TelegramBot]:
    async with FakeTelegram() as fake:
        bot = await TelegramBot.start(tmp_path, fake)
        try:
            yield bot
        finally:
            await bot.stop()


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.__name__)
async def test_scenario_on_telegram(telegram: TelegramBot, scenario) -> None:  # type: ignore[no-untyped-def]
    await scenario(TelegramDriver(telegram))
    assert all(call.ok or call.error_code in (403, 429) for call in telegram.fake.calls), [
        (call.method, call.description) for call in telegram.fake.calls if not call.ok]
