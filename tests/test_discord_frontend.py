"""The Discord frontend end to end: the real Application and real discord.py against FakeDiscord.

Everything is checked from the calls the fake recorded, the way Discord would see the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import pytest

from bot.commands import CalendarEntry, Choice, Cog, File, Param, PersonRef, Reply
from bot.context import Context
from bot.frontends.discord import DiscordFrontend
from bot.signing import payload_of
from tests.fakes.discord_server import GENERAL_CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.harness import TEST_NOW
from tests.harness import test_config as example_config
from tests.scenarios.discord_driver import DiscordBot, guild_for, with_role_ids
from tests.scenarios.driver import Who

EPHEMERAL = 64

# A cog only these tests load: every parameter kind and reply shape the frontend must translate.
demo = Cog("demo", "Frontend test commands")
THINGS = [Choice("1", "Sauna night"), Choice("2", "Sitsit"), Choice("3", "Sillis")]


async def _suggest(ctx: Context, partial: str) -> list[Choice]:
    return [c for c in THINGS if partial.casefold() in str(c.label).casefold()]


@demo.command("Find a thing")
async def find(ctx: Context, thing: Annotated[int, Param("Thing", suggest=_suggest)]) -> Reply:
    return Reply(f"thing {thing}")


@demo.command("Slow to answer")
async def slow(ctx: Context) -> Reply:
    await asyncio.sleep(0.3)
    return Reply("finally", title="Slow", fields=[("Took", "a while")])


@demo.command("Write a note")
async def note(ctx: Context, title: Annotated[str, Param("Title", max_len=40)],
               body: Annotated[str, Param("Body", max_len=500, long=True)]) -> Reply:
    return Reply(f"{title}: {body}", files=[File("note.txt", body.encode(), "text/plain")])


@demo.command("Your own list", private=True)
async def mine(ctx: Context) -> Reply:
    return Reply("only you see this")


@demo.command("Greet someone by DM")
async def greet(ctx: Context, who: Annotated[PersonRef, Param("Who")]) -> Reply:
    await ctx.notify(who.id, Reply(f"hello from {ctx.person.display_name}"))  # type: ignore[attr-defined]
    return Reply(f"greeted {who.display_name}")  # type: ignore[attr-defined]


@demo.command("Count")
async def count(ctx: Context, n: Annotated[int, Param("How many", min=1, max=99)]) -> Reply:
    return Reply(f"n={n!r}")


THING = {"title": "Sitsit", "cancelled": False}


@demo.view("thing")
async def thing_card(ctx: object, thing_id: int) -> Reply:
    start = TEST_NOW + timedelta(days=3)
    entry = CalendarEntry(f"thing:{thing_id}", THING["title"], start, start + timedelta(hours=4),  # type: ignore[arg-type]
                          "Kampus Helsinki", "Tervetuloa!", cancelled=bool(THING["cancelled"]))
    return Reply("Tervetuloa!", title=str(THING["title"]), calendar=entry)


async def start_bot(data_dir: Path, fake: FakeDiscord | None = None, cogs: tuple[str, ...] = ("ping",)
                    ) -> DiscordBot:
    return await DiscordBot.start(data_dir, example_config(cogs=cogs), fake=fake, extra_cogs=[demo])


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    harness = await start_bot(tmp_path)
    try:
        yield harness
    finally:
        await harness.stop()


def member(bot: DiscordBot, name: str = "Olli", roles: frozenset[str] = frozenset()) -> int:
    return bot.driver._user(Who(name, roles))


async def test_synced_commands_carry_types_limits_and_finnish_localizations(bot: DiscordBot) -> None:
    synced = {c["name"]: c for c in bot.fake.guild_commands[GUILD_ID]}
    assert {"ping", "help", "language", "demo"} <= set(synced)
    ping = synced["ping"]
    assert ping["description"] == "Check that I am alive"
    assert ping["description_localizations"]["fi"] == "Tarkista, että olen hereillä"
    [message] = ping["options"]
    assert (message["type"], message["required"], message["max_length"]) == (3, False, 50)
    assert message["description_localizations"]["fi"] == "Jotain toistettavaa"
    group = {o["name"]: o for o in synced["demo"]["options"]}
    assert group["find"]["options"][0]["autocomplete"] is True
    assert group["count"]["options"][0] | {"description_localizations": None} == {
        "type": 4, "name": "n", "description": "How many", "required": True, "min_value": 1, "max_value": 99,
        "description_localizations": None}
    assert group["greet"]["options"][0]["type"] == 6  # a user option
    assert [o["name"] for o in group["note"]["options"]] == ["title"]  # the long text is asked in a modal
    language = synced["language"]["options"][0]
    assert [c["value"] for c in language["choices"]] == ["fi", "en"]


async def test_sync_is_skipped_when_nothing_changed(tmp_path: Path) -> None:
    first = await start_bot(tmp_path)
    await first.stop(keep_fake=True)
    second = await start_bot(tmp_path, first.fake)
    try:
        assert len(first.fake.calls_to("PUT", r"/guilds/\d+/commands$")) == 1
    finally:
        await second.stop(keep_fake=True)
    changed = await start_bot(tmp_path, first.fake, cogs=())
    try:
        assert len(first.fake.calls_to("PUT", r"/guilds/\d+/commands$")) == 2
        assert "ping" not in {c["name"] for c in first.fake.guild_commands[GUILD_ID]}
    finally:
        await changed.stop()


async def test_slash_reply_and_button_press_edit_the_message(bot: DiscordBot) -> None:
    user = member(bot)
    handle = await bot.fake.slash("ping", {"message": "moi"}, user_id=user)
    answer = (await handle.response()).json
    assert answer["type"] == 4 and answer["data"]["content"] == "Pong: moi"
    button = answer["data"]["components"][0]["components"][0]
    assert (payload_of(button["custom_id"]), button["label"]) == ("ping:again:1", "Uudestaan")
    message = handle.original_message()
    assert message is not None

    press = await bot.fake.press(button["custom_id"], message_id=int(message["id"]), user_id=user)
    assert (await press.response()).json["type"] == 7
    edited = bot.fake.message(int(message["id"]))
    assert edited is not None and edited["content"] == "Pong ×2"
    assert payload_of(edited["components"][0]["components"][0]["custom_id"]) == "ping:again:2"
    notice = await press.followup()  # the action's notice, only for the presser
    assert notice.json["flags"] == EPHEMERAL


async def test_buttons_keep_working_after_a_restart(tmp_path: Path) -> None:
    first = await start_bot(tmp_path)
    handle = await first.fake.slash("ping", user_id=member(first))
    [row] = (await handle.response()).json["data"]["components"]
    await first.stop(keep_fake=True)
    second = await start_bot(tmp_path, first.fake)
    try:  # the key stays the same across restarts (a file in the data directory when no secret is set)
        press = await second.fake.press(row["components"][0]["custom_id"], user_id=member(first))
        assert (await press.response()).json["data"]["content"] == "Pong ×2"
    finally:
        await second.stop()


async def test_autocomplete_answers_from_the_cogs_suggestions(bot: DiscordBot) -> None:
    auto = await bot.fake.autocomplete("demo find", {"thing": "si"}, focused="thing", user_id=member(bot))
    assert (await auto.response()).json == {
        "type": 8, "data": {"choices": [{"name": "Sitsit", "value": "2"}, {"name": "Sillis", "value": "3"}]}}
    chosen = await bot.fake.slash("demo find", {"thing": "2"}, user_id=member(bot))
    assert (await chosen.response()).json["data"]["content"] == "thing 2"


async def test_integer_and_user_options_reach_the_core_typed(bot: DiscordBot) -> None:
    counted = await bot.fake.slash("demo count", {"n": 7}, user_id=member(bot))
    assert (await counted.response()).json["data"]["content"] == "n=7"
    emma = member(bot, "Emma")
    greeted = await bot.fake.slash("demo greet", {"who": emma}, user_id=member(bot))
    assert (await greeted.response()).json["data"]["content"] == "greeted Emma"
    await bot.frontend.wait_handled(greeted.id)
    await bot.app.settle()
    dm = bot.fake.channel_messages(bot.fake.dm_channel_for(emma))
    assert [m["content"] for m in dm] == ["hello from Olli"]


async def test_modal_submission_runs_the_command_with_the_long_text(bot: DiscordBot) -> None:
    user = member(bot)
    handle = await bot.fake.slash("demo note", {"title": "Sauna"}, user_id=user)
    opened = (await handle.response()).json
    assert opened["type"] == 9 and opened["data"]["title"] == "Write a note"
    [row] = opened["data"]["components"]
    text_input = row["components"][0] if row["type"] == 1 else row["component"]
    assert (text_input["custom_id"], text_input["max_length"], text_input["style"]) == ("body", 500, 2)
    submit = await bot.fake.submit_modal(opened["data"]["custom_id"], {"body": "liian kuuma"}, user_id=user)
    answer = await submit.response()
    assert answer.json["data"]["content"] == "Sauna: liian kuuma"
    assert answer.files[0].filename == "note.txt" and answer.files[0].data == b"liian kuuma"


async def test_board_broadcast_through_a_modal_reaches_the_channel(bot: DiscordBot) -> None:
    board = member(bot, "Hanna", frozenset({"board"}))
    handle = await bot.fake.slash("broadcast", user_id=board)
    opened = (await handle.response()).json
    assert opened["type"] == 9
    submit = await bot.fake.submit_modal(opened["data"]["custom_id"], {"text": "Kevätkokous 3.3."}, user_id=board)
    assert (await submit.response()).json["data"]["flags"] == EPHEMERAL
    await bot.app.settle()
    channel = bot.app.config.destinations["announcements"].discord_channel_id
    [posted] = bot.fake.channel_messages(channel)  # type: ignore[arg-type]
    embed = posted["embeds"][0]
    assert (embed["title"], embed["description"]) == ("Hallitukselta", "Kevätkokous 3.3.")


async def test_refused_command_gets_no_modal(bot: DiscordBot) -> None:
    handle = await bot.fake.slash("broadcast", user_id=member(bot))
    answer = (await handle.response()).json
    assert answer["type"] == 4 and answer["data"]["flags"] == EPHEMERAL
    assert "/broadcast" in answer["data"]["content"]


async def test_private_command_answers_ephemerally_in_the_guild(bot: DiscordBot) -> None:
    handle = await bot.fake.slash("demo mine", user_id=member(bot))
    answer = (await handle.response()).json
    assert answer["data"] == {"tts": False, "content": "only you see this", "flags": EPHEMERAL,
                              "allowed_mentions": {"parse": []}}


async def test_slow_handler_is_deferred_then_answered(bot: DiscordBot) -> None:
    bot.frontend.defer_after = 0.05
    handle = await bot.fake.slash("demo slow", user_id=member(bot))
    assert (await handle.response()).json == {"type": 5}
    edit = await handle.original_edit()
    assert edit.json["embeds"][0]["title"] == "Slow"
    assert edit.json["embeds"][0]["fields"] == [{"name": "Took", "value": "a while", "inline": False}]
    message = handle.original_message()
    assert message is not None and message["flags"] & 128 == 0  # no longer "thinking"


async def test_closed_dms_are_recorded_as_unreachable(bot: DiscordBot) -> None:
    emma = member(bot, "Emma")
    bot.fake.fail_next("POST", r"^/channels/\d+/messages$", 403, 50007, "Cannot send messages to this user")
    handle = await bot.fake.slash("demo greet", {"who": emma}, user_id=member(bot))
    await bot.frontend.wait_handled(handle.id)
    await bot.app.settle()
    row = await bot.app.db.fetchone("SELECT status FROM outbox WHERE target_id = ?", (str(emma),))
    assert row is not None and row["status"] == "unreachable"
    since = await bot.app.db.fetchval(
        "SELECT unreachable_since FROM accounts WHERE platform = 'discord' AND platform_user_id = ?", (str(emma),))
    assert since is not None


async def test_a_429_is_waited_out_and_counted(bot: DiscordBot) -> None:
    emma = member(bot, "Emma")
    bot.fake.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=0.05)
    handle = await bot.fake.slash("demo greet", {"who": emma}, user_id=member(bot))
    await bot.frontend.wait_handled(handle.id)
    await bot.app.settle()
    row = await bot.app.db.fetchone("SELECT status FROM outbox WHERE target_id = ?", (str(emma),))
    assert row is not None and row["status"] == "sent"  # discord.py waited it out and sent it
    assert bot.app.metrics.registry.get_sample_value("humako_rate_limited_total", {"platform": "discord"}) == 1


async def test_failed_answer_is_logged_with_the_interaction_id(bot: DiscordBot,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    bot.fake.fail_next("POST", r"^/interactions/\d+/[^/]+/callback$", 400, 50035, "Invalid Form Body")
    with caplog.at_level(logging.ERROR, logger="bot.frontends.discord"):
        handle = await bot.fake.slash("ping", user_id=member(bot))
        await bot.frontend.wait_handled(handle.id)
    assert f"discord interaction {handle.id} failed" in caplog.text
    assert "Pong" not in caplog.text  # no message texts in the logs
    apology = bot.fake.calls_to("POST", rf"^/interactions/{handle.id}/")[-1]
    assert apology.status == 200 and apology.json["data"]["flags"] == EPHEMERAL
    assert apology.json["data"]["content"].startswith("Minulla tapahtui virhe")


async def test_outbox_keeps_under_the_global_rate_limit(bot: DiscordBot) -> None:
    bot.fake.global_limit_per_second = 50
    for index in range(60):
        await bot.app.outbox.to_destination("announcements", Reply(f"#{index}"))
    await bot.app.settle()
    channel = bot.app.config.destinations["announcements"].discord_channel_id
    assert len(bot.fake.channel_messages(channel)) == 60  # type: ignore[arg-type]
    assert not [c for c in bot.fake.calls if c.status == 429]


def test_guild_for_has_every_configured_role_and_destination() -> None:
    config = with_role_ids(example_config())
    guild = guild_for(config)
    role_ids = {r.id for r in guild.roles}
    assert all(set(source.discord_role_ids) <= role_ids for source in config.roles.values())
    assert GENERAL_CHANNEL_ID in {c.id for c in guild.channels}


def test_frontend_patches_nothing_at_import() -> None:
    import discord.http

    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert DiscordFrontend.platform == "discord"


async def test_calendar_entry_becomes_a_guild_scheduled_event(bot: DiscordBot) -> None:
    THING.update(title="Sitsit", cancelled=False)
    bot.frontend.edit_interval = 0.0
    await bot.app.outbox.to_destination("announcements", None, shows=("thing", 1))
    await bot.app.outbox.to_destination("campus_helsinki", None, shows=("thing", 1))
    await bot.app.settle()
    [event] = bot.fake.scheduled_events.values()  # posted twice, listed once
    assert (event["name"], event["entity_type"], event["privacy_level"]) == ("Sitsit", 3, 2)
    assert event["entity_metadata"] == {"location": "Kampus Helsinki"}
    assert event["scheduled_start_time"].startswith("2026-11-29T12:00:00")
    assert event["scheduled_end_time"].startswith("2026-11-29T16:00:00")

    THING["title"] = "Sitsit II"
    await bot.app.live.changed("thing", 1)
    await bot.app.settle()
    assert event["name"] == "Sitsit II"

    THING["cancelled"] = True
    await bot.app.live.changed("thing", 1)
    await bot.app.settle()
    assert event["status"] == 4  # cancelled
    assert len(bot.fake.calls_to("POST", r"/scheduled-events$")) == 1


def _payloads_with_content(bot: DiscordBot) -> list[dict[str, object]]:
    """Every message body the bot sent or edited: channel posts and edits, interaction responses, follow-ups."""
    bodies = []
    for call in bot.fake.calls:
        body = call.json if isinstance(call.json, dict) else {}
        if call.path.startswith("/interactions/"):
            body = body.get("data") or {}
        if "content" in body:
            bodies.append(body)
    return bodies


async def test_user_text_never_pings_anyone(bot: DiscordBot) -> None:
    """`/ping @everyone <@&role>` and a name like "@everyone" are echoed, but inert: every payload says
    allowed_mentions parse=[], so Discord pings nobody (the fake resolves mentions as Discord does)."""
    role = next(iter(bot.app.config.roles["board"].discord_role_ids))
    hostile = f"@everyone @here <@&{role}> <@{GENERAL_CHANNEL_ID}>"
    user = member(bot, "@everyone")
    handle = await bot.fake.slash("ping", {"message": hostile[:50]}, user_id=user)
    answer = (await handle.response()).json["data"]
    assert answer["content"].startswith("Pong: @everyone") and answer["allowed_mentions"] == {"parse": []}
    message = handle.original_message()
    assert message is not None
    again = answer["components"][0]["components"][0]["custom_id"]
    press = await bot.fake.press(again, message_id=int(message["id"]), user_id=user)
    await press.followup()  # the press edits the message (type 7) and answers with a follow-up

    emma = member(bot, "Emma")
    greeted = await bot.fake.slash("demo greet", {"who": user}, user_id=emma)
    await bot.frontend.wait_handled(greeted.id)
    board = member(bot, "Hanna", frozenset({"board"}))
    opened = (await (await bot.fake.slash("broadcast", user_id=board)).response()).json
    submit = await bot.fake.submit_modal(opened["data"]["custom_id"], {"text": hostile}, user_id=board)
    await bot.frontend.wait_handled(submit.id)
    await bot.app.settle()

    bodies = _payloads_with_content(bot)
    assert len(bodies) >= 5
    assert all(body.get("allowed_mentions") == {"parse": []} for body in bodies), bodies
    stored = [m for by_id in bot.fake.messages.values() for m in by_id.values()]
    assert any("@everyone" in (m["content"] or "") for m in stored)  # the text is there, the ping is not
    assert any(m["embeds"] and hostile in m["embeds"][0]["description"] for m in stored)  # the broadcast
    assert not any(m["mention_everyone"] or m["mention_roles"] or m["mentions"] for m in stored)
