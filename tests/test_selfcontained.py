"""Self-contained cogs (issue 19, 4): a cog package owns its tables, its registrations are its own (a duplicate is
refused at load), its schedule keys stay in its namespace, its roles are declared by it, and its per-person hooks
run in one transaction with every exporter heard."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from bot.commands import Cog, DeclarationError, Reply
from bot.context import Context, ServiceContext
from tests.cogs.notes import notes_cog
from tests.harness import ConsoleBot, texts

pytestmark = pytest.mark.asyncio


async def test_a_cog_package_brings_its_own_tables_and_queries(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, extra_cogs=(notes_cog(),))
    try:
        assert "Noted: kahvi" in texts(await bot.say("/notes add kahvi", as_="Olli", where="dm"))
        assert "kahvi" in texts(await bot.say("/notes mine"))
        rows = await bot.app.db.fetchall(
            "SELECT version, name FROM schema_migrations WHERE component = 'notes' ORDER BY version")
        assert [(r["version"], r["name"]) for r in rows] == [(1, "notes"), (2, "tags")]
        # Its task runs from its own row, its key in its own namespace.
        assert await bot.app.db.fetchval("SELECT key FROM scheduled WHERE task = 'note_due'") == "notes:1:"
        await bot.wait("1h")
        assert bot.app.cogs[-1].fired == ["kahvi"]  # type: ignore[attr-defined]
    finally:
        await bot.stop()


async def test_a_cog_that_is_not_enabled_creates_nothing(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    try:
        assert "test_notes" not in await bot.app.db.tables()
        assert await bot.app.db.fetchval("SELECT COUNT(*) FROM schema_migrations WHERE component = 'notes'") == 0
    finally:
        await bot.stop()


def _with(cog: Cog, **declare: str) -> Cog:
    async def handler(ctx: ServiceContext, *args: object) -> Reply:
        return Reply("x")

    if "task" in declare:
        cog.task(declare["task"])(handler)
    if "view" in declare:
        cog.view(declare["view"])(handler)
    if "deep_link" in declare:
        cog.deep_link(declare["deep_link"])(handler)
    return cog


@pytest.mark.parametrize(("second", "message"), [
    (lambda: notes_cog("other", task="note_due"), "task 'note_due' is declared by cogs 'notes' and 'other'"),
    (lambda: notes_cog("other", prefix="notes", task="other_due"), "action prefix 'notes'"),
    (lambda: notes_cog("notes", prefix="n2", task="other_due"), "cog 'notes'"),
    (lambda: _with(notes_cog("other", task="other_due"), view="event"), "view 'event' is declared by cogs 'event'"),
    (lambda: _with(notes_cog("other", task="ev_reminder")), "task 'ev_reminder' is declared by cogs 'event'"),
    (lambda: Cog("ping2", "Ping again", prefix="ev"), "action prefix 'ev'"),
], ids=["task", "prefix", "cog-name", "view", "task-of-events", "prefix-of-events"])
async def test_a_second_cog_claiming_a_name_is_refused_at_load(tmp_path: Path, second, message: str) -> None:
    with pytest.raises(DeclarationError, match=message):
        await ConsoleBot.start(tmp_path, extra_cogs=(notes_cog(), second()))


async def test_a_deep_link_claimed_twice_is_refused_at_load(tmp_path: Path) -> None:
    first, second = _with(notes_cog(), deep_link="note"), _with(notes_cog("other", task="x"), deep_link="note")
    with pytest.raises(DeclarationError, match="deep link 'note' is declared by cogs 'notes' and 'other'"):
        await ConsoleBot.start(tmp_path, extra_cogs=(first, second))


async def test_one_cog_declaring_a_name_twice_is_refused() -> None:
    cog = _with(notes_cog(), view="note")
    for declare in ({"task": "note_due"}, {"view": "note"}):
        with pytest.raises(DeclarationError, match="declared twice by cog 'notes'"):
            _with(cog, **declare)


async def test_schedule_keys_stay_in_their_cogs_namespace(tmp_path: Path) -> None:
    notes = notes_cog()
    bot = await ConsoleBot.start(tmp_path, extra_cogs=(notes,))
    try:
        events = next(c for c in bot.app.cogs if c.name == "event")
        await bot.say('/event create title=Quiz start="4.12. klo 18" where=helsinki description=x', as_="Olli",
                      roles="organiser", where="dm")
        pending = "SELECT COUNT(*) FROM scheduled WHERE status = 'pending' AND key LIKE 'ev:%'"
        before = await bot.app.db.fetchval(pending)
        assert before > 0
        ctx = ServiceContext(bot.app, notes)
        with pytest.raises(DeclarationError, match="outside its cog's namespace"):
            await ctx.unschedule("ev:1:")  # the events cog's rows are not the notes cog's to cancel
        with pytest.raises(DeclarationError, match="outside its cog's namespace"):
            await ctx.schedule("note_due", bot.app.clock.now(), key="ev:1:rem:24:0")
        with pytest.raises(DeclarationError, match="schedules task 'ev_reminder' of cog 'event'"):
            await ctx.schedule("ev_reminder", bot.app.clock.now(), key="ev:1:rem:24:0")
        assert await bot.app.db.fetchval(pending) == before  # nothing moved or cancelled
        assert await ServiceContext(bot.app, events).unschedule("ev:1:") == before  # its own cog may
        assert "ev_reminder" in bot.app.core.tasks and bot.app.core.tasks["note_due"].cog is notes
    finally:
        await bot.stop()


async def test_every_exporter_of_a_cog_is_in_mydata(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, extra_cogs=(notes_cog(),))
    try:
        await bot.say("/notes add kahvi", as_="Olli", where="dm")
        [out] = await bot.say("/mydata")
        data = json.loads(out.file_data["mydata.json"])
        assert data["features"]["notes"] == {"notes": ["kahvi"], "tags": ["mine"]}
    finally:
        await bot.stop()


async def test_forget_hooks_run_in_one_transaction_with_the_erasure(tmp_path: Path) -> None:
    broken = Cog("broken", "Fails to forget (test)")

    @broken.forget_person
    async def fail(ctx: ServiceContext, person_id: int) -> None:
        raise RuntimeError("the broken cog cannot forget")

    bot = await ConsoleBot.start(tmp_path, extra_cogs=(notes_cog(), broken))
    try:
        await bot.say("/notes add kahvi", as_="Olli", where="dm")
        await bot.say("/remind 2026-11-27 10:00 Hammaslääkäri")
        await bot.say("/forgetme")
        assert "jokin meni pieleen" in texts(await bot.click(1))  # the apology, nothing half done
    finally:
        await bot.stop()
    async with bot.stored() as db:
        # The notes cog's hook ran before the failure, but its deletion was rolled back with everything else.
        assert [tuple(r) for r in await db.fetchall("SELECT body FROM test_notes")] == [("kahvi",)]
        assert [tuple(r) for r in await db.fetchall("SELECT display_name FROM people")] == [("Olli",)]
        assert await db.fetchval("SELECT COUNT(*) FROM reminders") == 1


# ---------------------------------------------------------------------------------------------- roles


class Named:
    """A role's name in the reader's language, as a cog's `_()` gives it (no catalogue entry for a test cog)."""

    def __init__(self, **names: str) -> None:
        self.names = names

    def render(self, language: str) -> str:
        return self.names[language]


def roles_cog(role: str = "moderator", *, declare: bool = True) -> Cog:
    cog = Cog("modtest", "Roles (test)", grouped=False,
              roles={"moderator": Named(fi="moderaattorit", en="moderators")} if declare else None)

    @cog.command("Moderate", roles={role})
    async def moderate(ctx: Context) -> Reply:
        return Reply("moderated")

    return cog


async def test_a_role_a_cog_declares_is_named_in_the_readers_language(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, extra_cogs=(roles_cog(),))
    try:
        assert texts(await bot.say("/moderate", as_="Olli")) == "Komento /moderate on vain näille: moderaattorit."
        await bot.say("/language en")
        assert texts(await bot.say("/moderate")) == "Only moderators can use /moderate."
        assert texts(await bot.say("/moderate", as_="Mira", roles="moderator")) == "moderated"
    finally:
        await bot.stop()


async def test_a_role_defined_in_config_is_named_as_config_says(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path, extra_cogs=(roles_cog("tutor"),))  # [roles.tutor] name_fi = "tutorit"
    try:
        assert texts(await bot.say("/moderate", as_="Olli")) == "Komento /moderate on vain näille: tutorit."
    finally:
        await bot.stop()


async def test_an_unknown_role_used_by_a_command_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(DeclarationError, match=r"modtest moderate: unknown role 'moderatr' \(did you mean "
                                               r"'moderator'\?\)"):
        await ConsoleBot.start(tmp_path, extra_cogs=(roles_cog("moderatr"),))
    with pytest.raises(DeclarationError, match="unknown role 'moderator'"):  # used, but declared by nobody
        await ConsoleBot.start(tmp_path, extra_cogs=(roles_cog(declare=False),))


# ------------------------------------------------------------------------- where code may reach what

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA)\s")


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _is_storage(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return relative.startswith("storage/") or path.name == "storage.py"


async def test_all_sql_lives_in_storage_modules() -> None:
    found = []
    for path in _python_files("bot", "cogs"):
        relative = path.relative_to(ROOT).as_posix()
        if _is_storage(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                found.append(f"{relative}:{node.lineno}")
    assert found == []


async def test_cogs_reach_the_core_through_their_context_only() -> None:
    """`ctx.app` is the whole application: cogs (and the built-in ones) use what Context/ServiceContext offer."""
    cogs = [*_python_files("cogs", "tests/cogs"), *(ROOT / "bot" / f"{name}.py" for name in
                                                   ("builtin", "account", "reminders"))]
    found = []
    for path in cogs:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "app":
                found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert found == []


async def test_merge_hooks_run_in_one_transaction_with_the_merge(tmp_path: Path) -> None:
    from tests.personal_helpers import link_code

    broken = Cog("broken", "Fails to merge (test)")
    ran: list[str] = []

    @broken.merge_person
    async def fail(ctx: ServiceContext, keep: int, gone: int) -> None:
        await ctx.db.execute("UPDATE test_notes SET body = 'merged' WHERE person_id = ?", (gone,))
        ran.append("broken")
        raise RuntimeError("the broken cog cannot merge")

    bot = await ConsoleBot.start(tmp_path, extra_cogs=(notes_cog(), broken))
    try:
        await bot.say("/notes add kahvi", as_="olli_tg", where="dm")
        code = link_code(texts(await bot.say("/link", as_="Olli")))
        assert "jokin meni pieleen" in texts(await bot.say(f"/link {code}", as_="olli_tg"))
        assert ran == ["broken"]
    finally:
        await bot.stop()
    async with bot.stored() as db:  # nothing of the merge stayed
        assert [tuple(r) for r in await db.fetchall("SELECT body FROM test_notes")] == [("kahvi",)]
        assert await db.fetchval("SELECT COUNT(*) FROM people") == 2
        assert await db.fetchval("SELECT COUNT(*) FROM person_aliases") == 0
