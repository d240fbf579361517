"""Foundation scenarios, run on every frontend."""

from __future__ import annotations

from tests.scenarios.driver import Driver, Who, text_of

OLLI = Who("Olli")
EMMA = Who("Emma", language="en")


async def help_lists_commands(d: Driver) -> None:
    out = text_of(await d.say(OLLI, "/help"))
    assert "/ping" in out and "/language" in out


async def ping_button_edits_message(d: Driver) -> None:
    replies = await d.say(OLLI, "/ping moi")
    card = next(r for r in replies if r.buttons)
    assert "moi" in card.text
    await d.press(OLLI, card, "Uudestaan")
    assert "×2" in (await d.current(card)).text


async def english_speaker_gets_english(d: Driver) -> None:
    out = text_of(await d.say(EMMA, "/countdown 1.1.2020 12:00"))
    assert "already passed" in out


async def missing_parameter_is_asked(d: Driver) -> None:
    asked = await d.say(OLLI, "/countdown")
    assert any(r.buttons for r in asked)  # the cancel button
    out = text_of(await d.say(OLLI, "huomenna klo 14"))
    assert "24" in out


SCENARIOS = [help_lists_commands, ping_button_edits_message, english_speaker_gets_english,
             missing_parameter_is_asked]
