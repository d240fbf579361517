"""/event create, list, show and mine: creating events and finding them."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

from bot.commands import Button, Param, Reply
from bot.context import Context
from bot.i18n import Lines, Text, _
from bot.pager import Line, paged
from cogs.events.cards import event_line, render_card
from cogs.events.common import (
    CAPACITY,
    DESCRIPTION,
    DESCRIPTION_EN,
    END,
    EVENT,
    FEEDBACK,
    LANGUAGE,
    LINK,
    REPEAT,
    START,
    TITLE,
    TITLE_EN,
    UNTIL,
    WHERE,
    cog,
    current_next,
    get_event,
    queries,
    settings,
    upcoming_start,
)
from cogs.events.drafts import NO_LONGER_OPEN, Draft, preview, publish, take
from cogs.events.storage import Event
from cogs.events.times import every_words, going_every_time, my_times

NO_FILTER = "-"  # in a page button's action id: "no filter given"


@cog.command(_("Create an event"), roles={"organiser", "board"})
async def create(
    ctx: Context,
    title: Annotated[str, TITLE],
    start: Annotated[datetime, START],
    where: Annotated[str, WHERE],
    description: Annotated[str, DESCRIPTION],
    title_en: Annotated[str | None, TITLE_EN] = None,
    description_en: Annotated[str | None, DESCRIPTION_EN] = None,
    end: Annotated[datetime | None, END] = None,
    link: Annotated[str | None, LINK] = None,
    capacity: Annotated[int | None, CAPACITY] = None,
    language: Annotated[str | None, LANGUAGE] = None,
    repeat: Annotated[str | None, REPEAT] = None,
    until: Annotated[datetime | None, UNTIL] = None,
    feedback: Annotated[str | None, FEEDBACK] = None,
) -> Reply:
    """Checked, then previewed with Publish / Edit / Discard (drafts.py); `preview = false` announces at once."""
    draft = Draft(title, start, where, description, title_en, description_en, end, link, capacity, language, repeat,
                  until, feedback)
    draft.check(ctx)
    if settings(ctx)["preview"]:
        return await preview(ctx, draft)
    event_id = await publish(ctx, draft)
    return Reply(_("Event #{id} {title} created and announced.", id=event_id, title=draft.name), private=True)


@cog.action("publish", owner_only=True)
async def publish_button(ctx: Context, draft_id: int) -> Reply:
    row = await queries(ctx).draft(draft_id)
    if row is None:
        return Reply(NO_LONGER_OPEN, private=True, edit=True)
    draft = Draft.from_json(row["fields"])
    event_id = await publish(ctx, draft, draft_id)
    return Reply(_("Event #{id} {title} created and announced.", id=event_id, title=draft.name), private=True,
                 edit=True)


@cog.action("redo", owner_only=True)
async def edit_button(ctx: Context, draft_id: int) -> Reply:
    """The form again, filled in with the draft's answers; submitting it makes a new preview."""
    draft = await take(ctx, draft_id)
    if draft is None:
        return Reply(NO_LONGER_OPEN, private=True, edit=True)
    return await ctx.ask(create, {}, every=True, prefill=draft.typed(ctx, ctx.language))


@cog.action("discard", owner_only=True)
async def discard_button(ctx: Context, draft_id: int) -> Reply:
    draft = await take(ctx, draft_id)
    if draft is None:
        return Reply(NO_LONGER_OPEN, private=True, edit=True)
    return Reply(_("Discarded: {title} was not announced.", title=draft.name), private=True, edit=True)


def event_buttons(event: Event) -> list[Button]:
    """One tap from a list line (a DM included): the card, or "going" straight away."""
    return [Button(_("Show #{id}", id=event.id), cog.action_id("show", event.id)),
            Button(_("Going"), cog.action_id("rsvp", event.id, "yes"), style="success")]




async def event_list(ctx: Context, where: str | None, language: str | None, page: int, *,
                     edit: bool = False) -> Reply:
    # Sorted, filtered and paged in SQL on the stored next occurrence, the count kept between writes: a page
    # costs the same at 10 events as at 10,000 (one read of the state, one of the page).
    state = await queries(ctx).list_state(where, language, ctx.now())
    if state.due:
        await current_next(ctx)
    total = state.kept if state.kept is not None and not state.due else \
        await queries(ctx).listed_count(where, language)
    filters = (where or NO_FILTER, language or NO_FILTER)

    async def fetch(offset: int, limit: int) -> list[Line]:
        events = await queries(ctx).listed(where, language, offset, limit)
        return [Line(event_line(ctx, upcoming_start(ctx, e), e), event_buttons(e)) for e in events]

    return await paged(total, fetch, page=page,
                       size=int(settings(ctx)["page_size"]),
                       turn=lambda number: cog.action_id("page", number, *filters), title=_("Upcoming events"),
                       empty=_("No upcoming events match.") if (where or language) else _("No upcoming events."),
                       edit=edit)


@cog.command(_("Upcoming events"), name="list")
async def list_(
    ctx: Context,
    where: Annotated[str | None, WHERE] = None,
    language: Annotated[str | None, LANGUAGE] = None,
    page: Annotated[int | None, Param(_("Page"), question=_("Which page?"), min=1, names={"fi": "sivu"})] = None,
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
async def mine(ctx: Context, page: Annotated[int | None, Param(_("Page"), question=_("Which page?"), min=1,
                                                                names={"fi": "sivu"})] = None) -> Reply:
    return await my_events(ctx, page or 1)


@cog.action("mine")
async def mine_page(ctx: Context, page: int) -> Reply:
    return await my_events(ctx, page, edit=True)


async def my_events(ctx: Context, page: int, *, edit: bool = False) -> Reply:
    """A page of the person's events (paged in SQL by next occurrence); within an event, each time left they
    are going to (or waiting for) on its own line, and going every time as one line."""
    await current_next(ctx)

    async def fetch(offset: int, limit: int) -> list[Text]:
        lines: list[Text] = []
        for event, answers in await queries(ctx).mine_page(ctx.person.id, offset, limit):
            if going_every_time(ctx, event, answers):
                lines.append(Lines(event_line(ctx, upcoming_start(ctx, event), event),
                                   _("going {every}", every=every_words(event)), event.link, sep=" · "))
                continue
            for index, start, answer in my_times(ctx, event, answers):
                status: Text | None = None
                if answer == "waiting":
                    place = await queries(ctx).waiting_position(event.id, ctx.person.id, index)
                    status = _("waiting list, place {place}", place=place)
                elif answer == "offered":
                    status = _("a place is offered to you: see my message")
                link = event.link if answer == "yes" else None
                lines.append(Lines(event_line(ctx, start, event), status, link, sep=" · "))
        return lines

    return await paged(await queries(ctx).mine_count(ctx.person.id), fetch, page=page,
                       size=int(settings(ctx)["page_size"]), turn=lambda number: cog.action_id("mine", number),
                       title=_("Events you're going to"),
                       empty=_("You haven't said you're going to any upcoming event. /event list shows them."),
                       edit=edit, private=True)
