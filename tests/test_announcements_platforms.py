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


def failing_in(both: TwoPlatforms, status: int, description: str, times: int) -> None:
    """The announcements group's sends answer `status` the next `times` times (the group is down)."""
    both.tg.fail_next("sendMessage", status, description, times=times,
                      predicate=lambda call: call.params.get("chat_id") == both.tg_group)


async def test_a_destination_down_when_due_gets_the_post_once_when_it_returns(both: TwoPlatforms) -> None:
    hanna = both.tg_user("Hanna", roles=("board",))
    await both.tg_say(hanna, '/announce_schedule text="Vaalit tulossa" when="27.11. klo 10" to=announcements')
    told_before = len(both.tg.bot_messages(hanna.id))
    failing_in(both, 500, "Internal Server Error", times=3)  # three tries fail, then it is back
    await both.app.scheduler.advance(20 * 3600)  # 27.11. 10:00 Helsinki time: due
    await both.settle()
    assert both.tg.bot_messages(both.tg_group) == []  # down: not yet
    for _step in range(6):  # the retries' backoff passes on the bot's clock
        await both.app.scheduler.advance(60)
        await both.settle()
    tries = [c for c in both.tg.calls_of("sendMessage") if c.params.get("chat_id") == both.tg_group]
    assert [c.error_code for c in tries] == [500, 500, 500, None]
    assert [m.text for m in both.tg.bot_messages(both.tg_group)] == ["Vaalit tulossa"]  # once, after recovery
    assert [m["content"] for m in both.dc.channel_messages(both.dc_channel)] == ["Vaalit tulossa"]
    assert len(both.tg.bot_messages(hanna.id)) == told_before  # not told of a failure that mended itself


async def test_the_author_hears_when_a_destination_never_takes_the_post(both: TwoPlatforms) -> None:
    hanna = both.tg_user("Hanna", roles=("board",))
    await both.tg_say(hanna, '/announce_schedule text="Vaalit tulossa" when="27.11. klo 10" to=announcements')
    failing_in(both, 500, "Internal Server Error", times=100)  # down for good
    await both.app.scheduler.advance(20 * 3600)
    for _step in range(20):
        await both.app.scheduler.advance(600)
        await both.settle()
    assert both.tg.bot_messages(both.tg_group) == []
    told = both.tg.last_bot_message(hanna.id).text or ""
    assert "announcements" in told and "Telegram" in told
