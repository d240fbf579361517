"""Proves FakeDiscord against a bare, real discord.py client (not the project's bot)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import discord
import pytest
import pytest_asyncio
from discord import app_commands

from .discord_server import (
    EVENTS_CHANNEL_ID,
    GENERAL_CHANNEL_ID,
    GUEST_ID,
    GUILD_ID,
    MEMBER_ID,
    MEMBER_ROLE_ID,
    OWNER_ID,
    FakeDiscord,
    point_discord_at,
    restore_discord,
)

pytestmark = pytest.mark.asyncio

EVENTS = ["Sitsit", "Sauna", "Sillis", "Vuosijuhla"]


class PingView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Again", custom_id="ping:again:1")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button[PingView]) -> None:
        await interaction.response.edit_message(content=f"pong again for {interaction.user.id}", view=None)


class FeedbackModal(discord.ui.Modal, title="Palaute"):
    # One classic text input (sent in an action row) and one wrapped in a Label (type 18).
    topic = discord.ui.TextInput(label="Aihe", custom_id="feedback:topic")
    body = discord.ui.Label(text="Viesti", component=discord.ui.TextInput(custom_id="feedback:body"))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text = self.body.component.value  # type: ignore[attr-defined]
        await interaction.response.send_message(f"kiitos: {self.topic.value} / {text}", ephemeral=True)


def build_client() -> tuple[discord.Client, app_commands.CommandTree[discord.Client]]:
    # Without the members intent discord.py does not cache members from GUILD_CREATE.
    intents = discord.Intents.default()
    intents.members = True
    # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before READY.
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    event = app_commands.Group(name="event", description="Tapahtumat")

    @event.command(name="list", description="Listaa tapahtumat")
    async def event_list(interaction: discord.Interaction, query: str) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Ilmoittaudu", custom_id=f"event:join:{query}"))
        await interaction.response.send_message(f"events matching {query}", view=view)

    @event_list.autocomplete("query")
    async def event_complete(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        matches = [e for e in EVENTS if e.lower().startswith(typed)]
        return [app_commands.Choice(name=e, value=e.lower()) for e in matches]

    @tree.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"pong {interaction.locale.value}", view=PingView())

    @tree.command(name="feedback", description="Anna palautetta")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @tree.command(name="slow", description="Deferred")
    async def slow(interaction: discord.Interaction, who: discord.Member) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"done for {who.display_name}")
        await interaction.followup.send("extra", file=discord.File(io.BytesIO(b"csv"), "report.csv"))

    tree.add_command(event)
    return client, tree


@dataclass
class Env:
    fake: FakeDiscord
    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]


@pytest_asyncio.fixture
async def env() -> AsyncIterator[Env]:
    fake = await FakeDiscord().start()
    point_discord_at(fake.base_url)
    client, tree = build_client()
    task = asyncio.create_task(client.start(fake.token or ""))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 5)
        tree.copy_global_to(guild=discord.Object(GUILD_ID))  # guild sync = instant, like the real bot
        await tree.sync(guild=discord.Object(GUILD_ID))
        yield Env(fake, client, tree)
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
        await fake.stop()
        restore_discord()


async def test_login_ready_and_guild_cache(env: Env) -> None:
    guild = env.client.get_guild(GUILD_ID)
    assert guild is not None and guild.name == "Humako"
    member = guild.get_member(MEMBER_ID)
    assert member is not None and [r.id for r in member.roles[1:]] == [MEMBER_ROLE_ID]
    assert guild.get_channel(GENERAL_CHANNEL_ID).name == "yleinen"  # type: ignore[union-attr]
    assert guild.owner_id == OWNER_ID and guild.me.guild_permissions.administrator
    assert env.fake.identify_payloads[0]["token"] == env.fake.token
    synced = {c["name"]: c for c in env.fake.guild_commands[GUILD_ID]}
    assert set(synced) == {"event", "ping", "feedback", "slow"}
    assert synced["event"]["options"][0]["options"][0]["autocomplete"] is True


async def test_slash_with_view_then_button_press(env: Env) -> None:
    handle = await env.fake.slash("ping", user_id=MEMBER_ID)
    call = await handle.response()
    assert call.json["type"] == 4
    assert call.json["data"]["content"] == "pong fi"
    message = handle.original_message()
    assert message is not None and message["components"][0]["components"][0]["custom_id"] == "ping:again:1"

    press = await env.fake.press("ping:again:1", user_id=OWNER_ID)
    pressed = await press.response()
    assert pressed.json["type"] == 7
    assert env.fake.message(int(message["id"]))["content"] == f"pong again for {OWNER_ID}"  # type: ignore[index]


async def test_subcommand_autocomplete_and_button(env: Env) -> None:
    auto = await env.fake.autocomplete("event list", {"query": "si"}, focused="query")
    choices = (await auto.response()).json
    assert choices == {
        "type": 8,
        "data": {"choices": [{"name": "Sitsit", "value": "sitsit"}, {"name": "Sillis", "value": "sillis"}]},
    }

    handle = await env.fake.slash("event list", {"query": "sauna"}, channel_id=EVENTS_CHANNEL_ID)
    assert (await handle.response()).json["data"]["content"] == "events matching sauna"
    [stored] = env.fake.channel_messages(EVENTS_CHANNEL_ID)
    assert stored["components"][0]["components"][0]["custom_id"] == "event:join:sauna"


async def test_modal_submit_with_row_and_label(env: Env) -> None:
    opened = await (await env.fake.slash("feedback")).response()
    assert opened.json["type"] == 9 and opened.json["data"]["title"] == "Palaute"
    submit = await env.fake.submit_modal(
        opened.json["data"]["custom_id"], {"feedback:topic": "sauna", "feedback:body": "liian kuuma"}
    )
    kinds = [c["type"] for c in submit.payload["data"]["components"]]
    assert kinds == [1, 18]
    answer = await submit.response()
    assert answer.json["type"] == 4
    assert answer.json["data"] == {"tts": False, "content": "kiitos: sauna / liian kuuma", "flags": 64}


async def test_deferred_then_edit_and_followup_with_file(env: Env) -> None:
    handle = await env.fake.slash("slow", {"who": GUEST_ID})
    assert (await handle.response()).json == {"type": 5}
    edit = await handle.original_edit()
    assert edit.json["content"] == "done for vieras"
    followup = await handle.followup()
    assert followup.files[0].filename == "report.csv" and followup.files[0].data == b"csv"
    contents = [m["content"] for m in env.fake.channel_messages(GENERAL_CHANNEL_ID)]
    assert contents == ["done for vieras", "extra"]
    assert env.fake.channel_messages(GENERAL_CHANNEL_ID)[1]["attachments"][0]["filename"] == "report.csv"


async def test_channel_send_edit_delete_and_dm_forbidden(env: Env) -> None:
    channel = env.client.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hei", file=discord.File(io.BytesIO(b"x"), "kuva.png"))
    stored = env.fake.message(sent.id)
    assert stored is not None and stored["attachments"][0]["filename"] == "kuva.png"
    await sent.edit(content="moi")
    assert env.fake.message(sent.id)["content"] == "moi"  # type: ignore[index]
    await sent.delete()
    assert env.fake.message(sent.id) is None

    env.fake.fail_next("POST", r"^/channels/\d+/messages$", 403, 50007, "Cannot send messages to this user")
    member = env.client.get_guild(GUILD_ID).get_member(MEMBER_ID)  # type: ignore[union-attr]
    with pytest.raises(discord.Forbidden) as err:
        await member.send("hei")  # type: ignore[union-attr]
    assert err.value.code == 50007
    assert env.fake.calls_to("POST", r"^/users/@me/channels$")[0].json == {"recipient_id": MEMBER_ID}


async def test_scheduled_event_lifecycle(env: Env) -> None:
    guild = env.client.get_guild(GUILD_ID)
    assert guild is not None
    start = datetime.now(UTC) + timedelta(days=3)
    event = await guild.create_scheduled_event(
        name="Sitsit",
        entity_type=discord.EntityType.external,
        location="Kerhohuone",
        start_time=start,
        end_time=start + timedelta(hours=4),
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    assert env.fake.scheduled_events[event.id]["entity_metadata"] == {"location": "Kerhohuone"}
    edited = await event.edit(name="Sitsit II")
    assert edited.name == "Sitsit II" and env.fake.scheduled_events[event.id]["name"] == "Sitsit II"
    await event.delete()
    assert event.id not in env.fake.scheduled_events


async def test_threads_invites_and_member_fetch(env: Env) -> None:
    channel = env.client.get_channel(EVENTS_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.create_thread(name="Sitsit", type=discord.ChannelType.public_thread)
    await thread.add_user(discord.Object(MEMBER_ID))
    assert MEMBER_ID in env.fake.thread_members[thread.id]
    starter = await channel.send("ketju")
    from_message = await starter.create_thread(name="Keskustelu")
    assert from_message.id == starter.id
    invite = await channel.create_invite(max_age=3600)
    assert invite.code == env.fake.invites[0]["code"]
    fetched = await env.client.get_guild(GUILD_ID).fetch_member(GUEST_ID)  # type: ignore[union-attr]
    assert fetched.name == "vieras"


async def test_rate_limits_are_retried(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="discord.http")  # silence discord.py's 429 warnings
    channel = env.client.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    env.fake.fail_next("POST", r"/messages$", 429, retry_after=0.05)
    await channel.send("a")
    statuses = [c.status for c in env.fake.calls_to("POST", r"/messages$")]
    assert statuses == [429, 200]

    env.fake.global_limit_per_second = 2
    await asyncio.gather(*(channel.send(str(i)) for i in range(4)))
    env.fake.global_limit_per_second = None
    assert any(c.response.get("global") for c in env.fake.calls if c.status == 429)
    assert len(env.fake.channel_messages(GENERAL_CHANNEL_ID)) == 5


async def test_unknown_route_is_recorded(env: Env) -> None:
    with pytest.raises(discord.NotFound):
        await env.client.http.request(discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=GUILD_ID))
    assert env.fake.unknown_calls[-1].path == f"/guilds/{GUILD_ID}/bans"
    with pytest.raises(TimeoutError):
        await env.fake.wait_for_call("DELETE", r"^/nothing$", timeout=0.05)


async def test_dm_slash_uses_global_command_and_dm_button(env: Env) -> None:
    await env.tree.sync()  # DMs only see global commands
    handle = await env.fake.slash("ping", dm=True, user_id=GUEST_ID, locale="en-US")
    assert "user" in handle.payload and "guild_id" not in handle.payload
    assert (await handle.response()).json["data"]["content"] == "pong en-US"
    message = handle.original_message()
    assert message is not None and int(message["channel_id"]) == env.fake.dm_channel_for(GUEST_ID)
    press = await env.fake.press("ping:again:1", user_id=GUEST_ID)
    assert (await press.response()).json["type"] == 7


async def test_gateway_drop_resumes_and_keeps_working(env: Env) -> None:
    await env.fake.drop_gateway()
    resume = await env.fake.wait_for_gateway(6)
    assert resume["d"]["session_id"] == env.fake.session_id
    await env.fake.wait_until_connected()
    handle = await env.fake.slash("ping")
    assert (await handle.response()).json["type"] == 4
    assert len(env.fake.identify_payloads) == 1
