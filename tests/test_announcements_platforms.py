"""Announcements on the real Telegram and Discord libraries against the fakes: /announce preview shows each
platform's own rendering (escaping, embed or plain content), and what is then posted looks just like it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands import Reply
from bot.context import ServiceContext
from tests.fakes.telegram_api import FakeTelegram
from tests.test_live_cross_platform import TwoPlatforms

HTMLISH = '<b>Tärkeä</b> & "kaikki" <a href="x">linkki</a>'


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def both(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[TwoPlatforms]:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, cogs=("announcements",))
    try:
        yield rig
    finally:
        await rig.stop()


async def test_preview_shows_each_platforms_rendering_and_the_post_looks_like_it(both: TwoPlatforms) -> None:
    hanna = both.tg_user("Hanna", roles=("board",))
    await both.tg_say(hanna, f"/announce_schedule text='{HTMLISH}' when=\"27.11. klo 10\" "
                             "to=announcements,international english=\"Hello <all>\"")
    await both.tg_say(hanna, "/announce_preview 1")
    preview = both.tg.last_bot_message(hanna.id).text or ""
    # Telegram shows the text as written (escaped, not bold); Discord sends it as plain content.
    assert f"#announcements · Telegram · fi\n{HTMLISH}" in preview
    assert f"#announcements · Discord · fi\n{HTMLISH}" in preview
    assert "#international · Discord · en\nHello <all>" in preview
    await both.app.scheduler.advance(86400)
    await both.settle()
    [tg_post] = both.tg.bot_messages(both.tg_group)
    [dc_post] = both.dc.channel_messages(both.dc_channel)
    assert tg_post.text == HTMLISH and dc_post["content"] == HTMLISH


async def test_a_preview_is_clipped_and_built_as_each_platform_would(both: TwoPlatforms) -> None:
    ctx = ServiceContext(both.app)
    long = Reply("😀" * 2500, title="Otsikko <i>")
    telegram = ctx.preview(long, "telegram", "fi") or ""
    discord = ctx.preview(long, "discord", "fi") or ""
    # Telegram counts 2 UTF-16 units per emoji and cuts at 4096; Discord's embed description holds 4096
    # code points, so the whole text goes there.
    assert telegram.startswith("Otsikko <i>\n") and telegram.endswith("…") and telegram.count("😀") < 2048
    assert discord == "Otsikko <i>\n" + "😀" * 2500
    plain = ctx.preview(Reply("x" * 2500), "discord", "fi") or ""
    assert len(plain) == 2000 and plain.endswith("…")  # plain content: Discord's 2000
    assert ctx.preview(long, "console", "fi") is None  # not running here
    assert ctx.destination_platforms("announcements") == ["telegram", "discord"]
