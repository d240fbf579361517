"""What the events cog stores about a person, for /mydata, /forgetme and /link."""

from __future__ import annotations

from typing import Any

from bot.context import ServiceContext
from cogs.events.common import cog, queries
from cogs.events.rsvp import fill_places, offer_key, offers_of, schedule_offer_expiry


@cog.export_person
async def export_person(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
    return await queries(ctx).export_person(person_id)


@cog.forget_person
async def forget_person(ctx: ServiceContext, person_id: int) -> None:
    """RSVPs, waiting-list places and feedback go; events they created stay, without an organiser."""
    for event_id in await queries(ctx).forget_person(person_id):
        await ctx.unschedule(offers_of(event_id, person_id))
        event = await queries(ctx).get(event_id)
        if event is not None:
            await fill_places(ctx, event)  # a place they held passes to the waiting list
            await ctx.changed("event", event_id)


@cog.merge_person
async def merge_person(ctx: ServiceContext, keep_id: int, gone_id: int) -> None:
    """One answer per event stays (a held place first, then the earlier one); a place let go is offered to
    the waiting list, and an offer the merged person held keeps running, now as the kept person's."""
    merged = await queries(ctx).merge_people(keep_id, gone_id)
    for event_id, person_id, occurrence in merged.dropped_offers:
        await ctx.unschedule(offer_key(event_id, person_id, occurrence))
    for event_id, occurrence, expires in merged.moved_offers:
        await ctx.unschedule(offer_key(event_id, gone_id, occurrence))
        await schedule_offer_expiry(ctx, event_id, keep_id, occurrence, expires)
    for event_id in merged.freed:
        event = await queries(ctx).get(event_id)
        if event is not None:
            await fill_places(ctx, event)
    for event_id in merged.touched:
        await ctx.changed("event", event_id)
