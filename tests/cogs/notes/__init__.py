"""A test-only cog package that owns its tables: `migrations/` (numbered from 0001, recorded as its own) and
`storage.py` (its queries), loaded with `ConsoleBot.start(..., extra_cogs=(notes_cog(),))`. It touches no core
file. `notes_cog()` makes a fresh cog per call, so a test can also load two that collide.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from bot.commands import Cog, Param, Reply
from bot.context import Context, ServiceContext
from bot.scheduler import Due
from tests.cogs.notes.storage import NoteQueries

MIGRATIONS = Path(__file__).with_name("migrations")


def notes_cog(name: str = "notes", *, prefix: str | None = None, task: str = "note_due") -> Cog:
    cog = Cog(name, "Notes (test)", prefix=prefix, migrations=MIGRATIONS)
    fired: list[str] = []
    cog.fired = fired  # type: ignore[attr-defined]

    def queries(ctx: ServiceContext) -> NoteQueries:
        return NoteQueries(ctx.db)

    @cog.command("Write a note", private=True)
    async def add(ctx: Context, text: Annotated[str, Param("The note", max_len=200)]) -> Reply:
        await queries(ctx).add(ctx.person.id, text, "mine", ctx.now())
        await ctx.schedule(task, ctx.now() + timedelta(hours=1), key=f"{cog.keys}:{ctx.person.id}:",
                           payload={"text": text})
        return Reply(f"Noted: {text}", private=True)

    @cog.command("Your notes", private=True)
    async def mine(ctx: Context) -> Reply:
        return Reply("\n".join(await queries(ctx).of_person(ctx.person.id)) or "No notes.", private=True)

    @cog.command("Schedule under another cog's key (refused)", private=True)
    async def poach(ctx: Context) -> Reply:
        await ctx.unschedule("ev:1:")
        return Reply("done")

    @cog.task(task)
    async def due(ctx: ServiceContext, due: Due) -> None:
        fired.append(due.payload["text"])

    @cog.export_person
    async def notes(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
        return {"notes": await queries(ctx).of_person(person_id)}

    @cog.export_person
    async def tags(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
        return {"tags": await queries(ctx).tags_of(person_id)}

    @cog.forget_person
    async def forget(ctx: ServiceContext, person_id: int) -> None:
        await queries(ctx).forget(person_id)

    return cog
