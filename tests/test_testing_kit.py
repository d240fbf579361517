"""bot/testing.py, the kit a cog's tests start from: a bot with chosen cogs and settings in one call, people
typing and pressing (labels and genuine signed ids), time passing, and the ping cog's Finnish names."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.testing import ConsoleDriver, Who, make_config, test_bot, text_of, texts
from tests.formkit import kit

ROOT = Path(__file__).resolve().parent.parent


async def test_a_bot_runs_only_the_chosen_cogs() -> None:
    async with test_bot(cogs=["ping"]) as bot:
        out = texts(await bot.say("/help", as_="Olli"))
        assert "/ping" in out and "/event" not in out
        assert "/event" in texts(await bot.say("/event list"))  # "Unknown command /event"
        assert "Tuntematon komento" in texts(await bot.say("/event list"))


async def test_settings_are_merged_over_the_example_and_validated() -> None:
    async with test_bot(cogs=["events"], config={"events": {"page_size": 2}}) as bot:
        events = bot.app.config.section("events")
        assert events["page_size"] == 2 and events["reminder_hours"] == (24, 1)  # the example's other keys kept
    with pytest.raises(ConfigError, match="page_size"):
        make_config(cogs=["events"], settings={"events": {"page_size": 0}})
    with pytest.raises(ConfigError, match="not enabled"):
        make_config(cogs=["ping"], settings={"events": {"page_size": 3}})


async def test_buttons_are_pressed_by_label_and_by_a_genuine_signed_id() -> None:
    async with test_bot(cogs=["ping"]) as bot:
        [card] = await bot.say("/ping viesti=moi", as_="Olli")  # the Finnish parameter name
        assert card.text == "Pong: moi"
        await bot.press("Uudestaan", message=card.number)
        assert bot.message(card.number).text == "Pong ×2"
        olli = await bot.person("Olli")
        await bot.press_action("ping:again:41", owner=olli.id, message=card.number)
        assert bot.message(card.number).text == "Pong ×42"
        # Someone else's press of Olli's owner-only button changes nothing.
        refused = texts(await bot.press_action("ping:again:7", owner=olli.id, message=card.number, as_="Emma"))
        assert "Tämä painike on" in refused and bot.message(card.number).text == "Pong ×42"
        # An id signed for nobody is not Olli's either; an unsigned one is not genuine at all.
        assert "Tämä painike on" in texts(await bot.press_action("ping:again:7", message=card.number, as_="Olli"))
        assert "ei enää toimi" in texts(await bot.line(f":press ping:again:7 #{card.number}"))


async def test_time_passes_only_when_told_from_the_chosen_now() -> None:
    start = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    async with test_bot(cogs=["ping"], now=start) as bot:
        assert "3 tunnin" in texts(await bot.say('/countdown milloin="4.1.2027 klo 13"', as_="Olli"))
        await bot.wait("2h")
        assert bot.app.clock.now() == start + timedelta(hours=2)


async def test_a_test_cog_and_the_database_across_two_bots_on_one_directory(tmp_path: Path) -> None:
    async with test_bot(cogs=[], extra_cogs=[kit], data_dir=tmp_path) as bot:
        out = await bot.say("/kit numbers", as_="Olli")
        assert "number 5" in texts(out) and "number 6" not in texts(out)
        await bot.press("Seuraava")  # "Next", in the default language
        assert "number 6" in bot.message(out[0].number).text
    async with test_bot(cogs=[], data_dir=tmp_path) as again:
        assert [row["display_name"] for row in await again.rows("SELECT display_name FROM people")] == ["Olli"]


async def test_the_console_driver_runs_a_scenario() -> None:
    async with test_bot(cogs=["ping"]) as bot:
        driver = ConsoleDriver(bot)
        emma = Who("Emma", language="en")
        assert "Pong: hi" in text_of(await driver.say(emma, "/ping message=hi"))
        posted = text_of(await driver.say(Who("Hanna", frozenset({"board"})), '/broadcast teksti="Vuosikokous"'))
        assert "Julkaistu" in posted
        [announcement] = await driver.posted("announcements")
        assert "Vuosikokous" in announcement.text


def test_the_kit_needs_no_test_framework() -> None:
    program = "import sys, bot.testing; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pytest'))"
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


async def test_the_guides_example_ping_button_counts_for_its_owner_only() -> None:
    """The example in docs/writing-a-cog.md, as written there."""
    async with test_bot(cogs=["ping"]) as bot:
        [card] = await bot.say("/ping viesti=moi", as_="Olli")
        await bot.press("Uudestaan", message=card.number)
        assert bot.message(card.number).text == "Pong ×2"
        refused = texts(await bot.press("Uudestaan", message=card.number, as_="Emma"))
        assert "Tämä painike on" in refused
        assert bot.message(card.number).text == "Pong ×2"
