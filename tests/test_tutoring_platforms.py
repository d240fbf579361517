"""Tutoring (issue 22) on the real libraries: ONE application runs python-telegram-bot against FakeTelegram and
discord.py against FakeDiscord (the rig of tests/test_live_cross_platform.py).

A Telegram student asks; the card reaches the tutors' Telegram group and Discord channel; a Discord tutor
claims it on Discord and both copies show who claimed it; a Telegram tutor's late claim is refused; student and
tutor talk both ways (Telegram direct chat <-> Discord thread).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.test_conversations_platforms import dc_write, thread_texts, tutors_channel, tutors_group
from tests.test_live_cross_platform import TwoPlatforms

ASK = "/tutor_request topic=study_skills language=fi where=online description=Opintosuunnitelma"
TITLE = "Tutorointipyyntö #1"
TUTOR_ROLE_ID = 1100000000000000002  # [roles.tutor] in config.example.toml


@pytest.fixture
async def both(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[TwoPlatforms]:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, cogs=("ping", "tutoring"))
    rig.discord.edit_interval = 0.0
    rig.telegram.group_edit_seconds = 0.0
    try:
        yield rig
    finally:
        await rig.stop()


def discord_tutor(both: TwoPlatforms, name: str) -> int:
    user_id = both.dc_user(name)
    member = next(m for m in both.dc.guild.members if m.user.id == user_id)
    member.roles.append(TUTOR_ROLE_ID)
    return user_id


def tg_card(both: TwoPlatforms) -> StoredMessage:
    """The request's newest card in the tutors' group (a release posts it anew)."""
    return [m for m in both.tg.bot_messages(tutors_group(both)) if TITLE in (m.text or "")][-1]


def dc_card_id(both: TwoPlatforms) -> int:
    """The id of the request's newest card in the tutors' channel (a release posts it anew)."""
    cards = [m for m in both.dc.channel_messages(tutors_channel(both))
             if any(TITLE in (e.get("title") or "") for e in m.get("embeds") or [])]
    return int(cards[-1]["id"])


async def test_a_telegram_student_and_a_discord_tutor(both: TwoPlatforms) -> None:
    olli = discord_tutor(both, "Olli")
    sanni = both.tg_user("Sanni")
    await both.tg_say(sanni, ASK)
    assert "Paikkasi jonossa: 1" in (both.tg.last_bot_message(sanni.id).text or "")
    assert both.dc_buttons(dc_card_id(both)) == ["Ota hoitaakseni"]

    # Olli (Discord) and Tiina (a tutor on Telegram) press Claim at once: exactly one gets it, the other is
    # told politely who did.
    tiina = both.tg_user("Tiina", roles=("tutor",))
    both.tg_press(tiina, tg_card(both), "claim:1")
    await both.dc_press(olli, dc_card_id(both), "claim:1")
    await both.settle()
    [(state, tutor_id)] = [tuple(r) for r in await both.app.db.fetchall(
        "SELECT state, tutor_id FROM tutoring_requests")]
    olli_id = (await both.app.people.get_or_create("discord", str(olli), "Olli")).id
    tiina_id = (await both.app.people.get_or_create("telegram", str(tiina.id), "Tiina")).id
    assert state == "claimed" and tutor_id in (olli_id, tiina_id)
    winner = "Olli" if tutor_id == olli_id else "Tiina"
    if winner == "Olli":
        assert "Pyynnön #1 otti jo Olli." in (both.tg.last_bot_message(tiina.id).text or "")
    # Both copies of the card show who claimed it and lose their Claim button.
    assert f"Hoitaa: {winner}." in both.dc_text(dc_card_id(both))
    assert both.dc_buttons(dc_card_id(both)) == []
    assert f"Hoitaa: {winner}." in (tg_card(both).text or "")
    assert both.tg_buttons(tg_card(both)) == []
    assert f"{winner} auttaa sinua" in (both.tg.last_bot_message(sanni.id).text or "")
    if winner == "Tiina":  # the race went the other way: hand it to Olli so the rest runs Discord <-> Telegram
        await both.tg_say(tiina, "/tutor_release request=1")
        await both.settle()  # the card is posted anew, with its Claim button
        await both.dc_press(olli, dc_card_id(both), "claim:1")
        await both.settle()
        assert "Hoitaa: Olli." in both.dc_text(dc_card_id(both))
        assert "Hoitaa: Olli." in (tg_card(both).text or "")

    # Both directions of the conversation: a Discord thread for Olli, Sanni's direct chat on Telegram.
    threads = [int(c.response["id"]) for c in both.dc.calls_to("POST", rf"^/channels/{tutors_channel(both)}/threads$")]
    thread_id = next(t for t in threads if olli in both.dc.thread_members[t])
    assert olli in both.dc.thread_members[thread_id]
    await both.tg_say(sanni, "Milloin ehdit?")
    assert thread_texts(both, thread_id)[-1] == "Sanni\nMilloin ehdit?"
    await dc_write(both, thread_id, olli, "Huomenna kymmeneltä")
    assert (both.tg.last_bot_message(sanni.id).text or "").endswith("· Olli\nHuomenna kymmeneltä")
    said = await both.app.db.fetchall("SELECT author, text FROM tutoring_messages ORDER BY id")
    assert [tuple(r) for r in said] == [("Sanni", "Milloin ehdit?"), ("Olli", "Huomenna kymmeneltä")]
