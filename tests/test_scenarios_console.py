"""The shared scenario suite on the console frontend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import ConsoleBot, test_config
from tests.scenarios import SETTINGS, all_scenarios
from tests.scenarios.console_driver import ConsoleDriver


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    bot = await ConsoleBot.start(tmp_path, test_config(None, SETTINGS))
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.__name__)
async def test_scenario_on_console(console: ConsoleBot, scenario) -> None:  # type: ignore[no-untyped-def]
    await scenario(ConsoleDriver(console))
