"""Forms on Discord (real discord.py against FakeDiscord): Label-wrapped modals, a field to fix reopened
from a Fill in button, a form of five fields from a button, and Finnish option names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord_server import GUILD_ID
from tests.formkit import SIGNUPS, kit
from tests.harness import test_config
from tests.scenarios.discord_driver import DiscordBot
from tests.scenarios.driver import Who

EPHEMERAL = 64


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    SIGNUPS.clear()
    harness = await DiscordBot.start(tmp_path, test_config(), extra_cogs=[kit])
    try:
        yield harness
    finally:
        await harness.stop()


def user(bot: DiscordBot, name: str = "Olli", roles: frozenset[str] = frozenset()) -> int:
    return bot.driver._user(Who(name, roles))


def modal_fields(modal: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(component type, inner type, custom_id) per top-level component of an opened modal."""
    return [(c["type"], c["component"]["type"], c["component"]["custom_id"]) if c["type"] == 18
            else (c["type"], 0, c.get("content", "")) for c in modal["components"]]


async def answer_of(bot: DiscordBot, handle: Any) -> dict[str, Any]:
    await bot.frontend.wait_handled(handle.id)
    await bot.app.settle()
    return (await handle.response()).json


async def press(bot: DiscordBot, message: dict[str, Any], label: str, who: int) -> Any:
    stored = bot.fake.message(int(message["id"])) if "id" in message else None
    components = (stored or message)["components"]
    custom_id = next(b["custom_id"] for row in components for b in row["components"] if b.get("label") == label)
    return await bot.fake.press(custom_id, message_id=int((stored or message)["id"]), user_id=who)


async def test_long_text_modal_wraps_each_input_in_a_label(bot: DiscordBot) -> None:
    olli = user(bot, roles=frozenset({"organiser"}))
    handle = await bot.fake.slash("event create", {"title": "Visa", "start": "4.12. klo 18", "where": "helsinki"},
                                  user_id=olli)
    opened = await answer_of(bot, handle)
    assert opened["type"] == 9
    label, english = opened["data"]["components"]  # the long texts: the description, and the optional English one
    assert (label["type"], label["label"], label["component"]["type"]) == (18, "Kuvaus", 4)
    assert label["description"] == "Mitä tapahtumassa tehdään?"  # the field's question under its name
    assert (label["component"]["custom_id"], label["component"]["style"]) == ("description", 2)
    assert (english["label"], english["component"]["custom_id"]) == ("Kuvaus englanniksi", "description_en")
    assert english["component"]["required"] is False


async def test_an_online_event_without_a_link_reopens_a_modal_for_the_link(bot: DiscordBot) -> None:
    olli = user(bot, roles=frozenset({"organiser"}))
    handle = await bot.fake.slash("event create", {"title": "Verkkovisa", "start": "4.12. klo 18",
                                                   "where": "online"}, user_id=olli)
    opened = await answer_of(bot, handle)
    submit = await bot.fake.submit_modal(opened["data"]["custom_id"], {"description": "Hauska"}, user_id=olli)
    asked = await answer_of(bot, submit)  # a modal cannot answer a modal: a message with Fill in
    assert asked["data"]["flags"] == EPHEMERAL and "Verkkotapahtuma tarvitsee linkin" in asked["data"]["content"]
    message = submit.original_message() or asked["data"]
    fill_in = await press(bot, message, "Täytä", olli)
    reopened = await answer_of(bot, fill_in)
    assert reopened["type"] == 9
    assert modal_fields(reopened["data"]) == [
        (10, 0, "Verkkotapahtuma tarvitsee linkin: lisää linkki=https://…"), (18, 4, "link")]
    assert reopened["data"]["components"][1]["component"]["required"] is True  # optional, but needed now
    done = await bot.fake.submit_modal(reopened["data"]["custom_id"], {"link": "https://meet.example/v"},
                                       user_id=olli)
    assert "Tapahtuma #1 Verkkovisa luotu" in (await answer_of(bot, done))["data"]["content"]
    rows = await bot.app.db.fetchall("SELECT title, description, link FROM events")
    assert [tuple(r) for r in rows] == [("Verkkovisa", "Hauska", "https://meet.example/v")]


async def test_a_form_from_a_button_opens_five_fields_then_asks_the_refused_one_again(bot: DiscordBot) -> None:
    sanni = user(bot, "Sanni")
    handle = await bot.fake.slash("kit trip_button", {}, user_id=sanni)
    card = await answer_of(bot, handle)
    opened = await answer_of(bot, await press(bot, handle.original_message() or card["data"], "Sign up", sanni))
    assert opened["type"] == 9
    assert modal_fields(opened["data"]) == [(18, 4, "name"), (18, 4, "seats"), (18, 4, "arriving"),
                                            (18, 3, "diet"), (18, 3, "sauna")]  # choices and yes/no: selects
    submit = await bot.fake.submit_modal(opened["data"]["custom_id"], {
        "name": "Sanni S", "seats": "9", "arriving": "huomenna klo 12", "diet": ["vegan"], "sauna": ["yes"]},
        user_id=sanni)
    asked = await answer_of(bot, submit)
    assert "enintään 4" in asked["data"]["content"]
    again = await answer_of(bot, await press(bot, submit.original_message() or asked["data"], "Täytä", sanni))
    fields = modal_fields(again["data"])
    assert [f[2] for f in fields[1:]] == ["seats", "note"]  # the other answers are kept
    assert again["data"]["components"][1]["component"]["value"] == "9"  # the refused value, to correct
    second = await bot.fake.submit_modal(again["data"]["custom_id"], {"seats": "3", "note": ""}, user_id=sanni)
    told = await answer_of(bot, second)
    assert "at most two" in told["data"]["content"] and SIGNUPS == []  # the handler's cross-field check
    last = await answer_of(bot, await press(bot, second.original_message() or told["data"], "Täytä", sanni))
    assert [f[2] for f in modal_fields(last["data"])[1:]] == ["seats"]
    done = await bot.fake.submit_modal(last["data"]["custom_id"], {"seats": "2"}, user_id=sanni)
    assert "Signed up Sanni S: 2 seats, diet vegan, sauna True, note None." in (
        await answer_of(bot, done))["data"]["content"]


async def test_option_names_and_choices_are_localized_in_finnish(bot: DiscordBot) -> None:
    synced = {c["name"]: c for c in bot.fake.guild_commands[GUILD_ID]}
    create = next(o for o in synced["event"]["options"] if o["name"] == "create")
    options = {o["name"]: o for o in create["options"]}
    assert options["start"]["name_localizations"] == {"fi": "aloitus"}
    assert options["capacity"]["name_localizations"] == {"fi": "paikkamaara"}  # [a-z0-9_] for Discord
    repeat = {c["value"]: c for c in options["repeat"]["choices"]}
    assert repeat["weekly"]["name"] == "Every week" and repeat["weekly"]["name_localizations"]["fi"] == "Joka viikko"
