"""Conversations (issue #19, part 1) on the console: both ways, picking one of several, replies, members
changing, close and reopen, a restart, anonymous members with a sealed route, and what is stored.

The console has no shared rooms: each person gets the conversation in their direct chat, headed with its
title and the sender's name, and a team member gets it in the team's channel. The Discord thread and the
Telegram topic are covered in tests/test_conversations_platforms.py.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands import Reply, render_reply
from bot.context import Account, ServiceContext
from storage.conversations import ConversationQueries
from storage.db import DEFAULT_MIGRATIONS_DIR, Database
from tests.conversation_cog import HEARD, open_anonymous, reset, tutordemo
from tests.harness import ConsoleBot
from tests.harness import test_config as example_config

HEAD_FI = "Yksityiskeskustelu ”Statistics help”"
HEAD_EN = "Private conversation “Statistics help”"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    reset()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    bot = await ConsoleBot.start(tmp_path, example_config(cogs=()), extra_cogs=(tutordemo,))
    try:
        yield bot
    finally:
        await bot.stop()


async def open_olli_emma(bot: ConsoleBot) -> None:
    for name in ("Tiina", "Aino"):  # known to the bot, so that a command can name them
        await bot.say("/help", as_=name, where="dm")
    await bot.say("/language en", as_="Emma", where="dm")
    opened = await bot.say("/tutordemo open who=Emma", as_="Olli", roles="tutor")
    assert [p.text for p in opened if p.kind == "reply"] == ["conversation 1"]


async def test_members_talk_both_ways_in_their_direct_chats(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    assert [p.text for p in bot.sent_to("@olli")] == [f"{HEAD_FI}\nWelcome, both of you"]
    assert [p.text for p in bot.sent_to("@emma")] == [f"{HEAD_EN}\nWelcome, both of you"]

    # Emma writes in her own chat with the bot, not a command: Olli gets it, named; she sees no answer.
    printed = await bot.say("Could we meet tomorrow?", as_="Emma")
    assert [p for p in printed if p.kind == "reply"] == []
    assert bot.sent_to("@olli")[-1].text == f"{HEAD_FI} · Emma\nCould we meet tomorrow?"
    assert len(bot.sent_to("@emma")) == 1  # not echoed back to her

    await bot.say("Sure, 10 o'clock", as_="Olli")
    assert bot.sent_to("@emma")[-1].text == f"{HEAD_EN} · Olli\nSure, 10 o'clock"
    assert HEARD.messages == [(1, "person", "Emma", "Could we meet tomorrow?", ()),
                              (1, "person", "Olli", "Sure, 10 o'clock", ())]

    # A command is still a command, and not passed on.
    await bot.say("/help", as_="Emma")
    assert len(bot.sent_to("@olli")) == 2


async def test_the_cog_may_keep_or_change_a_message(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    await bot.say("secret", as_="Emma")
    assert len(bot.sent_to("@olli")) == 1  # heard by the cog, relayed to nobody
    await bot.say("shout hello", as_="Emma")
    assert bot.sent_to("@olli")[-1].text == f"{HEAD_FI} · Emma\nHELLO"
    assert [m[3] for m in HEARD.messages] == ["secret", "shout hello"]


async def test_in_several_conversations_the_writer_picks_or_replies(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    await bot.say("/tutordemo open who=Tiina", as_="Olli")  # conversation 2
    asked = await bot.say("Which room?", as_="Olli")
    [question] = [p for p in asked if p.kind == "reply"]
    assert "several conversations" not in question.text  # in Olli's Finnish
    assert question.text.startswith("Olet mukana useassa keskustelussa.")
    assert [label for label, _action in question.buttons] == ["Statistics help (Emma)", "Statistics help (Tiina)"]
    assert HEARD.messages == []  # held in memory until Olli picks

    # The second button: conversation 2 (Tiina), not Emma's.
    printed = await bot.click(2, message=question.number)
    assert [p.text for p in printed if p.kind == "edit"] == ["Lähetetty keskusteluun ”Statistics help”."]
    assert bot.sent_to("@tiina")[-1].text == f"{HEAD_FI} · Olli\nWhich room?"
    assert all("Which room?" not in p.text for p in bot.sent_to("@emma"))
    # The question lost its buttons; pressed again anyway (a stale client): nothing is waiting any more.
    assert bot.message(question.number).buttons == []
    again = await bot.line(f":press {question.buttons[1][1]} #{question.number}")
    assert [p.text for p in again] == ["Viesti ei ole enää odottamassa. Kirjoita se uudelleen."]

    # A reply to a message relayed from a conversation goes there without asking.
    await bot.say("Hello from Emma", as_="Emma")
    relayed = bot.sent_to("@olli")[-1]
    assert relayed.text.endswith("Hello from Emma")
    await bot.line(":as Olli")
    await bot.line(f":reply #{relayed.number}")
    printed = await bot.line("Hello Emma")
    assert [p for p in printed if p.kind == "reply"] == []
    assert bot.sent_to("@emma")[-1].text == f"{HEAD_EN} · Olli\nHello Emma"
    assert bot.sent_to("@tiina")[-1].text.endswith("Which room?")


async def test_members_added_removed_and_handed_over(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    await bot.say("/tutordemo add conversation=1 who=Tiina", as_="Olli")
    assert [p.text for p in bot.sent_to("@tiina")] == [f"{HEAD_FI}\nSinut lisättiin tähän keskusteluun."]
    await bot.say("Hi both", as_="Emma")
    assert bot.sent_to("@tiina")[-1].text == f"{HEAD_FI} · Emma\nHi both"

    await bot.say("/tutordemo remove conversation=1 who=Tiina", as_="Olli")
    assert bot.sent_to("@tiina")[-1].text == f"{HEAD_FI}\nEt ole enää mukana tässä keskustelussa."
    await bot.say("Just us again", as_="Emma")
    assert bot.sent_to("@tiina")[-1].text.endswith("Et ole enää mukana tässä keskustelussa.")
    # Tiina's chatter is no longer anyone's conversation.
    printed = await bot.say("Am I still there?", as_="Tiina")
    assert any(p.kind == "info" and "not a command" in p.text for p in printed)

    # Olli hands Emma over to Aino: Aino is welcomed, Olli told he is out; Emma now talks with Aino.
    await bot.say("/tutordemo transfer conversation=1 who=Aino", as_="Olli")
    assert bot.sent_to("@aino")[-1].text == f"{HEAD_FI}\nYou take over from your colleague"
    assert bot.sent_to("@olli")[-1].text == f"{HEAD_FI}\nEt ole enää mukana tässä keskustelussa."
    await bot.say("Hello?", as_="Emma")
    assert bot.sent_to("@aino")[-1].text == f"{HEAD_FI} · Emma\nHello?"
    assert not bot.sent_to("@olli")[-1].text.endswith("Hello?")


async def test_closed_conversation_tells_members_and_takes_nothing_until_reopened(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    await bot.say("Thanks!", as_="Emma")
    thanks = bot.sent_to("@olli")[-1]
    await bot.say("/tutordemo close conversation=1", as_="Olli")
    assert bot.sent_to("@emma")[-1].text == f"{HEAD_EN}\nThis conversation was closed."
    assert bot.sent_to("@olli")[-1].text == f"{HEAD_FI}\nTämä keskustelu suljettiin."

    # Replying to one of its messages is told it is closed; other chatter is nobody's.
    await bot.line(":as Olli")
    await bot.line(f":reply #{thanks.number}")
    printed = await bot.line("You're welcome")
    assert [p.text for p in printed if p.kind == "reply"] == ["Tämä keskustelu on suljettu."]
    await bot.say("Hello?", as_="Emma")
    assert not bot.sent_to("@olli")[-1].text.endswith("Hello?")

    await bot.say("/tutordemo reopen conversation=1", as_="Olli")
    assert bot.sent_to("@emma")[-1].text == f"{HEAD_EN}\nThis conversation was reopened."
    await bot.say("Back again", as_="Emma")
    assert bot.sent_to("@olli")[-1].text == f"{HEAD_FI} · Emma\nBack again"


async def test_a_restart_loses_nothing(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, example_config(cogs=()), extra_cogs=(tutordemo,))
    try:
        await open_olli_emma(bot)
        await bot.say("/tutordemo add conversation=1 who=Tiina", as_="Olli")
        await bot.say("/tutordemo close conversation=1", as_="Olli")
    finally:
        await bot.stop()
    bot = await ConsoleBot.start(tmp_path, example_config(cogs=()), extra_cogs=(tutordemo,))
    try:
        assert not await bot.app.conversations.is_open(1)
        await bot.say("/tutordemo reopen conversation=1", as_="Olli", roles="tutor")
        await bot.say("After the restart", as_="Emma")
        assert bot.sent_to("@olli")[-1].text == f"{HEAD_FI} · Emma\nAfter the restart"
        assert bot.sent_to("@tiina")[-1].text == f"{HEAD_FI} · Emma\nAfter the restart"
    finally:
        await bot.stop()


class SealedStub:
    """Stands in for bot/sealed.py: records what it was asked to deliver; knows one route (h-1: Saara's
    console account), as the real one knows it only inside its ciphertext."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.opened = 0

    async def deliver(self, handle: str, reply: Reply) -> bool:
        self.delivered.append((handle, render_reply(reply, "fi").plain_text()))
        return True

    async def is_for(self, handle: str, account: Account) -> bool:
        self.opened += 1
        return handle == "h-1" and account == Account("console", "saara")


async def test_anonymous_conversation_labels_both_sides_and_names_nobody(bot: ConsoleBot) -> None:
    stub = SealedStub()
    bot.app.conversations.sealed = stub
    ctx = ServiceContext(bot.app)
    conversation_id = await open_anonymous(ctx, "h-1")
    # The sender writes (bot/sealed.py hands it over by handle): the team's channel sees "Lähettäjä".
    answer = await bot.app.conversations.receive_sealed(ctx, conversation_id, "h-1", "The lab is too cold")
    assert answer is not None and not answer.text
    await bot.app.settle()
    [posted] = bot.sent_to("#tutors")
    assert posted.text == "Yksityiskeskustelu ”Feedback” · Lähettäjä\nThe lab is too cold"
    assert HEARD.messages == [(conversation_id, "sealed", "", "The lab is too cold", ())]

    # A team member answers by replying to it in the team's channel: the sender hears "Edunvalvontatiimi".
    await bot.line(":as Olli tutor")
    await bot.line(":channel tutors")
    await bot.line(f":reply #{posted.number}")
    printed = await bot.line("We'll look into it")
    assert [p for p in printed if p.kind == "reply"] == []
    assert stub.delivered == [("h-1", "Yksityiskeskustelu ”Feedback” · Edunvalvontatiimi\nWe'll look into it")]
    # The writer in the team's channel is not stored as a member or named anywhere.
    assert [m.kind for m in await bot.app.conversations.members(conversation_id)] == ["sealed", "destination"]
    assert "Olli" not in stub.delivered[0][1]

    # Saara, whose account the route leads to, writes in her own chat: found by the route, relayed as the
    # sender; the cog hears it without a name.
    printed = await bot.say("Thanks, it is still cold", as_="Saara", where="dm")
    assert [p for p in printed if p.kind == "reply"] == []
    assert bot.sent_to("#tutors")[-1].text == "Yksityiskeskustelu ”Feedback” · Lähettäjä\nThanks, it is still cold"
    assert HEARD.messages[-1] == (conversation_id, "sealed", "", "Thanks, it is still cold", ())
    assert "Saara" not in bot.sent_to("#tutors")[-1].text
    # Anyone else's chatter opens the route too, and is nobody's conversation.
    printed = await bot.say("hello?", as_="Pekka", where="dm")
    assert any(p.kind == "info" and "not a command" in p.text for p in printed)
    assert stub.opened == 2


async def test_texts_are_not_kept_after_delivery(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    await bot.say("My student number is 1234567", as_="Emma")
    db = bot.app.db
    for table in await db.tables():
        for row in await db.fetchall(f'SELECT * FROM "{table}"'):
            assert all("1234567" not in str(value) for value in tuple(row)), table


async def test_chatter_outside_any_conversation_is_answered_as_before(bot: ConsoleBot) -> None:
    printed = await bot.say("hello?", as_="Emma", where="dm")
    assert any(p.kind == "info" and "not a command" in p.text for p in printed)


async def test_migration_carries_the_old_threads_over_with_their_ids(tmp_path: Path) -> None:
    """A database from before 0016 with a private thread (0007): its members and Discord thread become a
    conversation with the same id, so a pending outbox row of kind "thread" still finds it."""
    old = tmp_path / "migrations"
    old.mkdir()
    for migration in DEFAULT_MIGRATIONS_DIR.glob("*.sql"):
        if int(migration.name[:4]) < 16:
            shutil.copy(migration, old)
    db = await Database.open(tmp_path / "bot.db", old)
    try:
        for name in ("Olli", "Emma"):
            await db.execute("INSERT INTO people (display_name, created_at) VALUES (?, 'x')", (name,))
        await db.execute("INSERT INTO threads (id, destination, title, created_at) VALUES (7, 'tutors', ?, 'x')",
                         ('{"fi": "Tilastoapu", "en": "Statistics help"}',))
        await db.execute("INSERT INTO thread_members VALUES (7, 1, 'discord', '61'), (7, 2, NULL, NULL)")
        await db.execute("INSERT INTO thread_refs (thread_id, platform, parent_chat_id, chat_id)"
                         " VALUES (7, 'discord', '1300000000000000005', '999')")
        await db.migrate(DEFAULT_MIGRATIONS_DIR)
        conversation = await ConversationQueries(db).get(7)
        assert conversation is not None and conversation.open and conversation.host == "tutors"
        assert conversation.title("en") == "Statistics help"
        assert [(m.kind, m.person_id, m.room) for m in conversation.members] == [("person", 1, "discord"),
                                                                                  ("person", 2, None)]
        assert [(r.platform, r.chat_id) for r in conversation.rooms] == [("discord", "999")]
        tables = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not tables & {"threads", "thread_members", "thread_refs"}
    finally:
        await db.close()


async def test_mydata_lists_memberships_and_forgetme_leaves_none(bot: ConsoleBot) -> None:
    await open_olli_emma(bot)
    await bot.say("Hello", as_="Olli")
    emma = (await bot.app.people.find_by_name("Emma"))[0]
    exported = await bot.app.conversations.rows.of_person(emma.id)
    assert exported == [{"conversation": 1, "title": {"fi": "Statistics help", "en": "Statistics help"},
                         "status": "open", "created_at": exported[0]["created_at"], "shared_room_on": None},
                        {"relayed_message_ids_kept_for_replies": 2}]
    mydata = await bot.say("/mydata", as_="Emma")
    assert any("Statistics help" in data.decode() for p in mydata for data in p.file_data.values())
    await bot.app.people.erase(emma.id, await bot.app.people.accounts(emma.id))
    assert await bot.app.db.fetchval("SELECT COUNT(*) FROM conversation_members WHERE person_id = ?", (emma.id,)) == 0
    assert await bot.app.db.fetchval("SELECT COUNT(*) FROM conversation_relays WHERE person_id = ?", (emma.id,)) == 0


async def test_anonymous_feedback_on_a_real_sealed_route_names_nobody(bot: ConsoleBot) -> None:
    await bot.say("/help", as_="Olli", roles="tutor")
    printed = await bot.say("/tutordemo feedback text='The lab is too cold'", as_="Saara", where="dm")
    assert [p.text for p in printed if p.kind == "reply"] == ["Sent without your name."]
    posted = bot.sent_to("#tutors")[-1]
    assert posted.text == "Yksityiskeskustelu ”Feedback” · Lähettäjä\nThe lab is too cold"
    assert bot.sent_to("@saara") == []  # her own words are not sent back to her

    # The team answers by replying in its channel; it reaches Saara through the sealed route.
    await bot.line(":as Olli")
    await bot.line(":channel tutors")
    await bot.line(f":reply #{posted.number}")
    await bot.line("We'll look into it")
    assert [p.text for p in bot.sent_to("@saara")] == [
        "Yksityiskeskustelu ”Feedback” · Edunvalvontatiimi\nWe'll look into it"]

    # Saara writes back in her own chat: recognised by her route, relayed without her name.
    await bot.say("Thanks!", as_="Saara", where="dm")
    assert bot.sent_to("#tutors")[-1].text == "Yksityiskeskustelu ”Feedback” · Lähettäjä\nThanks!"
    assert HEARD.messages[-1] == (1, "sealed", "", "Thanks!", ())

    # What is stored names nobody: the member is a handle, the sealed deliveries are gone, no relay is hers.
    saara = (await bot.app.people.find_by_name("Saara"))[0]
    db = bot.app.db
    assert await db.fetchval("SELECT COUNT(*) FROM conversation_members WHERE person_id IS NOT NULL") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM conversation_relays WHERE person_id = ?", (saara.id,)) == 0
    assert await db.fetchval("SELECT COUNT(*) FROM outbox WHERE person_id = ? OR target_id IN ('saara', ?)",
                             (saara.id, str(saara.id))) == 0
