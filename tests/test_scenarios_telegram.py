"""The shared scenario suite on Telegram: real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.harness import test_config
from tests.scenarios import SETTINGS, all_scenarios
from tests.scenarios.telegram_driver import TelegramBot, TelegramDriver, telegram_config


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[TelegramBot]:
    async with FakeTelegram() as fake:
        bot = await TelegramBot.start(tmp_path, fake, telegram_config(fake, test_config(None, SETTINGS,
                                                                                          live_edit_seconds=0.0)))
        try:
            yield bot
        finally:
            await bot.stop()


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.__name__)
async def test_scenario_on_telegram(telegram: TelegramBot, scenario) -> None:  # type: ignore[no-untyped-def]
    await scenario(TelegramDriver(telegram))
    assert all(call.ok or call.error_code in (403, 429) for call in telegram.fake.calls), [
        (call.method, call.description) for call in telegram.fake.calls if not call.ok]
