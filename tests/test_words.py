"""Issue #20 "Words": what people read, through the real command path (console), in both languages, and the
Finnish catalogues' one term each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.app import load_cog
from bot.i18n import catalogue_dirs
from tests.harness import ConsoleBot, texts
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent


async def organiser(bot: ConsoleBot, line: str) -> str:
    return texts(await bot.say(line, as_="Olli", roles="organiser", where="dm"))


# ------------------------------------------------------------------------------------ a question per field


async def test_a_missing_field_is_asked_with_its_own_question(bot: ConsoleBot) -> None:
    asked = await organiser(bot, "/event create")
    assert asked.startswith("Mikä on tapahtuman nimi?") and "Anna:" not in asked
    assert texts(await bot.say("Quiz")).startswith("Milloin tapahtuma alkaa?")
    assert "Mistä muistutan sinua?" in texts(await bot.say("/remind huomenna klo 9", as_="Sanni"))
    await bot.say("/language en", as_="Emma")
    assert texts(await bot.say("/event create title=Quiz", as_="Emma", roles="organiser")).startswith(
        "When does the event start?")


def test_every_field_of_every_command_and_form_has_its_own_question() -> None:
    modules = ["bot.account", "bot.builtin", "bot.reminders", "cogs.ping",
               *(f"cogs.{path.name}" for path in sorted((ROOT / "cogs").iterdir()) if (path / "__init__.py").exists())]
    cogs = [load_cog(module) for module in modules]
    assert {"event", "tutor", "feedback", "meeting", "member", "mentor", "announce"} <= {c.name for c in cogs}
    specs = [spec for cog in cogs for spec in (*cog.commands, *cog.forms.values())]
    missing = [f"{spec.cog.name} {spec.name} {param.name}" for spec in specs for param in spec.params
               if param.param.question is None]
    assert missing == []


# ------------------------------------------------------------------------------------------ lists


async def test_who_may_use_a_command_is_one_list_with_and(bot: ConsoleBot) -> None:
    refused = texts(await bot.say("/event create", as_="Sanni"))
    assert refused == "Komento /event create on vain näiden käytössä: hallitus ja paikallistoimijat."
    await bot.say("/language en")
    assert texts(await bot.say("/event create")) == "Only the board and organisers can use /event create."


async def test_help_for_a_command_someone_may_not_use_says_who_may(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/help event create", as_="Sanni"))
    assert out == "Komento /event create on vain näiden käytössä: hallitus ja paikallistoimijat."
    assert "Tuntematon" not in out
    assert "otsikko=" in texts(await bot.say("/help event create", as_="Olli", roles="organiser"))


async def test_a_wrong_choice_lists_the_readers_labels_with_or(bot: ConsoleBot) -> None:
    await bot.say("/tutor request", as_="Sanni", where="dm")
    out = texts(await bot.say("kjh"))
    assert "Opiskelutaidot, Opintojen aloitus, Verkkotyökalut, Hyvinvointi tai Muu" in out
    assert "study_skills" not in out and "starting" not in out


# ------------------------------------------------------------------------------------------ times


async def test_countdown_says_minutes_hours_or_days_never_zero(bot: ConsoleBot) -> None:
    assert "30 minuutin päästä" in texts(await bot.say("/countdown 30 min päästä", as_="Sanni"))
    assert "1 tunnin päästä" in texts(await bot.say("/countdown 1 tunnin päästä"))
    assert "3 päivän päästä" in texts(await bot.say("/countdown 3 päivän päästä"))
    assert "0 " not in texts(await bot.say("/countdown 1 min päästä"))
    await bot.say("/language en")
    assert "in 1 hour." in texts(await bot.say("/countdown in 1 hour"))
    assert "in 2 days." in texts(await bot.say("/countdown in 50 hours"))


async def test_a_time_in_the_past_and_an_unreadable_one_are_explained(bot: ConsoleBot) -> None:
    past = texts(await bot.say("/countdown 25.11. klo 9", as_="Sanni"))
    assert past == "”Milloin”: ajankohta on jo mennyt (ke 25.11. klo 9.00). Anna tuleva ajankohta."
    unread = texts(await bot.say("/countdown 31.2."))
    assert unread == ("”Milloin”: en tunnistanut ajankohtaa ”31.2.”. Kirjoita esim. ”pe 4.12. klo 18” tai "
                      "”huomenna klo 18”.")
    await bot.say("/language en")
    english = texts(await bot.say("/countdown 31.2."))
    assert english == ("“When”: I could not read the time “31.2.”. Write for example “Fri 4 Dec 18:00” or "
                       "“tomorrow 18:00”.")
    # The example a person is given reads as what it says.
    assert texts(await bot.say("/countdown Fri 4 Dec 18:00")) == "Friday 4 December at 18:00 is in 8 days."


async def test_an_expired_question_says_to_start_again(bot: ConsoleBot) -> None:
    await bot.say("/countdown", as_="Sanni", where="dm")
    await bot.wait(bot.app.config.bot.prompt_timeout_seconds + 60)
    assert texts(await bot.say("huomenna klo 14")) == "Kysymys vanhentui. Aloita komento alusta."


async def test_quiet_hours_typed_the_finnish_way_are_read_and_shown_with_a_dash(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/settings quiet=klo 22-8", as_="Sanni", where="dm"))
    assert "Kieli" not in out.splitlines()[0]  # the error used to name the language field
    assert "Hiljaiset tunnit (kiireettömät viestit odottavat): 22.00–8.00" in out
    await bot.say("/language en")
    assert "22:00–08:00" in texts(await bot.say("/settings"))


async def test_bad_quiet_hours_name_their_field_and_change_nothing(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/settings quiet=klo 25-8", as_="Sanni", where="dm"))
    assert out.startswith("”Hiljaiset tunnit”: en tunnistanut ”klo 25-8”.")
    assert "Milloin kiireettömät viestit odottavat" in out  # asked again
    await bot.say("/peru")
    assert "Hiljaiset tunnit (kiireettömät viestit odottavat): pois käytöstä" in texts(await bot.say("/settings"))


async def test_an_event_is_one_line_alike_in_the_list_and_the_digest(bot: ConsoleBot) -> None:
    await organiser(bot, '/event create title=Quiz start="1.12. klo 9" where=helsinki description=x')
    listed = texts(await bot.say("/event list", as_="Sanni"))
    line = "ti 1.12. klo 9.00 · Quiz (#1) · Helsinki"
    assert line in listed.splitlines()
    await bot.wait("91h")  # Monday 30.11. 09:00 in Helsinki: the weekly digest
    [digest] = [p for p in bot.sent_to("#announcements") if "Tämän viikon tapahtumat" in p.text]
    assert line in digest.text.splitlines()


# ------------------------------------------------------------------------------------------ console


def test_the_consoles_first_line_tells_how_to_switch_to_english(tmp_path: Path) -> None:
    # The example config without its web server (port 8080 may be taken while tests run in parallel).
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8").replace(
        "[web]\nenabled = true", "[web]\nenabled = false"), encoding="utf-8")
    result = run("console", "--config", str(config), "--data", str(tmp_path / "data"), stdin="/ping\n")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert "/help" in first and "In English: /language en" in first


# ------------------------------------------------------------------------------------------ catalogues

# One term each in the Finnish catalogues: the variant people kept meeting, and why it is banned.
BANNED = {
    r"\bnap(p|e|i)": "“painike”, not “nappi”",
    r"linkkikoodi|linkityskoodi|yhdistyskoodi|liitoskoodi": "“yhdistämiskoodi” for /link's code",
    r"järjestäj": "the union's own word for the role: “paikallistoimija” (DESIGN.md, config's role name)",
    "\u201c": "Finnish quotes are ”…”, not “…”",
    r"(?<![A-Za-z])\"[^\"{}]+\"": "Finnish quotes are ”…”, not \"…\"",
    r"klo \d{1,2}:\d\d|klo 0\d": "Finnish times: “klo 9.00”",
}


def finnish_messages() -> list[tuple[str, str, str]]:
    found = []
    for directory in catalogue_dirs(ROOT):
        for path in sorted((directory / "fi" / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as handle:
                for message in read_po(handle):
                    if not message.id:
                        continue
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    strings = [message.string] if isinstance(message.string, str) else list(message.string)
                    found += [(path.name, msgid, text) for text in strings if text]
    return found


@pytest.mark.parametrize("pattern", sorted(BANNED))
def test_finnish_catalogues_use_one_term_each(pattern: str) -> None:
    offending = [f"{name}: {text!r}" for name, _msgid, text in finnish_messages() if re.search(pattern, text, re.I)]
    assert offending == [], BANNED[pattern]


def test_a_prompts_cancel_is_peruuta_and_an_events_is_peru_tapahtuma() -> None:
    translated = {msgid: text for _name, msgid, text in finnish_messages()}
    assert translated["Cancel"] == "Peruuta"
    assert translated["Cancel the event"] == "Peru tapahtuma"
