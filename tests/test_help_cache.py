"""/help is rendered once per language and role set (bot/builtin.py, Core.help_texts), through the console."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import bot.builtin
from bot.commands import Cog, Reply
from bot.context import Context
from bot.i18n import render
from bot.testing import ConsoleBot, test_bot, texts

extra = Cog("helpextra", "Extra commands")


@extra.command("Say something extra", roles={"organiser"})
async def shout(ctx: Context) -> Reply:
    return Reply("!")


@pytest.fixture
async def hbot() -> AsyncIterator[ConsoleBot]:
    async with test_bot(["ping", "events"]) as console:
        yield console


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The languages /help's text was built for, in order."""
    calls: list[str] = []
    original = bot.builtin._help_lines

    def counting(ctx: Context) -> object:
        calls.append(ctx.language)
        return original(ctx)

    monkeypatch.setattr(bot.builtin, "_help_lines", counting)
    return calls


def expected(console: ConsoleBot, roles: set[str], language: str) -> str:
    """What /help lists, built here from the registrations: every visible command under its cog's name."""
    core = console.app.core
    visible = [spec for spec in core.commands.values() if spec.roles is None or spec.roles & roles]
    lines = [render(bot.builtin._("Commands you can use:"), language)]
    for cog in console.app.cogs:
        mine = [spec for spec in visible if spec.cog is cog]
        if mine:
            lines.append(render(cog.description, language))
            lines += [f"/{spec.full_name} — {render(spec.description, language)}" for spec in mine]
    lines.append(render(bot.builtin._("/help COMMAND shows a command's fields, for example /help event create."),
                        language))
    return "\n".join(lines)


async def test_help_is_built_once_per_language_and_role_set(hbot: ConsoleBot, built: list[str]) -> None:
    first = texts(await hbot.say("/help", as_="Sanni", where="dm"))
    again = texts(await hbot.say("/help", as_="Emma", where="dm"))  # another person, the same roles and language
    assert first == again == expected(hbot, {"student"}, "fi")
    assert built == ["fi"]
    await hbot.say("/language en", as_="Emma")
    english = texts(await hbot.say("/help", as_="Emma"))
    assert english == expected(hbot, {"student"}, "en") and built == ["fi", "en"]


async def test_a_role_change_shows_its_commands(hbot: ConsoleBot) -> None:
    before = texts(await hbot.say("/help", as_="Olli", where="dm"))
    assert "/event create" not in before
    given = texts(await hbot.say("/help", as_="Olli", roles="organiser"))
    assert "/event create" in given and given == expected(hbot, {"student", "organiser"}, "fi")
    taken = texts(await hbot.say("/help", as_="Olli", roles="student"))  # the role taken away again
    assert taken == before


async def test_new_commands_are_shown_after_a_cog_registers(hbot: ConsoleBot) -> None:
    assert "shout — " not in texts(await hbot.say("/help", as_="Olli", roles="organiser", where="dm"))
    hbot.app.core._register(extra)  # a cog's commands arrive: what was computed from the old ones is dropped
    hbot.app.cogs.append(extra)
    assert "/helpextra shout — Say something extra" in texts(await hbot.say("/help", as_="Olli"))
