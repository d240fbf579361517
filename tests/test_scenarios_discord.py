"""The shared scenario suite on the Discord frontend: real discord.py against FakeDiscord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import test_config
from tests.scenarios import SETTINGS, all_scenarios
from tests.scenarios.discord_driver import DiscordBot


@pytest.fixture
async def discord_bot(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    # Global commands, so that a scenario's DM (its default place) has the slash commands too.
    bot = await DiscordBot.start(tmp_path, test_config(None, SETTINGS), sync="global")
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.__name__)
async def test_scenario_on_discord(discord_bot: DiscordBot, scenario) -> None:  # type: ignore[no-untyped-def]
    await scenario(discord_bot.driver)
