"""The core's preview with actions (ctx.preview_post) and a form reopened with its answers (ctx.ask with
prefill): a test cog of their own, on the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import pytest

from bot.commands import Button, Cog, DeclarationError, Param, Reply
from bot.context import Context
from bot.i18n import _
from bot.testing import ConsoleBot, test_bot, texts

kit = Cog("pv", "The preview kit test cog", prefix="pv")
NOTES: list[str] = []


def card(text: str) -> Reply:
    return Reply(_("Description"), title=text, fields=[(_("Title"), text)],
                 buttons=[Button("Card's own button", kit.action_id("publish", text))])


@kit.command("Write a note")
async def note(ctx: Context, text: Annotated[str, Param("Text", max_len=40)],
               mood: Annotated[str | None, Param("Mood", max_len=20)] = None) -> Reply:
    return ctx.preview_post(card(text), "This is how it will look.",
                            [Button("Publish", kit.action_id("publish", text)),
                             Button("Edit", kit.action_id("again", text))], languages=["fi", "en"])


@kit.command("A preview anyone could publish")
async def careless(ctx: Context) -> Reply:
    return ctx.preview_post(card("x"), "Careless", [Button("Publish", kit.action_id("anyone"))])


@kit.action("publish", owner_only=True)
async def publish(ctx: Context, text: str) -> Reply:
    NOTES.append(text)
    return Reply(f"Published {text}.", edit=True)


@kit.action("again", owner_only=True)
async def again(ctx: Context, text: str) -> Reply:
    return await ctx.ask(note, {}, every=True, prefill={"text": text, "mood": "calm"})


@kit.action("anyone")
async def anyone(ctx: Context) -> Reply:
    return Reply("pressed")


@pytest.fixture
async def bot() -> AsyncIterator[ConsoleBot]:
    NOTES.clear()
    async with test_bot(cogs=[], extra_cogs=[kit]) as started:
        yield started


async def test_the_preview_shows_the_post_in_its_languages_with_the_actions_only(bot: ConsoleBot) -> None:
    await bot.say(":lang en", as_="Emma")
    [shown] = [p for p in await bot.say("/pv note hello", as_="Emma") if p.buttons]
    assert [label for label, _action in shown.buttons] == ["Publish", "Edit"]  # not the card's own
    lines = shown.text.splitlines()
    # The first language is the message itself (Finnish here, though Emma reads English), the others below.
    assert "This is how it will look." in lines and "Kuvaus" in lines and "Nimi: hello" in shown.text
    assert lines.index("Kuvaus") < lines.index("— English —") < lines.index("Description")
    assert "Title: hello" in shown.text
    assert NOTES == []
    assert "Published hello." in texts(await bot.press("Publish", message=shown.number, as_="Emma"))
    assert NOTES == ["hello"]


async def test_only_the_person_it_was_shown_to_can_act(bot: ConsoleBot) -> None:
    [shown] = [p for p in await bot.say("/pv note hello", as_="Emma") if p.buttons]
    refused = texts(await bot.press("Publish", message=shown.number, as_="Sanni"))
    assert "Tämä painike on sille" in refused and NOTES == []


async def test_a_preview_whose_action_anyone_could_press_is_a_declaration_error(bot: ConsoleBot) -> None:
    with pytest.raises(DeclarationError, match="owner_only"):
        bot.app.core.preview(card("x"), "Careless", [Button("Publish", kit.action_id("anyone"))], [])


async def test_a_reopened_form_offers_each_answer_to_keep(bot: ConsoleBot) -> None:
    [shown] = [p for p in await bot.say("/pv note hello", as_="Emma") if p.buttons]
    asked = await bot.press("Edit", message=shown.number, as_="Emma")
    assert "Nyt: hello" in texts(asked) and any(label == "Säilytä" for p in asked for label, _a in p.buttons)
    mood = await bot.press("Säilytä")
    assert "Nyt: calm" in texts(mood)
    [again] = [p for p in await bot.say("happy") if p.buttons]  # a new mood; the text was kept
    assert "Nimi: hello" in again.text
    await bot.press("Publish", message=again.number)
    assert NOTES == ["hello"]
