"""What the events cog stores about a person, for /mydata and /forgetme."""

from __future__ import annotations

from typing import Any

from bot.context import ServiceContext
from cogs.events.common import cog, queries
from cogs.events.rsvp import fill_places, offer_key


@cog.export_person
async def export_person(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
    return await queries(ctx).export_person(person_id)


@cog.forget_person
async def forget_person(ctx: ServiceContext, person_id: int) -> None:
    """RSVPs, waiting-list places and feedback go; events they created stay, without an organiser."""
    for event_id in await queries(ctx).forget_person(person_id):
        await ctx.unschedule(offer_key(event_id, person_id))
        event = await queries(ctx).get(event_id)
        if event is not None:
            await fill_places(ctx, event)  # a place they held passes to the waiting list
            await ctx.changed("event", event_id)
