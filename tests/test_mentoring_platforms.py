"""Mentoring (issue 23) on the real libraries: ONE application runs python-telegram-bot against FakeTelegram
and discord.py against FakeDiscord. A Telegram coordinator pairs a Discord mentor with a Telegram aktori; the
pair's conversation opens as a private Discord thread and the aktori's Telegram chat, and carries both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cogs.mentoring.storage import MentoringQueries
from tests.fakes.telegram_api import FakeTelegram
from tests.test_conversations_platforms import dc_write, thread_texts
from tests.test_live_cross_platform import TwoPlatforms

COORDINATOR_TG_ID = 500000004  # [roles.mentor_coordinator] telegram_user_ids in config.example.toml


@pytest.fixture
async def both(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[TwoPlatforms]:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, cogs=("ping", "mentoring"),
                                   settings={"mentoring": {"conversation_host": "tutors"}})
    try:
        yield rig
    finally:
        await rig.stop()


async def test_a_discord_mentor_and_a_telegram_aktori_talk_in_their_pair(both: TwoPlatforms) -> None:
    kaisa = both.tg.user(COORDINATOR_TG_ID, "Kaisa", language_code="fi")
    aino = both.tg_user("Aino")
    matti = both.dc_user("Matti")
    await both.tg_say(kaisa, '/mentor_programme nimi="Mentorointi 2027" alkaa=1.12.2026 paattyy=31.5.2027 '
                             'hakuaika=10.12.2026')
    assert "Mentorointi 2027" in (both.tg.last_bot_message(kaisa.id).text or "")
    await both.tg_say(aino, '/mentor_apply roolina=aktori ala="nuorisotyö" kielet=fi tapa=verkossa '
                            'kuvaus="Ensimmäinen työpaikka"')
    assert "aktorihakemuksesi" in (both.tg.last_bot_message(aino.id).text or "")
    # The Discord mentor's application is stored as the cog stores it (slash commands are covered elsewhere).
    matti_id = (await both.app.people.get_or_create("discord", str(matti), "Matti")).id
    programme = await MentoringQueries(both.app.db).current()
    assert programme is not None
    await MentoringQueries(both.app.db).apply(programme.id, matti_id, "mentor", "nuorisotyö", ["fi"], "online",
                                              None, "Kymmenen vuotta nuorisotyötä", None, [], both.app.clock.now())
    await both.tg_say(kaisa, "/mentor_pair mentori=Matti aktori=Aino")
    assert "Pari 1 muodostettu" in (both.tg.last_bot_message(kaisa.id).text or "")

    host = int(both.app.config.destinations["tutors"].discord_channel_id or 0)
    threads = [int(c.response["id"]) for c in both.dc.calls_to("POST", rf"^/channels/{host}/threads$")]
    [thread_id] = [t for t in threads if matti in both.dc.thread_members[t]]
    assert "Tervetuloa mentorointiin" in "\n".join(thread_texts(both, thread_id))
    assert any("Tervetuloa mentorointiin" in (m.text or "") for m in both.tg.bot_messages(aino.id))

    await both.tg_say(aino, "Hei Matti, milloin tavataan?")
    assert thread_texts(both, thread_id)[-1] == "Aino\nHei Matti, milloin tavataan?"
    await dc_write(both, thread_id, matti, "Torstaina verkossa")
    assert (both.tg.last_bot_message(aino.id).text or "").endswith("· Matti\nTorstaina verkossa")
    # The coordinator is not in the pair's conversation.
    assert not any("Torstaina" in (m.text or "") for m in both.tg.bot_messages(kaisa.id))
