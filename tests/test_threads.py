"""Private threads (issue #7): ctx.open_thread / ctx.post_to_thread through a test-only cog's real commands.

On the console (no private threads) each member gets every message as a DM headed with the thread's name;
on Discord the members share a private thread in the destination's channel. A member without an account on
the hosting platform gets DMs on their own platform in both cases.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest

from bot.app import Application
from bot.clock import Clock
from bot.commands import Cog, Param, PersonRef, Reply
from bot.context import Context
from bot.core import Core
from bot.frontends.console import ConsoleFrontend
from tests.harness import TEST_NOW, ConsoleBot
from tests.harness import test_config as example_config
from tests.scenarios.discord_driver import DiscordBot
from tests.scenarios.driver import Who

# A cog only these tests load, standing in for tutoring: a tutor opens a thread with a student.
tutordemo = Cog("tutordemo", "Thread test commands")
ALSO: list[int] = []  # further members by person id (people the platform's user option cannot name)


@tutordemo.command("Open a thread with someone")
async def open_(ctx: Context, who: Annotated[PersonRef, Param("Who")]) -> Reply:
    people = [ctx.person.id, who.id, *ALSO]  # type: ignore[attr-defined]
    thread_id = await ctx.open_thread("tutors", "Statistics help", people, Reply("Welcome, both of you"))
    return Reply(f"thread {thread_id}")


@tutordemo.command("Post in a thread")
async def post(ctx: Context, thread: Annotated[int, Param("Thread", min=1)],
               text: Annotated[str, Param("Text", max_len=200)]) -> Reply:
    await ctx.post_to_thread(thread, Reply(text))
    return Reply("posted")


@pytest.fixture(autouse=True)
def _no_extra_members() -> None:
    ALSO.clear()


# ------------------------------------------------------------------------------------------- console


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    app = Application(example_config(cogs=()), tmp_path, clock=Clock(frozen_at=TEST_NOW))
    app.cogs = [*app.cogs, tutordemo]
    app.core = Core(app, app.cogs)
    frontend = ConsoleFrontend(app, out=io.StringIO())
    app.add_frontend(frontend)
    await app.start()
    try:
        yield ConsoleBot(app, frontend, frontend.out)  # type: ignore[arg-type]
    finally:
        await app.stop()


async def test_console_members_get_the_thread_as_dms_headed_with_its_title(console: ConsoleBot) -> None:
    await console.say("/language en", as_="emma")
    opened = await console.say("/tutordemo open who=Emma", as_="olli", roles="tutor")
    assert [p.text for p in opened if p.kind == "reply"] == ["thread 1"]
    # Each in their own language; nothing in the destination's channel: the thread is private.
    assert [p.text for p in console.sent_to("@olli")] == ["Yksityiskeskustelu ”Statistics help”\nWelcome, both of you"]
    assert [p.text for p in console.sent_to("@emma")] == ["Private conversation “Statistics help”\n"
                                                          "Welcome, both of you"]
    assert console.sent_to("#tutors") == []

    await console.say("/tutordemo post thread=1 text='Tomorrow at 10?'", as_="olli")
    assert console.sent_to("@olli")[-1].text == "Yksityiskeskustelu ”Statistics help”\nTomorrow at 10?"
    assert console.sent_to("@emma")[-1].text == "Private conversation “Statistics help”\nTomorrow at 10?"
    # Stored first, like every delivery.
    counts = await console.app.outbox.rows.status_counts()
    assert counts == {"sent": 4}


# ------------------------------------------------------------------------------------------- discord


@pytest.fixture
async def discord_bot(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    bot = await DiscordBot.start(tmp_path, example_config(cogs=()), extra_cogs=[tutordemo])
    try:
        yield bot
    finally:
        await bot.stop()


def tutors_channel(bot: DiscordBot) -> int:
    channel_id = bot.app.config.destinations["tutors"].discord_channel_id
    assert channel_id is not None
    return channel_id


async def slash(bot: DiscordBot, command: str, options: dict[str, object], user_id: int) -> str:
    handle = await bot.fake.slash(command, options, user_id=user_id)
    answer = (await handle.response()).json
    await bot.frontend.wait_handled(handle.id)
    await bot.app.settle()
    return str(answer["data"]["content"])


async def test_discord_members_share_a_private_thread_in_the_destination(discord_bot: DiscordBot) -> None:
    bot = discord_bot
    olli = bot.driver._user(Who("Olli", frozenset({"tutor"})))
    emma = bot.driver._user(Who("Emma"))
    # Tiina has only an account on another platform (the console stands in for Telegram): DMs for her.
    console = ConsoleFrontend(bot.app, out=io.StringIO())
    bot.app.add_frontend(console)
    tiina = await bot.app.people.get_or_create("console", "tiina", "Tiina")
    ALSO.append(tiina.id)

    assert await slash(bot, "tutordemo open", {"who": emma}, olli) == "thread 1"
    [created] = bot.fake.calls_to("POST", rf"^/channels/{tutors_channel(bot)}/threads$")
    assert created.json["type"] == 12 and created.json["invitable"] is False
    assert created.json["name"] == "Statistics help"
    thread_id = int(created.response["id"])
    puts = bot.fake.calls_to("PUT", rf"^/channels/{thread_id}/thread-members/")
    added = {int(c.path.rsplit("/", 1)[1]) for c in puts}
    assert added == {olli, emma}
    assert bot.fake.thread_members[thread_id] == {bot.fake.bot.id, olli, emma}
    assert [m["content"] for m in bot.fake.channel_messages(thread_id)] == ["Welcome, both of you"]
    assert bot.fake.channel_messages(tutors_channel(bot)) == []  # nothing in the channel itself
    assert [p.text for p in console.printed] == ["Yksityiskeskustelu ”Statistics help”\nWelcome, both of you"]

    assert await slash(bot, "tutordemo post", {"thread": 1, "text": "Tomorrow at 10?"}, emma) == "posted"
    assert [m["content"] for m in bot.fake.channel_messages(thread_id)] == ["Welcome, both of you", "Tomorrow at 10?"]
    assert len(bot.fake.calls_to("POST", r"/threads$")) == 1  # the same thread, not a new one
    assert console.printed[-1].text == "Yksityiskeskustelu ”Statistics help”\nTomorrow at 10?"
    assert bot.fake.channel_messages(bot.fake.dm_channel_for(olli)) == []


async def test_discord_channel_refusing_threads_falls_back_to_dms(discord_bot: DiscordBot) -> None:
    bot = discord_bot
    olli = bot.driver._user(Who("Olli", frozenset({"tutor"})))
    emma = bot.driver._user(Who("Emma"))
    bot.fake.fail_next("POST", r"^/channels/\d+/threads$", 403, 50013, "Missing Permissions")
    assert await slash(bot, "tutordemo open", {"who": emma}, olli) == "thread 1"
    for user in (olli, emma):
        [dm] = bot.fake.channel_messages(bot.fake.dm_channel_for(user))
        assert dm["embeds"][0]["title"] == "Yksityiskeskustelu ”Statistics help”"
        assert dm["embeds"][0]["description"] == "Welcome, both of you"
    # Later messages go the same way, without trying to open a thread again.
    await slash(bot, "tutordemo post", {"thread": 1, "text": "Still here"}, olli)
    assert bot.fake.channel_messages(bot.fake.dm_channel_for(emma))[-1]["embeds"][0]["description"] == "Still here"
    assert len(bot.fake.calls_to("POST", r"/threads$")) == 1


async def test_unknown_destination_fails_in_the_cog(discord_bot: DiscordBot) -> None:
    from bot.context import ServiceContext

    with pytest.raises(KeyError):
        await ServiceContext(discord_bot.app).open_thread("tutorz", "x", [], Reply("x"))

