"""What the tutoring cog stores about a person, for /mydata, /forgetme and /link."""

from __future__ import annotations

from typing import Any

from bot.context import ServiceContext
from cogs.tutoring import schedule
from cogs.tutoring.cards import refresh
from cogs.tutoring.common import cog, queries
from cogs.tutoring.requests import close


@cog.export_person
async def export_person(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
    return await queries(ctx).export_person(person_id)


@cog.forget_person
async def forget_person(ctx: ServiceContext, person_id: int) -> None:
    """The student's open requests are cancelled and every request of theirs anonymised (a record that it
    existed stays for the stats); a tutor's name comes off the requests they helped with."""
    before = {r.id: r for r in await queries(ctx).of_person(person_id)}
    for request in before.values():
        if request.student_id == person_id:
            await close(ctx, request, "cancelled", "student")
    touched = await queries(ctx).forget_person(person_id)
    for request_id in touched:
        found = await queries(ctx).get(request_id)
        if found is not None and found.state == "claimed" and found.tutor_id is None:
            # Their tutor is gone: back to the queue, so that nobody waits unseen.
            await queries(ctx).requeue(request_id)
            await ctx.unschedule(schedule.key(request_id, ""))
            if (await queries(ctx).get(request_id) or found).state == "open":
                await schedule.unclaimed(ctx, request_id, ctx.now())
            else:
                await schedule.waiting_on_tutor(ctx, request_id)
        await refresh(ctx, request_id, queue_moved=True)


@cog.merge_person
async def merge_person(ctx: ServiceContext, keep_id: int, gone_id: int) -> None:
    await queries(ctx).merge_people(keep_id, gone_id)
