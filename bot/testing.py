"""A test kit for cogs: the real application with the console frontend, a database in a temporary directory
and a frozen clock, driven the way people use it. It needs no test framework (pytest, unittest or a script):

    async with test_bot(cogs=["events"], config={"events": {"reminder_hours": [24]}}) as bot:
        out = await bot.say('/event create title=Quiz start="4.12. klo 18" where=online ...',
                            as_="Olli", roles="organiser")
        card = bot.sent_to("#announcements")[0]
        await bot.press("Tulen", message=card.number, as_="Sanni")
        await bot.wait("2h")  # reminders and jobs that fall due run

Everything goes through the same command path as Discord and Telegram (permissions, rate limits, parameter
checks, signed buttons). For a scenario that should hold on every frontend, write it against `Driver` and
run it with `ConsoleDriver` here and the Discord and Telegram drivers of tests/scenarios.

With HUMAKO_TEST_DATABASE_URL set to a PostgreSQL server's URL, every bot started on a data directory whose
config names no database (this kit's, the test rigs') gets a fresh PostgreSQL database there instead of its SQLite
file (storage/testdb.py); `release_test_databases()` after each test empties and recycles them (tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
import tomllib
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import bot.app
from bot.app import Application, load_cog
from bot.clock import Clock
from bot.commands import MAX_OPTIONS, Cog
from bot.config import REPO_ROOT, Config, config_from_tables
from bot.core import KEEP, SKIP, Core
from bot.frontends.console import ConsoleFrontend, Printed
from storage.db import Database
from storage.people import Person
from storage.testdb import URL_ENV, TestDatabases

__all__ = [
    "EXAMPLE_CONFIG", "TEST_NOW", "ConsoleBot", "ConsoleDriver", "Driver", "Printed", "Seen", "Who",
    "make_config", "release_test_databases", "test_bot", "text_of", "texts",
]

# Thursday 26 November 2026, 14:00 in Helsinki: the tests' "now".
TEST_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EXAMPLE_CONFIG = REPO_ROOT / "config.example.toml"


def _test_databases() -> TestDatabases | None:
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return None
    cogs = [load_cog(f"cogs.{folder.parent.name}") for folder in sorted((REPO_ROOT / "cogs").glob("*/migrations"))]
    return TestDatabases(url, [(cog.name, cog.migrations) for cog in cogs if cog.migrations is not None])


TEST_DATABASES = _test_databases()
if TEST_DATABASES is not None:
    bot.app.test_database = TEST_DATABASES.for_data_dir


async def release_test_databases() -> None:
    """After a test on PostgreSQL: its databases no bot uses any more are emptied for the next test."""
    if TEST_DATABASES is not None:
        await TEST_DATABASES.release()


def make_config(cogs: Iterable[str] | None = None, settings: Mapping[str, Mapping[str, Any]] | None = None, *,
                secret_key: str | None = None, **bot_settings: Any) -> Config:
    """config.example.toml with changes, validated like a real config file.

    `cogs`: the enabled cogs (module names under cogs/; default: the example's). `settings`: TOML tables
    merged over the example's, key by key (`{"events": {"reminder_hours": [24]}}`). `secret_key`: as
    HUMAKO_SECRET_KEY (a cog with `needs_secret=True` needs one). `bot_settings`: fields of `[bot]` set after
    validation (`command_rate=3`)."""
    tables: dict[str, Any] = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    if cogs is not None:
        enabled = list(cogs)
        for dropped in set(tables["bot"]["cogs"]) - set(enabled):  # its settings would be refused
            tables.pop(load_cog(f"cogs.{dropped}").section, None)
        tables["bot"] = {**tables["bot"], "cogs": enabled}
    # The example config turns the web server on at port 8080: a test asks for it (port 0) when it needs it.
    tables["web"] = {**tables.get("web", {}), "enabled": False}
    if "events" in tables:
        # Tests announce events at once unless they are about the preview (`{"events": {"preview": True}}`).
        tables["events"] = {**tables["events"], "preview": False}
    for name, table in (settings or {}).items():
        tables[name] = {**tables.get(name, {}), **table}
    env = {"HUMAKO_SECRET_KEY": secret_key} if secret_key is not None else {}
    config = config_from_tables(tables, env=env, source=EXAMPLE_CONFIG)
    if bot_settings:
        config = dataclasses.replace(config, bot=dataclasses.replace(config.bot, **bot_settings))
    return config


class ConsoleBot:
    """`await bot.say("/event list", as_="Olli")` drives the real command path through the console.

    Every method returns what the console printed because of it (`Printed`: its number, kind — reply, sent,
    edit, notice, info —, where it went, its text and buttons), after deliveries have settled."""

    def __init__(self, app: Application, console: ConsoleFrontend, output: io.StringIO) -> None:
        self.app = app
        self.console = console
        self.output = output

    @classmethod
    async def start(cls, data_dir: Path, config: Config | None = None, now: datetime = TEST_NOW,
                    extra_cogs: Iterable[Cog] = (), clock: Clock | None = None) -> ConsoleBot:
        """The application, started, with the console frontend; `extra_cogs` are cog objects (a test's own)
        loaded beside the configured ones, through the same registration; `clock`: one shared with another bot
        (several workers on one database), else a clock frozen at `now`."""
        app = Application(config or make_config(), data_dir, clock=clock or Clock(frozen_at=now))
        extra = list(extra_cogs)
        if extra:
            app.cogs += extra
            app.core = Core(app, app.cogs)
        output = io.StringIO()
        console = ConsoleFrontend(app, out=output)
        app.add_frontend(console)
        await app.start()
        return cls(app, console, output)

    async def stop(self) -> None:
        await self.app.stop()

    async def line(self, text: str) -> list[Printed]:
        """One console line as typed: a command, an answer, or a `:meta` line (see bot/frontends/console.py)."""
        return await self.console.handle_line(text)

    async def say(self, text: str, as_: str | None = None, roles: str | None = None,
                  where: str | None = None) -> list[Printed]:
        """Type `text` as person `as_` (created on first use) with `roles` ("organiser,board"), in their direct
        chat (`where="dm"`) or a destination's channel (`where="announcements"`); default: as and where the
        last line was."""
        if as_ is not None:
            await self.line(f":as {as_} {roles}" if roles is not None else f":as {as_}")
        if where is not None:
            await self.line(":dm" if where == "dm" else f":channel {where}")
        return [p for p in await self.line(text) if p.kind != "info" or p.text]

    async def click(self, index: int, message: int | None = None, as_: str | None = None) -> list[Printed]:
        """Press button `index` (1-based) of message number `message` (default: the last one with buttons)."""
        if as_ is not None:
            await self.line(f":as {as_}")
        suffix = f" #{message}" if message is not None else ""
        return await self.line(f":click {index}{suffix}")

    async def press(self, label: str, message: int | None = None, as_: str | None = None) -> list[Printed]:
        """Press the button whose label contains `label` on message `message` (default: the last with buttons)."""
        shown = self.message(message) if message is not None else next(
            (p for p in reversed(self.console.printed) if p.buttons and p.kind != "info"), None)
        if shown is None:
            raise LookupError("no message with buttons")
        index = next((i for i, (text, _action) in enumerate(shown.buttons, start=1) if label in text), None)
        if index is None:
            raise LookupError(f"no button {label!r} on message #{shown.number}: {shown.buttons}")
        return await self.click(index, message=shown.number, as_=as_)

    async def press_action(self, payload: str, *, owner: int | None = None, message: int | None = None,
                           as_: str | None = None) -> list[Printed]:
        """Press an action id the bot did not show (a genuine one: signed with the bot's key for `owner`, a
        person id, or for nobody as on a shared card), on message `message` (default: the last printed)."""
        if as_ is not None:
            await self.line(f":as {as_}")
        suffix = f" #{message}" if message is not None else ""
        return await self.line(f":press {self.app.core.signer.sign(payload, owner)}{suffix}")

    async def wait(self, seconds: str | float) -> list[Printed]:
        """Let bot time pass ("90s", "2h", "3d" or seconds): due reminders and jobs run, in order."""
        return await self.line(f":wait {seconds}")

    async def script(self, text: str) -> list[Printed]:
        """Several console lines, as in a `--script` file."""
        printed: list[Printed] = []
        for raw in text.strip().splitlines():
            printed += await self.line(raw)
        return printed

    def sent_to(self, where: str) -> list[Printed]:
        """What the bot sent or edited at `where`: "#announcements" (a destination) or "@olli" (a DM)."""
        return [p for p in self.console.printed if p.where == where and p.kind in ("sent", "edit")]

    def message(self, number: int) -> Printed:
        """Message `number` as it looks now (its latest edit)."""
        return self.console.messages[str(number)]

    async def person(self, name: str) -> Person:
        """The stored person a console name stands for (after they have typed something)."""
        found = [p for p in await self.app.people.find_by_name(name) if p.display_name.lower() == name.lower()]
        if len(found) != 1:
            raise LookupError(f"{len(found)} people called {name!r}")
        return found[0]

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a query on the bot's database: what a cog stored (and, for privacy tests, what it did not)."""
        return [dict(r) for r in await self.app.db.fetchall(sql, params)]

    @asynccontextmanager
    async def stored(self) -> AsyncIterator[Database]:
        """The database of this bot after `stop()`, opened again: what a restart would find."""
        db = await Database.open(self.app.database_path)
        try:
            yield db
        finally:
            await db.close()


@asynccontextmanager
async def test_bot(cogs: Iterable[str] | None = None, *, config: Mapping[str, Mapping[str, Any]] | Config | None = None,
                   now: datetime = TEST_NOW, extra_cogs: Iterable[Cog] = (), secret_key: str | None = None,
                   data_dir: Path | None = None) -> AsyncIterator[ConsoleBot]:
    """A started `ConsoleBot`, stopped (and its temporary data directory removed) on leaving the block.

    `cogs`: the enabled cogs by module name; `config`: TOML tables over the example config, or a whole Config;
    `now`: the frozen clock's start; `extra_cogs`: cog objects of the test itself; `data_dir`: keep the
    database there (a restart test starts a second bot on the same directory)."""
    built = config if isinstance(config, Config) else make_config(cogs, config, secret_key=secret_key)
    with tempfile.TemporaryDirectory(prefix="humako-test-") as scratch:
        bot = await ConsoleBot.start(data_dir or Path(scratch), built, now, extra_cogs)
        try:
            yield bot
        finally:
            await bot.stop()


test_bot.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, where a test module imports it
make_config.__test__ = False  # type: ignore[attr-defined]


def texts(printed: Iterable[Printed]) -> str:
    return "\n".join(p.text for p in printed)


# ------------------------------------------------------------------------------------------- scenarios
# One scenario suite for every frontend: a scenario says what people do ("Olli types /ping hello", "Sanni
# presses Going") and checks what they see, through a Driver. ConsoleDriver runs it in-process; the Telegram
# and Discord drivers (tests/scenarios) run the same scenario through the real libraries against fake servers.


@dataclass(frozen=True)
class Who:
    """A person in a scenario. Roles are given the frontend's way (console roles, Discord role ids...)."""

    name: str
    roles: frozenset[str] = frozenset()
    language: str = "fi"  # what the person's platform reports


@dataclass
class Seen:
    """A message as a person sees it now: text (title, body, fields as plain text) and button labels."""

    text: str
    buttons: list[str] = field(default_factory=list)
    handle: Any = None  # the driver's own reference, to press a button or re-read the message
    files: dict[str, bytes] = field(default_factory=dict)


class Driver(Protocol):
    async def say(self, who: Who, text: str, *, where: str | None = None) -> list[Seen]:
        """`who` types a command (in their DM, or in the chat of destination `where`); the replies they see."""

    async def press(self, who: Who, message: Seen, label: str) -> list[Seen]:
        """`who` presses the button labelled `label` (a substring) on `message`; what they see as a result."""

    async def current(self, message: Seen) -> Seen:
        """The message as it looks now (after edits)."""

    async def posted(self, destination: str) -> list[Seen]:
        """Messages the bot posted in a destination's chat, oldest first, as they look now."""

    async def dms(self, who: Who) -> list[Seen]:
        """Messages the bot sent to `who` on its own (not replies to a command), oldest first."""

    async def wait(self, seconds: float) -> None:
        """Let bot time pass: due reminders and jobs run."""

    async def refill(self, who: Who, asked: list[Seen], changes: Mapping[str, str]) -> list[Seen]:
        """Answer a form reopened with its answers (`asked`: what opened it): the fields named in `changes` (by
        parameter name) get those texts, every other keeps its answer (or stays empty). What the form ends with."""


async def refill_by_prompts(driver: Driver, app: Application, who: Who, asked: list[Seen],
                            changes: Mapping[str, str]) -> list[Seen]:
    """`Driver.refill` where a form is asked field by field (console, Telegram): the field asked is the core's
    open question; answered by a message, or its Keep (or Skip) button."""
    seen = asked
    for _step in range(3 * MAX_OPTIONS):
        open_ones = [p for p in app.core.pending.values() if p.asking is not None]
        if not open_ones:
            return seen
        name = open_ones[0].asking.name if open_ones[0].asking else ""
        if name in changes:
            seen = await driver.say(who, changes[name])
            continue
        label = (KEEP if name in open_ones[0].prefill else SKIP).render(who.language)
        question = next(s for s in reversed(seen) if any(label in b for b in s.buttons))
        seen = await driver.press(who, question, label)
    raise AssertionError("the form did not end")


def text_of(seen: list[Seen]) -> str:
    return "\n".join(s.text for s in seen)


def _seen(printed: Printed) -> Seen:
    return Seen(printed.text, [label for label, _ in printed.buttons], printed.number, dict(printed.file_data))


class ConsoleDriver:
    """The scenario driver for the console frontend."""

    def __init__(self, bot: ConsoleBot) -> None:
        self.bot = bot

    async def _become(self, who: Who) -> None:
        roles = ",".join(sorted(who.roles))
        await self.bot.line(f":as {who.name} {roles}".rstrip() if roles else f":as {who.name} ,")
        await self.bot.line(f":lang {who.language}")

    async def say(self, who: Who, text: str, *, where: str | None = None) -> list[Seen]:
        await self._become(who)
        await self.bot.line(f":channel {where}" if where else ":dm")
        return [_seen(p) for p in await self.bot.line(text) if p.kind in ("reply", "edit", "info") and p.text]

    async def press(self, who: Who, message: Seen, label: str) -> list[Seen]:
        await self._become(who)
        index = next(i for i, text in enumerate(message.buttons, start=1) if label in text)
        printed = await self.bot.click(index, message=message.handle)
        return [_seen(p) for p in printed if p.kind in ("reply", "edit", "info")]

    async def current(self, message: Seen) -> Seen:
        return _seen(self.bot.message(message.handle))

    async def posted(self, destination: str) -> list[Seen]:
        numbers = dict.fromkeys(p.number for p in self.bot.sent_to(f"#{destination}"))
        return [_seen(self.bot.message(n)) for n in numbers]

    async def dms(self, who: Who) -> list[Seen]:
        numbers = dict.fromkeys(p.number for p in self.bot.sent_to(f"@{who.name.lower()}"))
        return [_seen(self.bot.message(n)) for n in numbers]

    async def wait(self, seconds: float) -> None:
        await self.bot.wait(seconds)

    async def refill(self, who: Who, asked: list[Seen], changes: Mapping[str, str]) -> list[Seen]:
        await self._become(who)
        return await refill_by_prompts(self, self.bot.app, who, asked, changes)
