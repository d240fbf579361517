"""Forms, confirmations, pages, field names in the reader's language and /help COMMAND, on the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import pytest

from bot.commands import Cog, DeclarationError, Param, Reply
from bot.context import Context
from bot.frontends.console import Printed
from tests.formkit import SIGNUPS, kit
from tests.harness import ConsoleBot, texts
from tests.test_events import card, create, going
from tests.test_personal import rows


@pytest.fixture
async def kitbot(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    SIGNUPS.clear()
    harness = await ConsoleBot.start(tmp_path, extra_cogs=(kit,))
    try:
        yield harness
    finally:
        await harness.stop()


async def press(bot: ConsoleBot, label: str, printed: list[Printed] | None = None) -> list[Printed]:
    """Press the button whose label contains `label` on the newest message that has one."""
    candidates = printed if printed is not None else bot.console.printed
    for message in reversed(candidates):
        for index, (shown, _action) in enumerate(message.buttons, start=1):
            if label in shown:
                return await bot.click(index, message=message.number)
    raise AssertionError(f"no button {label!r}")


def labels(printed: list[Printed]) -> list[str]:
    return [label for message in printed for label, _action in message.buttons]


# ------------------------------------------------------------------------------------------- forms


async def test_online_event_asked_step_by_step_reasks_the_link_and_keeps_the_answers(bot: ConsoleBot) -> None:
    await bot.say("/event create", as_="Olli", roles="organiser", where="dm")
    await bot.say("Verkkovisa")
    await bot.say("4.12. klo 18")
    await press(bot, "Verkossa")
    asked = texts(await bot.say("Hauska visa"))
    link_asked = "Millä linkillä tapahtumaan osallistutaan verkossa?"
    assert "Verkkotapahtuma tarvitsee linkin" in asked and link_asked in asked  # asked, not closed
    again = await bot.say("ftp://meet.example/visa")
    assert "Linkin pitää alkaa https://" in texts(again) and link_asked in texts(again)
    assert "Ohita" not in labels(again) and "Peruuta" in labels(again)  # needed now: no Skip, only Cancel
    done = texts(await bot.say("https://meet.example/visa"))
    assert "Tapahtuma #1 Verkkovisa luotu" in done
    assert await rows(bot, "SELECT title, description, campus, link FROM events") == [
        {"title": "Verkkovisa", "description": "Hauska visa", "campus": None, "link": "https://meet.example/visa"}]


async def test_a_typed_online_event_without_a_link_is_asked_for_it(bot: ConsoleBot) -> None:
    out = await create(bot, '/event create otsikko=Webinaari aloitus="4.12. klo 18" paikka=verkossa kuvaus=Info')
    assert "Millä linkillä tapahtumaan osallistutaan verkossa?" in out
    assert "luotu" in texts(await bot.say("https://meet.example/w"))
    assert await rows(bot, "SELECT title, link FROM events") == [{"title": "Webinaari", "link": "https://meet.example/w"}]


async def test_a_weekly_event_without_its_last_date_is_asked_for_it(bot: ConsoleBot) -> None:
    out = await create(bot, '/event create title=Kuoro start="3.12. klo 18" where=helsinki description=x '
                            'toisto=viikoittain')
    assert "viimeisen kertansa" in out and "Minä päivänä on viimeinen kerta?" in out
    await bot.say("31.12.")
    assert await rows(bot, "SELECT title, repeat_weeks, repeat_until FROM events") == [
        {"title": "Kuoro", "repeat_weeks": 1, "repeat_until": "2026-12-31"}]


async def test_form_from_a_button_asks_every_field_reasks_a_refused_one_and_keeps_the_rest(
        kitbot: ConsoleBot) -> None:
    bot = kitbot
    await bot.say("/kit trip_button", as_="Sanni", where="dm")
    assert "Mitä kenttään ”Your name” tulee?" in texts(await press(bot, "Sign up"))
    await bot.say("Sanni S")
    refused = texts(await bot.say("9"))
    assert "enintään 4" in refused and "Mitä kenttään ”Seats” tulee?" in refused  # refused: the same field again
    await bot.say("3")
    diet = await bot.say("huomenna klo 12")
    assert {"No diet", "Vegan", "Ohita", "Peruuta"} <= set(labels(diet))
    await press(bot, "Ohita", diet)  # an optional field skipped
    await press(bot, "Kyllä")  # sauna: yes
    reasked = texts(await press(bot, "Ohita"))  # no note; the handler then refuses 3 seats with the sauna
    assert "at most two" in reasked and "Mitä kenttään ”Seats” tulee?" in reasked
    assert SIGNUPS == []
    done = texts(await bot.say("2"))
    assert "Signed up Sanni S: 2 seats, diet None, sauna True, note None." in done
    assert len(SIGNUPS) == 1 and SIGNUPS[0]["arriving"].isoformat() == "2026-11-27T10:00:00+00:00"  # type: ignore[union-attr]


async def test_a_form_field_accepts_finnish_choice_names(kitbot: ConsoleBot) -> None:
    bot = kitbot
    await bot.say("/kit trip_button", as_="Sanni", where="dm")
    await press(bot, "Sign up")
    for answer in ("Sanni", "1", "huomenna klo 12", "vegaani", "ei", "Ei muuta"):
        out = await bot.say(answer)
    assert "diet vegan, sauna False, note Ei muuta." in texts(out)


async def test_form_can_be_cancelled_and_nothing_is_stored(kitbot: ConsoleBot) -> None:
    bot = kitbot
    await bot.say("/kit trip_button", as_="Sanni", where="dm")
    await press(bot, "Sign up")
    await bot.say("Sanni")
    await bot.say("/cancel")
    assert "not a command" in texts(await bot.say("2"))
    assert SIGNUPS == []


# ------------------------------------------------------------------------------------- confirm


async def test_confirm_asks_with_the_consequence_and_only_its_owner_may_answer(kitbot: ConsoleBot) -> None:
    bot = kitbot
    SIGNUPS.append({"name": "x"})
    question = (await bot.say("/kit wipe", as_="Olli", where="general"))[-1]
    assert "Delete every sign-up?" in question.text and "Nobody is signed up after this." in question.text
    assert [label for label, _action in question.buttons] == ["Delete", "Ei"]
    refused = texts(await bot.click(1, message=question.number, as_="Emma"))
    assert "jolle viesti näytettiin" in refused and SIGNUPS == [{"name": "x"}]
    await bot.click(2, message=question.number, as_="Olli")
    assert bot.message(question.number).text == "Mitään ei muutettu." and SIGNUPS == [{"name": "x"}]
    again = (await bot.say("/kit wipe", as_="Olli"))[-1]
    await bot.click(1, message=again.number)
    assert bot.message(again.number).text == "Deleted." and SIGNUPS == []


async def test_confirm_refuses_a_yes_anyone_could_press(kitbot: ConsoleBot) -> None:
    ctx = await kitbot.app.core.context_for(*await _account(kitbot))
    with pytest.raises(DeclarationError, match="owner_only"):
        ctx.confirm("Sure?", "Something happens.", kit.action_id("anyone"))


async def _account(bot: ConsoleBot) -> tuple:  # type: ignore[type-arg]
    from bot.context import Account, Chat

    return Account("console", "olli"), "Olli", Chat("console", "@olli", direct=True), frozenset()


# --------------------------------------------------------------------------------------- pager


async def test_pager_turns_pages_in_place_for_its_reader_and_apart_for_another(kitbot: ConsoleBot) -> None:
    bot = kitbot
    first = (await bot.say("/kit numbers", as_="Olli", where="general"))[-1]
    assert "sivu 1/3" in first.text and "number 5" in first.text and "number 6" not in first.text
    assert [label for label, _action in first.buttons] == [f"Pick {n}" for n in range(1, 6)] + ["Seuraava"]
    await press(bot, "Seuraava", [first])
    assert "sivu 2/3" in bot.message(first.number).text  # the owner turns the page in place
    await bot.say(":as Emma")
    emma = await press(bot, "Seuraava", [bot.message(first.number)])  # Emma's Next on Olli's list (page 2)
    assert "sivu 3/3" in texts(emma) and "number 12" in texts(emma) and emma[0].where == "you"
    assert "sivu 2/3" in bot.message(first.number).text  # Olli's page is his own
    last = bot.message(emma[0].number)
    assert [label for label, _action in last.buttons][-1] == "Edellinen"


def test_a_page_button_that_cannot_be_signed_fails_when_built() -> None:
    from bot.pager import pager

    with pytest.raises(DeclarationError):
        pager(["a", "b"], page=1, size=1, turn=lambda n: f"kit:numbers:{n}:{'x' * 60}", title="t", empty="e")


async def test_reminders_beyond_a_page_are_reachable_and_a_cancel_keeps_the_page(bot: ConsoleBot) -> None:
    for day in range(1, 13):
        await bot.say(f"/remind {day}.12.2026 10:00 Asia {day}", as_="Olli", where="dm")
    listing = (await bot.say("/reminders"))[0]
    assert "sivu 1/2" in listing.text and "Asia 10" in listing.text and "Asia 11" not in listing.text
    await press(bot, "Seuraava", [listing])
    second = bot.message(listing.number)
    assert "sivu 2/2" in second.text and "12. " in second.text and "Asia 12" in second.text
    await press(bot, "Peru 11", [second])
    after = bot.message(listing.number)
    assert "sivu 2/2" in after.text and "Asia 12" in after.text and "Asia 11" not in after.text
    assert len(await rows(bot, "SELECT id FROM reminders WHERE status = 'active'")) == 11


# ----------------------------------------------------------------------- names in your language


async def test_edit_with_a_finnish_field_name_moves_the_start_and_keeps_the_title(bot: ConsoleBot) -> None:
    await create(bot)
    await going(bot, "Sanni", card(bot))
    out = texts(await bot.say('/event edit 1 aloitus="to 13.00"', as_="Olli"))
    assert "päivitetty" in out
    assert await rows(bot, "SELECT title, starts_at FROM events") == [
        {"title": "Quiz night", "starts_at": "2026-12-03T11:00:00.000000+00:00"}]
    told = [p.text for p in bot.sent_to("@sanni") if "muutettiin" in p.text]
    assert len(told) == 1 and "Uusi aika: torstaina 3.12. klo 13.00" in told[0] and "Uusi nimi" not in told[0]


async def test_an_unknown_field_name_is_refused_with_the_valid_ones_and_nothing_changes(bot: ConsoleBot) -> None:
    await create(bot)
    await going(bot, "Sanni", card(bot))
    out = texts(await bot.say('/event edit 1 alku="to 13.00"', as_="Olli"))
    assert "Komennolla /event edit ei ole kenttää ”alku”" in out
    assert ("tapahtuma=, otsikko=, aloitus=, loppu=, paikka=, linkki=, kuvaus=, otsikko_en=, kuvaus_en=, "
            "paikkamaara=") in out
    await bot.say("/language en", as_="Emma", roles="organiser")
    english = texts(await bot.say('/event edit 1 alku="to 13.00"'))
    assert "event=, title=, start=, end=" in english
    assert await rows(bot, "SELECT title, starts_at FROM events") == [
        {"title": "Quiz night", "starts_at": "2026-12-04T16:00:00.000000+00:00"}]
    assert [p for p in bot.sent_to("@sanni") if "muutettiin" in p.text] == []


async def test_finnish_names_and_values_create_a_weekly_event(bot: ConsoleBot) -> None:
    out = await create(bot, '/event create otsikko=Kuoro aloitus="3.12. klo 18" paikka=helsinki kuvaus=Laulua '
                            'toisto=viikoittain viimeinen=31.12. kieli=suomi Paikkamäärä=20')
    assert "luotu" in out
    assert await rows(bot, "SELECT title, repeat_weeks, language, capacity FROM events") == [
        {"title": "Kuoro", "repeat_weeks": 1, "language": "fi", "capacity": 20}]


def test_names_in_another_language_must_be_valid_and_unique() -> None:
    bad = Cog("bad", "Bad names")
    with pytest.raises(DeclarationError):
        @bad.command("Two names for one")
        async def clash(ctx: Context, a: Annotated[str, Param("A", names={"fi": "b"})],
                        b: Annotated[str, Param("B")]) -> Reply:
            return Reply()
    with pytest.raises(DeclarationError):
        @bad.command("A name Discord refuses")
        async def spaced(ctx: Context, a: Annotated[str, Param("A", names={"fi": "kaksi sanaa"})]) -> Reply:
            return Reply()


# ------------------------------------------------------------------------------------- /help


async def test_help_for_a_command_shows_its_fields_and_an_example_in_the_readers_language(bot: ConsoleBot) -> None:
    finnish = texts(await bot.say("/help event create", as_="Olli", roles="organiser"))
    assert "/event create — Luo tapahtuma" in finnish
    assert "aloitus= · Alkaa · pakollinen" in finnish and "toisto= · Toistuu · vapaaehtoinen" in finnish
    assert "viikoittain" in finnish and "paikkamaara=" in finnish
    assert ('Esimerkki: /event create otsikko="Quiz night" aloitus="pe 4.12. klo 18" paikka=helsinki '
            'kuvaus="Teams of four"') in finnish
    await bot.say("/language en", as_="Emma", roles="organiser")
    english = texts(await bot.say("/help /event_create"))
    assert "start= · Starts · required" in english and "weekly" in english
    # An English reader's example date is English (issue 20: English errors give English examples).
    assert 'Example: /event create title="Quiz night" start="Fri 4 Dec 18:00" where=helsinki' in english
    assert "tuntematon" not in english


async def test_help_for_an_unknown_command_says_so(bot: ConsoleBot) -> None:
    assert "Tuntematon komento /nope" in texts(await bot.say("/help nope", as_="Olli"))


async def test_event_list_lines_have_a_button_that_shows_the_card_to_the_presser(bot: ConsoleBot) -> None:
    await create(bot)
    await create(bot, '/event create title=Sitsit start="5.12. klo 18" where=helsinki description=x')
    listing = (await bot.say("/event list", as_="Olli", where="general"))[-1]
    assert [label for label, _action in listing.buttons] == ["Näytä #1", "Tulen", "Näytä #2", "Tulen"]
    shown = await bot.click(3, message=listing.number, as_="Sanni")  # Sanni presses "Näytä #2" on Olli's list
    [card_copy] = shown
    assert card_copy.where == "you" and "#2 Sitsit" in card_copy.text
    assert [label for label, _action in card_copy.buttons][:3] == ["Tulen", "Ehkä", "En tule"]
    assert bot.message(listing.number).text == listing.text  # the list itself is unchanged
