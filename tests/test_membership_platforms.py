"""The membership cog on the real libraries (issue 24): ONE application runs python-telegram-bot against
FakeTelegram and discord.py against FakeDiscord. A member's /member invite gives a Telegram deep link and a
personal Discord invite made by the bot; a newcomer arriving through the deep link, or joining the guild
through the invite (GUILD_MEMBER_ADD, the invite's uses compared), is their referral; an account younger than
`min_account_days` waits for review; the membership role given on Discord (GUILD_MEMBER_UPDATE) confirms.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Arrival
from bot.context import Context
from tests.fakes.discord_server import FakeUser
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import TEST_NOW
from tests.test_live_cross_platform import TwoPlatforms

DISCORD_EPOCH_MS = 1420070400000
SETTINGS = {"membership": {"member_role": "member", "min_account_days": 7},
            "roles": {"member": {"name_fi": "jäsenet", "name_en": "members"}}}
CAMPAIGN = ('/member_campaign name=Vinkkaa start="26.11.2026 klo 9" end="10.12. klo 16" '
            'reward=Leffaliput')


def snowflake(created: datetime, n: int) -> int:
    """A Discord user id made at `created` (ids carry their creation time)."""
    return ((int(created.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) | n


@pytest.fixture
async def both(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[TwoPlatforms]:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, cogs=("membership",), settings=SETTINGS)
    try:
        yield rig
    finally:
        await rig.stop()


async def referrals(both: TwoPlatforms) -> list[tuple[str, str, str, str]]:
    rows = await both.app.db.fetchall(
        "SELECT a.display_name, b.display_name, r.via, r.status FROM membership_referrals r"
        " JOIN people a ON a.id = r.referrer_id JOIN people b ON b.id = r.newcomer_id ORDER BY b.display_name")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def until(both: TwoPlatforms, check: Any, what: str) -> None:
    """Gateway events are handled by discord.py's own tasks: wait (bounded) until their effect is stored."""
    for _attempt in range(200):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


async def test_deep_link_and_discord_invite_count_as_referrals(both: TwoPlatforms) -> None:
    hanna = both.tg_user("Hanna", roles=("board",))
    await both.tg_say(hanna, CAMPAIGN)
    assert "Vinkkaa" in both.tg.bot_messages(hanna.id)[-1].text

    olli = both.tg_user("Olli")
    await both.tg_say(olli, "/member_invite")
    text = both.tg.bot_messages(olli.id)[-1].text or ""
    code = re.search(r"([A-Z0-9]{6})", text.split("\n")[0])
    assert code is not None
    assert f"https://t.me/{both.telegram.username}?start=ref_{code[1]}" in text
    announcements = both.app.config.destinations["announcements"].discord_channel_id
    [made] = both.dc.calls_to("POST", rf"^/channels/{announcements}/invites$")
    invite = made.response["code"]
    assert f"discord.gg/{invite}" in text
    await both.tg_say(olli, "/member_invite")  # the same invite again, not a new one
    assert len(both.dc.calls_to("POST", r"/invites$")) == 1

    # Telegram: Emma opens the deep link (/start ref_CODE).
    emma = both.tg_user("Emma")
    await both.tg_say(emma, f"/start ref_{code[1]}")
    assert "Olli" in (both.tg.bot_messages(emma.id)[-1].text or "")

    # Discord: an old account joins through Olli's invite (pending), a week-old one is held for review,
    # and a join through no invite of ours names nobody.
    old = FakeUser(snowflake(TEST_NOW - timedelta(days=400), 1), "aino", global_name="Aino")
    young = FakeUser(snowflake(TEST_NOW - timedelta(days=2), 2), "veera", global_name="Veera")
    stranger = FakeUser(snowflake(TEST_NOW - timedelta(days=400), 3), "pekka", global_name="Pekka")
    for user in (old, young, stranger):  # three events on their way at once
        await both.dc.member_joins(user, invite if user is not stranger else None)

    async def three() -> bool:
        return len(await referrals(both)) == 3

    await until(both, three, "three referrals")
    # (By newcomer: the joins were handled at once, so the order they were stored in is not theirs.)
    assert await referrals(both) == [("Olli", "Aino", "invite", "pending"), ("Olli", "Emma", "link", "pending"),
                                     ("Olli", "Veera", "invite", "review")]

    # The membership role given on Discord confirms Aino's referral.
    role_id = both.app.config.roles["member"].discord_role_ids[0]
    await both.dc.give_role(old.id, role_id)

    async def confirmed() -> bool:
        return ("Olli", "Aino", "invite", "confirmed") in await referrals(both)

    await until(both, confirmed, "Aino confirmed")
    before = len(both.tg.bot_messages(olli.id))
    await both.tg_say(olli, "/member_leaderboard")
    # Olli's DM about Aino may arrive from the outbox just after the reply: look for the reply, not the last one.
    assert any("1. Olli: 1" in (message.text or "") for message in both.tg.bot_messages(olli.id)[before:])


async def test_a_join_through_an_invite_after_the_campaign_counts_nothing(both: TwoPlatforms) -> None:
    hanna = both.tg_user("Hanna", roles=("board",))
    await both.tg_say(hanna, CAMPAIGN)
    olli = both.tg_user("Olli")
    await both.tg_say(olli, "/member_invite")
    [made] = both.dc.calls_to("POST", r"/invites$")
    await both.app.scheduler.advance(15 * 86400)
    await both.settle()
    handled: list[Arrival] = []
    original = both.app.core.arrived

    async def arrived(ctx: Context, arrival: Arrival) -> None:
        await original(ctx, arrival)
        handled.append(arrival)

    both.app.core.arrived = arrived  # type: ignore[method-assign]
    late = FakeUser(snowflake(TEST_NOW - timedelta(days=400), 4), "late", global_name="Late")
    await both.dc.member_joins(late, made.response["code"])

    async def done() -> bool:
        return bool(handled)

    await until(both, done, "the arrival handled")
    assert handled[0].invite == made.response["code"]  # the invite was recognised, and still counts nothing
    assert await referrals(both) == []
