"""Conversations (issue #19, part 1) on the real libraries: ONE application runs python-telegram-bot against
FakeTelegram and discord.py against FakeDiscord (the rig of tests/test_live_cross_platform.py).

A Telegram student talks with a Discord tutor both ways (texts, a photo, a document); a team's conversation
lives in a Discord thread and a Telegram forum topic at once; members change; close archives and locks the
thread and closes the topic; a restart keeps reading the thread; a Telegram member in several conversations
picks with buttons or by replying.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Reply
from bot.context import ServiceContext
from bot.conversations import Member
from bot.frontends.console import ConsoleFrontend
from tests.conversation_cog import HEARD, reset, tutordemo
from tests.fakes.discord_server import FakeUser
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, TgUser
from tests.test_live_cross_platform import TwoPlatforms

HEAD = "Yksityiskeskustelu ”Statistics help”"
PHOTO = b"\xff\xd8\xff\xe0 a small jpeg"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    reset()


@pytest.fixture
async def both(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[TwoPlatforms]:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, extra_cogs=(tutordemo,))
    try:
        yield rig
    finally:
        await rig.stop()


def tutors_channel(both: TwoPlatforms) -> int:
    return int(both.app.config.destinations["tutors"].discord_channel_id or 0)


def tutors_group(both: TwoPlatforms) -> int:
    return int(both.app.config.destinations["tutors"].telegram_chat_id or 0)


def thread_texts(both: TwoPlatforms, thread_id: int) -> list[str]:
    """Each message in a Discord channel or thread as "title\\ntext" (an embed) or its content."""
    found = []
    for message in both.dc.channel_messages(thread_id):
        embeds = message.get("embeds") or []
        parts = [embeds[0].get("title") or "", embeds[0].get("description") or ""] if embeds else [message["content"]]
        found.append("\n".join(p for p in parts if p))
    return found


def tg_texts(both: TwoPlatforms, chat_id: int) -> list[str]:
    return [m.text or m.caption or "" for m in both.tg.bot_messages(chat_id)]


async def dc_write(both: TwoPlatforms, channel_id: int, user_id: int, text: str,
                   files: tuple[tuple[str, bytes], ...] = ()) -> None:
    message_id = await both.dc.user_message(channel_id, user_id, text, files)
    await both.discord.wait_handled(message_id)
    await both.settle()


async def tg_send(both: TwoPlatforms, send: Any) -> StoredMessage:
    """A message the test makes a Telegram user send (text, photo), handled and settled."""
    message: StoredMessage = send()
    both.updates += 1
    await both.settle()
    return message


async def person(both: TwoPlatforms, platform: str, user_id: int | str, name: str) -> int:
    return (await both.app.people.get_or_create(platform, str(user_id), name)).id


async def open_sanni_olli(both: TwoPlatforms) -> tuple[TgUser, int, int]:
    """Sanni (Telegram) opens a conversation with Olli (Discord) with the test cog's real command."""
    olli = both.dc_user("Olli")
    await person(both, "discord", olli, "Olli")
    sanni = both.tg_user("Sanni")
    await both.tg_say(sanni, "/tutordemo_open who=Olli")
    assert "conversation 1" in tg_texts(both, sanni.id)
    [created] = both.dc.calls_to("POST", rf"^/channels/{tutors_channel(both)}/threads$")
    return sanni, olli, int(created.response["id"])


async def test_a_telegram_student_and_a_discord_tutor_talk_both_ways(both: TwoPlatforms) -> None:
    sanni, olli, thread_id = await open_sanni_olli(both)
    # Olli is in a private thread under the tutors' channel; Sanni has no Discord: her direct chat.
    [created] = both.dc.calls_to("POST", rf"^/channels/{tutors_channel(both)}/threads$")
    assert created.json["type"] == 12 and created.json["name"] == "Statistics help"
    assert both.dc.thread_members[thread_id] == {both.dc.bot.id, olli}
    assert thread_texts(both, thread_id) == ["Welcome, both of you"]
    assert tg_texts(both, sanni.id)[-1] == f"{HEAD}\nWelcome, both of you"

    # Telegram -> Discord: a plain message in her chat with the bot lands in the thread, named.
    await both.tg_say(sanni, "Ehditäänkö huomenna?")
    assert thread_texts(both, thread_id)[-1] == "Sanni\nEhditäänkö huomenna?"
    assert tg_texts(both, sanni.id)[-1] == f"{HEAD}\nWelcome, both of you"  # no echo, no "I understand commands"

    # Discord -> Telegram: Olli writes in the thread; Sanni gets it in her chat, named.
    await dc_write(both, thread_id, olli, "Sopii, klo 10")
    assert tg_texts(both, sanni.id)[-1] == f"{HEAD} · Olli\nSopii, klo 10"

    # Files both ways: her photo becomes an attachment in the thread, his document a document in her chat.
    await tg_send(both, lambda: both.tg.send_photo(sanni, PHOTO, caption="Tehtävä 3"))
    last = both.dc.channel_messages(thread_id)[-1]
    assert [a["filename"] for a in last["attachments"]] == ["photo.jpg"]
    assert both.dc.attachment_data[last["attachments"][0]["id"]] == PHOTO
    assert thread_texts(both, thread_id)[-1] == "Sanni\nTehtävä 3"
    await dc_write(both, thread_id, olli, "Malliratkaisu", files=(("ratkaisu.pdf", b"%PDF-1.7 answer"),))
    document = both.tg.bot_messages(sanni.id)[-1]
    assert document.document is not None and document.document["file_name"] == "ratkaisu.pdf"
    assert both.tg.files[document.document["file_id"]] == ("ratkaisu.pdf", b"%PDF-1.7 answer")
    assert document.caption == f"{HEAD} · Olli\nMalliratkaisu"

    assert HEARD.messages == [
        (1, "person", "Sanni", "Ehditäänkö huomenna?", ()),
        (1, "person", "Olli", "Sopii, klo 10", ()),
        (1, "person", "Sanni", "Tehtävä 3", ("photo.jpg",)),
        (1, "person", "Olli", "Malliratkaisu", ("ratkaisu.pdf",)),
    ]
    # Nothing of what they wrote stays in the outbox once delivered.
    bodies = await both.app.db.fetchall("SELECT body FROM outbox WHERE status = 'sent'")
    assert bodies and all(r["body"] == "{}" for r in bodies)


async def test_a_team_conversation_is_a_discord_thread_and_a_telegram_topic(both: TwoPlatforms) -> None:
    both.tg.group(tutors_group(both), "tutors", forum=True)
    emma = both.dc_user("Emma")
    await person(both, "discord", emma, "Emma")
    tero = both.tg_user("Tero")
    HEARD.team = "tutors"
    ctx = ServiceContext(both.app)
    conversation_id = await ctx.open_conversation("tutoring", "Statistics help",
                                                  [Member.person(await person(both, "discord", emma, "Emma")),
                                                   Member.team("tutors")], first=Reply("Welcome"))
    await both.settle()
    # Discord: a public thread (the channel's own permissions keep it to the team) with Emma added.
    [created] = both.dc.calls_to("POST", rf"^/channels/{tutors_channel(both)}/threads$")
    assert created.json["type"] == 11
    thread_id = int(created.response["id"])
    assert emma in both.dc.thread_members[thread_id]
    # Telegram: a forum topic in the tutors' group.
    [topic_call] = both.tg.calls_of("createForumTopic")
    assert topic_call.params["chat_id"] == tutors_group(both) and topic_call.params["name"] == "Statistics help"
    topic = topic_call.result["message_thread_id"]
    in_topic = [m for m in both.tg.bot_messages(tutors_group(both)) if m.message_thread_id == topic]
    assert [m.text for m in in_topic] == ["Welcome"]

    # Emma writes in the thread: the team reads it in its topic, named.
    await dc_write(both, thread_id, emma, "Can someone help with exercise 3?")
    assert both.tg.bot_messages(tutors_group(both))[-1].text == "Emma\nCan someone help with exercise 3?"
    assert both.tg.bot_messages(tutors_group(both))[-1].message_thread_id == topic

    # Tero answers in the topic (the group's other chatter stays unread): Emma reads it in her thread.
    group = both.tg.chats[tutors_group(both)]
    await tg_send(both, lambda: both.tg.send_text(tero, "Sure, what's the problem?", chat=group, topic=topic))
    await tg_send(both, lambda: both.tg.send_text(tero, "lunch anyone?", chat=group))
    assert thread_texts(both, thread_id)[-1] == "Tero\nSure, what's the problem?"
    assert HEARD.messages[-1] == (conversation_id, "destination", "Tero", "Sure, what's the problem?", ())
    assert len(HEARD.messages) == 2

    # Closed: told in both places first, then the thread archived and locked and the topic closed.
    await ctx.close_conversation(conversation_id)
    await both.settle()
    assert thread_texts(both, thread_id)[-1] == "Tämä keskustelu suljettiin."
    assert both.tg.bot_messages(tutors_group(both))[-1].text == "Tämä keskustelu suljettiin."
    [patch] = both.dc.calls_to("PATCH", rf"^/channels/{thread_id}$")
    assert patch.json == {"archived": True, "locked": True}
    assert both.tg.topics[(tutors_group(both), topic)]["closed"] is True
    with pytest.raises(PermissionError):  # Discord keeps members out of a locked thread
        await both.dc.user_message(thread_id, emma, "hello?")

    await ctx.reopen_conversation(conversation_id)
    await both.settle()
    assert both.dc.calls_to("PATCH", rf"^/channels/{thread_id}$")[-1].json == {"archived": False, "locked": False}
    assert both.tg.topics[(tutors_group(both), topic)]["closed"] is False
    assert thread_texts(both, thread_id)[-1] == "Tämä keskustelu avattiin uudelleen."
    assert both.tg.bot_messages(tutors_group(both))[-1].text == "Tämä keskustelu avattiin uudelleen."
    await dc_write(both, thread_id, emma, "Thanks!")
    assert both.tg.bot_messages(tutors_group(both))[-1].text == "Emma\nThanks!"


async def test_members_join_and_leave_the_discord_thread(both: TwoPlatforms) -> None:
    sanni, olli, thread_id = await open_sanni_olli(both)
    aino = both.dc_user("Aino")
    aino_id = await person(both, "discord", aino, "Aino")
    ctx = ServiceContext(both.app)
    await ctx.add_to_conversation(1, Member.person(aino_id))
    await both.settle()
    assert both.dc.thread_members[thread_id] == {both.dc.bot.id, olli, aino}
    # The thread is hers now, history included (Discord shows that she was added): no note from the bot.
    assert thread_texts(both, thread_id) == ["Welcome, both of you"]

    # Olli hands over to Aino: out of the thread, told in his DMs; Sanni's messages reach the thread still.
    olli_id = await person(both, "discord", olli, "Olli")
    await ctx.transfer_conversation(1, Member.person(olli_id), Member.person(aino_id))
    await both.settle()
    assert both.dc.thread_members[thread_id] == {both.dc.bot.id, aino}
    [removed] = both.dc.calls_to("DELETE", rf"^/channels/{thread_id}/thread-members/{olli}$")
    assert removed.status == 204
    dm = both.dc.channel_messages(both.dc.dm_channel_for(olli))[-1]
    assert dm["embeds"][0]["description"] == "Et ole enää mukana tässä keskustelussa."
    await both.tg_say(sanni, "Kiitos!")
    assert thread_texts(both, thread_id)[-1] == "Sanni\nKiitos!"
    # What Olli still writes there (as a moderator could) is not passed on.
    await dc_write(both, thread_id, olli, "one more thing")
    assert tg_texts(both, sanni.id)[-1] != f"{HEAD} · Olli\none more thing"


async def test_in_several_conversations_a_telegram_member_picks_or_replies(both: TwoPlatforms) -> None:
    sanni, olli, _thread = await open_sanni_olli(both)
    aino = both.dc_user("Aino")
    await person(both, "discord", aino, "Aino")
    await both.tg_say(sanni, "/tutordemo_open who=Aino")  # conversation 2, its own thread
    threads = [int(c.response["id"]) for c in both.dc.calls_to("POST", rf"^/channels/{tutors_channel(both)}/threads$")]
    assert len(threads) == 2

    await both.tg_say(sanni, "Kumpi teistä ehtii?")
    question = both.tg.bot_messages(sanni.id)[-1]
    assert question.text is not None and question.text.startswith("Olet mukana useassa keskustelussa.")
    assert [b["text"] for b in question.buttons()] == ["Statistics help (Olli)", "Statistics help (Aino)"]
    both.updates += 1
    both.tg.press(sanni, question, question.callback_data()[1])
    await both.settle()
    assert thread_texts(both, threads[1])[-1] == "Sanni\nKumpi teistä ehtii?"
    assert all("Kumpi" not in t for t in thread_texts(both, threads[0]))
    assert question.text == "Lähetetty keskusteluun ”Statistics help”."  # the question, edited in place

    # Olli writes in his thread; Sanni replies to that very message: it goes to Olli's conversation.
    await dc_write(both, threads[0], olli, "Minä ehdin")
    relayed = both.tg.bot_messages(sanni.id)[-1]
    assert relayed.text == f"{HEAD} · Olli\nMinä ehdin"
    await tg_send(both, lambda: both.tg.send_text(sanni, "Hienoa!", reply_to=relayed))
    assert thread_texts(both, threads[0])[-1] == "Sanni\nHienoa!"
    assert all("Hienoa" not in t for t in thread_texts(both, threads[1]))


async def test_a_restart_keeps_reading_the_thread(tmp_path: Path, tg: FakeTelegram) -> None:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, extra_cogs=(tutordemo,))
    try:
        sanni, olli, thread_id = await open_sanni_olli(rig)
    finally:
        await rig.stop()
    # The same data, a new process (and a new fake Discord that still has the thread).
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0, extra_cogs=(tutordemo,))
    try:
        rig.dc.users[olli] = FakeUser(olli, "olli", global_name="Olli")
        rig.dc.channels[thread_id] = {"id": str(thread_id), "type": 12, "guild_id": str(rig.dc.guild.id),
                                      "parent_id": str(tutors_channel(rig)), "name": "Statistics help",
                                      "thread_metadata": {"archived": False, "locked": False}}
        await dc_write(rig, thread_id, olli, "Still there?")
        assert tg_texts(rig, sanni.id)[-1] == f"{HEAD} · Olli\nStill there?"
    finally:
        await rig.stop()


async def test_a_channel_refusing_threads_falls_back_to_dms(both: TwoPlatforms) -> None:
    olli = both.dc_user("Olli")
    emma = both.dc_user("Emma")
    await person(both, "discord", emma, "Emma")
    both.dc.fail_next("POST", r"^/channels/\d+/threads$", 403, 50013, "Missing Permissions")
    olli_id = await person(both, "discord", olli, "Olli")
    emma_id = await person(both, "discord", emma, "Emma")
    ctx = ServiceContext(both.app)
    await ctx.open_conversation("tutoring", "Statistics help", [Member.person(olli_id), Member.person(emma_id)],
                                host="tutors", first=Reply("Welcome, both of you"))
    await both.settle()
    for user in (olli, emma):
        [dm] = both.dc.channel_messages(both.dc.dm_channel_for(user))
        assert dm["embeds"][0]["title"] == HEAD
        assert dm["embeds"][0]["description"] == "Welcome, both of you"
    # Later messages go the same way, without trying to open a thread again; a DM answer is relayed.
    await ctx.post_to_conversation(1, Reply("Still here"))
    await both.settle()
    assert both.dc.channel_messages(both.dc.dm_channel_for(emma))[-1]["embeds"][0]["description"] == "Still here"
    assert len(both.dc.calls_to("POST", r"/threads$")) == 1
    await dc_write(both, both.dc.dm_channel_for(emma), emma, "Hi Olli")
    assert both.dc.channel_messages(both.dc.dm_channel_for(olli))[-1]["embeds"][0]["title"] == f"{HEAD} · Emma"


async def test_a_console_member_sees_both_sides(both: TwoPlatforms) -> None:
    console = ConsoleFrontend(both.app, out=io.StringIO())
    both.app.add_frontend(console)
    sanni = both.tg_user("Sanni")
    await both.tg_say(sanni, "/help")
    tiina = await both.app.people.get_or_create("console", "tiina", "Tiina")
    HEARD.also.append(tiina.id)
    await both.tg_say(sanni, "/tutordemo_open who=Tiina")
    assert [p.text for p in console.printed] == [f"{HEAD}\nWelcome, both of you"]
    await both.tg_say(sanni, "Moi Tiina")
    assert console.printed[-1].text == f"{HEAD} · Sanni\nMoi Tiina"


async def test_an_unknown_destination_fails_in_the_cog(both: TwoPlatforms) -> None:
    with pytest.raises(KeyError):
        await ServiceContext(both.app).open_conversation("tutoring", "x", [], host="tutorz")


async def test_a_flood_in_the_thread_is_not_relayed_past_the_rate(both: TwoPlatforms) -> None:
    sanni, olli, thread_id = await open_sanni_olli(both)
    limit = both.app.config.bot.command_rate
    for index in range(limit + 3):
        await dc_write(both, thread_id, olli, f"spam {index}")
    relayed = [t for t in tg_texts(both, sanni.id) if "spam" in t]
    assert len(relayed) == limit
    # Told once, in the thread, then silent.
    assert thread_texts(both, thread_id).count("Lähetät komentoja liian nopeasti. Odota hetki ja yritä uudelleen.") == 1


async def test_a_team_group_that_is_no_forum_gets_the_conversation_in_the_group(both: TwoPlatforms) -> None:
    """createForumTopic refused (the group has no topics): the team reads the conversation in its group,
    headed, and answers by replying to one of its messages; other chatter there stays unread."""
    emma = both.dc_user("Emma")
    emma_id = await person(both, "discord", emma, "Emma")
    tero = both.tg_user("Tero")
    ctx = ServiceContext(both.app)
    await ctx.open_conversation("tutoring", "Statistics help", [Member.person(emma_id), Member.team("tutors")],
                                first=Reply("Welcome"))
    await both.settle()
    assert not both.tg.calls_of("createForumTopic")[0].ok
    [created] = both.dc.calls_to("POST", rf"^/channels/{tutors_channel(both)}/threads$")
    thread_id = int(created.response["id"])
    await dc_write(both, thread_id, emma, "Anyone there?")
    group = both.tg.chats[tutors_group(both)]
    relayed = both.tg.bot_messages(group.id)[-1]
    assert relayed.text == f"{HEAD} · Emma\nAnyone there?"

    await tg_send(both, lambda: both.tg.send_text(tero, "Yes, ask away", chat=group, reply_to=relayed))
    await tg_send(both, lambda: both.tg.send_text(tero, "coffee?", chat=group))
    assert thread_texts(both, thread_id)[-1] == "Tero\nYes, ask away"
    assert [m[3] for m in HEARD.messages] == ["Anyone there?", "Yes, ask away"]
