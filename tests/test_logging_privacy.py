"""At every log level, nothing about people reaches the log: no message text, name, platform id of a person,
/link code, token or secret key (issue 18, item 12).

Each test logs at DEBUG through `configure_logging` (what `humako-bot -v` does) while a whole scenario runs
on a frontend, with distinctive texts, names and ids, then searches everything logged for them.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest

from bot.app import Application
from bot.clock import Clock
from bot.commands import Cog, Param, Reply
from bot.context import Context
from bot.core import Core
from bot.frontends.console import ConsoleFrontend
from bot.logs import THIRD_PARTY, WITHHELD, Privacy, configure_logging
from tests.fakes.discord_server import FakeMember, FakeUser
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import TEST_NOW, ConsoleBot
from tests.harness import test_config as example_config
from tests.test_live_cross_platform import TwoPlatforms

TEXT = "Salakirjoitus-Qx7Kv"  # what people type
NAME = "Zeppelinia Vrrt"
OTHER_NAME = "Kumquatella Pffr"
TELEGRAM_ID = 7310042917
DISCORD_ID = 613000000000777001
SECRET_KEY = "kissa-avain-9f8e7d6c5b4a"
CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{8}\b")  # bot.account's link code alphabet

demo = Cog("leaky", "Privacy test commands")


@demo.command("Fail on what was typed")
async def boom(ctx: Context, text: Annotated[str, Param("Text")]) -> Reply:
    raise ValueError(f"cannot read {text!r}")  # an exception message quoting user input


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.privacy = Privacy()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def assert_clean(self, *private: object) -> None:
        assert self.text, "nothing was logged: the capture is broken"
        leaked = [str(p) for p in private if str(p) in self.text]
        assert leaked == [], f"logged: {leaked}\n{self.text[-3000:]}"


@pytest.fixture
def debug_log() -> Iterator[Captured]:
    """`humako-bot -v`: DEBUG through configure_logging into a buffer; levels and handlers restored after."""
    captured = Captured()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *THIRD_PARTY)}
    handler = configure_logging(logging.DEBUG, [SECRET_KEY], stream=captured.stream)
    [captured.privacy] = [f for f in handler.filters if isinstance(f, Privacy)]
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def link_code(text: str) -> str:
    found = CODE.search(text)
    assert found is not None, text
    return found.group(0)


async def test_console_scenario_logs_nothing_about_people(tmp_path: Path, debug_log: Captured) -> None:
    config = example_config(cogs=["ping", "events"])
    config = dataclasses.replace(config, secrets=dataclasses.replace(config.secrets, secret_key=SECRET_KEY))
    app = Application(config, tmp_path, clock=Clock(frozen_at=TEST_NOW))
    app.cogs.append(demo)
    app.core = Core(app, app.cogs)
    output = io.StringIO()
    console = ConsoleFrontend(app, out=output)
    app.add_frontend(console)
    await app.start()
    bot = ConsoleBot(app, console, output)
    try:
        await bot.say(f"/ping {TEXT}", as_=NAME)
        code = link_code("\n".join(p.text for p in await bot.say("/link")))
        assert "Yhdistetty" in "\n".join(p.text for p in await bot.say(f"/link {code}", as_=OTHER_NAME))
        apology = "\n".join(p.text for p in await bot.say(f"/leaky boom {TEXT}"))
        assert "Minulla tapahtui virhe" in apology or "Sorry" in apology
        await bot.say(f'/event create title={TEXT} start="4.12. klo 18" where=online', as_=NAME, roles="organiser")
        await app.settle()
    finally:
        await app.stop()
    assert "command /leaky boom failed" in debug_log.text and "ValueError" in debug_log.text
    assert WITHHELD in debug_log.text  # the traceback is there, without what was typed
    debug_log.assert_clean(TEXT, NAME, OTHER_NAME, code, SECRET_KEY)


async def test_telegram_and_discord_scenario_logs_nothing_about_people(tmp_path: Path,
                                                                        debug_log: Captured) -> None:
    async with FakeTelegram() as tg:
        rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0)
        debug_log.privacy.secrets += [tg.token, rig.dc.token]  # what __main__ passes: the real tokens
        try:
            sanni = tg.user(TELEGRAM_ID, NAME, language_code="fi")
            await rig.tg_say(sanni, f"/ping {TEXT}")
            assert TEXT in (tg.last_bot_message(sanni.id).text or "")

            user = FakeUser(DISCORD_ID, "kumquatella", global_name=OTHER_NAME)
            rig.dc.users[user.id] = user
            rig.dc.guild.members.append(FakeMember(user, []))
            pinged = await rig.dc.slash("ping", {"message": TEXT}, user_id=DISCORD_ID)
            assert TEXT in (await pinged.response()).json["data"]["content"]
            linking = await rig.dc.slash("link", user_id=DISCORD_ID)
            code = link_code((await linking.response()).json["data"]["content"])
            await rig.discord.wait_handled(linking.id)
            await rig.tg_say(sanni, f"/link {code}")
            assert "Linked" in (tg.last_bot_message(sanni.id).text or "") or "Yhdistetty" in (
                tg.last_bot_message(sanni.id).text or "")
            await rig.announce(title=TEXT)
            card = rig.tg_card(title=TEXT)
            rig.tg_press(sanni, card, "yes")
            await rig.settle()
        finally:
            await rig.stop()
    assert "started: cogs" in debug_log.text
    debug_log.assert_clean(TEXT, NAME, OTHER_NAME, TELEGRAM_ID, DISCORD_ID, code, tg.token, rig.dc.token)


def test_third_party_records_below_warning_are_dropped_even_if_a_level_is_reset() -> None:
    privacy = Privacy()
    update = logging.LogRecord("telegram.ext.ExtBot", logging.DEBUG, __file__, 1, "update %s", (TEXT,), None)
    ours = logging.LogRecord("bot.outbox", logging.DEBUG, __file__, 1, "row %s", (7,), None)
    problem = logging.LogRecord("discord.client", logging.WARNING, __file__, 1, "gateway closed", (), None)
    assert [privacy.filter(r) for r in (update, ours, problem)] == [False, True, True]


def test_a_secret_printed_by_any_library_is_redacted() -> None:
    record = logging.LogRecord("somelib", logging.INFO, __file__, 1, "POST https://api/bot%s/getMe",
                               ("123456789:AAF-secret",), None)
    Privacy(["123456789:AAF-secret", None, ""]).filter(record)
    assert record.getMessage() == "POST https://api/bot***/getMe"
    try:
        raise ConnectionError("https://api/bot123456789:AAF-secret/getMe refused")
    except ConnectionError:
        failed = logging.LogRecord("somelib", logging.ERROR, __file__, 1, "request failed", (), sys.exc_info())
    Privacy(["123456789:AAF-secret"]).filter(failed)
    assert failed.exc_text is not None and "AAF-secret" not in failed.exc_text and "bot***" in failed.exc_text
    assert "refused" in failed.exc_text  # a network error's message says what went wrong: it is kept


def test_exception_messages_that_may_quote_input_are_withheld_in_tracebacks() -> None:
    try:
        try:
            int(TEXT)
        except ValueError as error:
            raise KeyError(NAME) from error
    except KeyError:
        record = logging.LogRecord("bot.core", logging.ERROR, __file__, 1, "command failed", (), sys.exc_info())
    Privacy().filter(record)
    assert record.exc_text is not None
    assert TEXT not in record.exc_text and NAME not in record.exc_text
    assert "ValueError: " + WITHHELD in record.exc_text and "KeyError: " + WITHHELD in record.exc_text
    assert "direct cause" in record.exc_text and "int(TEXT)" in record.exc_text  # frames and source lines stay
