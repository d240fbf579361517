"""/event create, list, show and mine: creating events and finding them."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

from bot.commands import Button, Param, Reply
from bot.context import Context
from bot.i18n import Lines, Text, When, _
from bot.pager import Line, paged
from cogs.events.cards import render_card, repeat_text
from cogs.events.common import (
    CAPACITY,
    DESCRIPTION,
    END,
    EVENT,
    LANGUAGE,
    LINK,
    ONLINE,
    REPEAT,
    REPEAT_WEEKS,
    START,
    TITLE,
    UNTIL,
    WHERE,
    announce_to,
    cog,
    current_next,
    get_event,
    queries,
    settings,
    upcoming_start,
    where_text,
)
from cogs.events.schedule import schedule_event
from cogs.events.storage import Event
from cogs.events.validate import Timing, check_place

NO_FILTER = "-"  # in a page button's action id: "no filter given"


@cog.command(_("Create an event"), roles={"organiser", "board"})
async def create(
    ctx: Context,
    title: Annotated[str, TITLE],
    start: Annotated[datetime, START],
    where: Annotated[str, WHERE],
    description: Annotated[str, DESCRIPTION],
    end: Annotated[datetime | None, END] = None,
    link: Annotated[str | None, LINK] = None,
    capacity: Annotated[int | None, CAPACITY] = None,
    language: Annotated[str | None, LANGUAGE] = None,
    repeat: Annotated[str | None, REPEAT] = None,
    until: Annotated[datetime | None, UNTIL] = None,
) -> Reply:
    zone = ctx.config.community.timezone
    weeks = REPEAT_WEEKS[repeat or "none"]
    timing = Timing(start, end, weeks, until.astimezone(ctx.config.tz).date() if until and weeks else None, zone)
    timing.check(ctx.now())
    check_place(where, link)
    series_end_at = timing.series_end
    # One transaction: an event is stored with its reminders and announcements, or not at all.
    async with ctx.db.transaction():
        event_id = await queries(ctx).create(
            title=title, description=description, starts_at=start, ends_at=end,
            campus=None if where == ONLINE else where, link=link, capacity=capacity, language=language,
            repeat_weeks=weeks, repeat_until=timing.until.isoformat() if timing.until else None, timezone=zone,
            series_end_at=series_end_at, organiser_id=ctx.person.id, now=ctx.now(),
        )
        event = await get_event(ctx, event_id)
        await schedule_event(ctx, event)
        for destination in announce_to(ctx, event):
            await ctx.post(destination, shows=("event", event_id))
    return Reply(_("Event #{id} {title} created and announced.", id=event_id, title=title), private=True)


def event_buttons(event: Event) -> list[Button]:
    """One tap from a list line (a DM included): the card, or "going" straight away."""
    return [Button(_("Show #{id}", id=event.id), cog.action_id("show", event.id)),
            Button(_("Going"), cog.action_id("rsvp", event.id, "yes"), style="success")]


def _line(ctx: Context, event: Event) -> Lines:
    return Lines(f"#{event.id} {event.title}", When(upcoming_start(ctx, event), "short"), where_text(ctx, event),
                 repeat_text(event), sep=" · ")


async def event_list(ctx: Context, where: str | None, language: str | None, page: int, *,
                     edit: bool = False) -> Reply:
    # Sorted, filtered and paged in SQL on the stored next occurrence: a page costs the same at 10 events as
    # at 10,000.
    await current_next(ctx)
    filters = (where or NO_FILTER, language or NO_FILTER)

    async def fetch(offset: int, limit: int) -> list[Line]:
        events = await queries(ctx).listed(where, language, offset, limit)
        return [Line(_line(ctx, e), event_buttons(e)) for e in events]

    return await paged(await queries(ctx).listed_count(where, language), fetch, page=page,
                       size=int(settings(ctx)["page_size"]),
                       turn=lambda number: cog.action_id("page", number, *filters), title=_("Upcoming events"),
                       empty=_("No upcoming events match.") if (where or language) else _("No upcoming events."),
                       edit=edit)


@cog.command(_("Upcoming events"), name="list")
async def list_(
    ctx: Context,
    where: Annotated[str | None, WHERE] = None,
    language: Annotated[str | None, LANGUAGE] = None,
    page: Annotated[int | None, Param(_("Page"), min=1, names={"fi": "sivu"})] = None,
) -> Reply:
    return await event_list(ctx, where, language, page or 1)


@cog.action("page")
async def page_button(ctx: Context, page: int, where: str, language: str) -> Reply:
    return await event_list(ctx, None if where == NO_FILTER else where, None if language == NO_FILTER else language,
                            page, edit=True)


@cog.command(_("Show one event with its RSVP buttons"))
async def show(ctx: Context, event: Annotated[int, EVENT]) -> Reply:
    found = await get_event(ctx, event)
    return dataclasses.replace(await render_card(ctx, found), shows=("event", found.id))


@cog.action("show")
async def show_button(ctx: Context, event: int) -> Reply:
    """A line's button in /event list: the card, as /event show gives it (to the presser alone in a group)."""
    return await show(ctx, event)


@cog.command(_("The events I'm going to"))
async def mine(ctx: Context, page: Annotated[int | None, Param(_("Page"), min=1, names={"fi": "sivu"})] = None
               ) -> Reply:
    return await my_events(ctx, page or 1)


@cog.action("mine")
async def mine_page(ctx: Context, page: int) -> Reply:
    return await my_events(ctx, page, edit=True)


async def my_events(ctx: Context, page: int, *, edit: bool = False) -> Reply:
    await current_next(ctx)

    async def fetch(offset: int, limit: int) -> list[Text]:
        lines: list[Text] = []
        for event, answer in await queries(ctx).mine_page(ctx.person.id, offset, limit):
            status: Text | None = None
            if answer == "waiting":
                place = await queries(ctx).waiting_position(event.id, ctx.person.id)
                status = _("waiting list, place {place}", place=place)
            elif answer == "offered":
                status = _("a place is offered to you: see my message")
            link = event.link if answer == "yes" else None
            lines.append(Lines(_line(ctx, event), status, link, sep=" · "))
        return lines

    return await paged(await queries(ctx).mine_count(ctx.person.id), fetch, page=page,
                       size=int(settings(ctx)["page_size"]), turn=lambda number: cog.action_id("mine", number),
                       title=_("Events you're going to"),
                       empty=_("You haven't said you're going to any upcoming event. /event list shows them."),
                       edit=edit, private=True)
