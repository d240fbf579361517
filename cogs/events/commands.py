"""/event create, list, show and mine: creating events and finding them."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

from bot.commands import Button, Param, Reply
from bot.context import Context
from bot.i18n import Lines, Text, _
from bot.pager import Line, pager
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
    ONLINE,
    REPEAT,
    START,
    TITLE,
    TITLE_EN,
    UNTIL,
    WHERE,
    cog,
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


def _matches(event: Event, where: str | None, language: str | None) -> bool:
    if where == ONLINE and not event.online:
        return False
    if where not in (None, ONLINE) and event.campus != where:
        return False
    # "Finnish" also lists bilingual events; events without a language match no language filter.
    return language is None or event.language == language or (language != "both" and event.language == "both")


async def event_list(ctx: Context, where: str | None, language: str | None, page: int, *,
                     edit: bool = False) -> Reply:
    events = [e for e in await queries(ctx).upcoming(ctx.now()) if _matches(e, where, language)]
    events.sort(key=lambda e: (upcoming_start(ctx, e), e.id))
    filters = (where or NO_FILTER, language or NO_FILTER)
    lines = [Line(event_line(ctx, upcoming_start(ctx, e), e), event_buttons(e)) for e in events]
    return pager(lines, page=page, size=int(settings(ctx)["page_size"]),
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
async def mine(ctx: Context) -> Reply:
    mine = await queries(ctx).mine(ctx.person.id, ctx.now())
    # Each time left they are going to (or waiting for) on its own line; going every time is one line.
    lines: list[tuple[datetime, int, Text]] = []
    for event, answers in mine:
        if going_every_time(ctx, event, answers):
            lines.append((upcoming_start(ctx, event), event.id,
                          Lines(event_line(ctx, upcoming_start(ctx, event), event),
                                _("going {every}", every=every_words(event)), event.link, sep=" · ")))
            continue
        for index, start, answer in my_times(ctx, event, answers):
            status: Text | None = None
            if answer == "waiting":
                place = await queries(ctx).waiting_position(event.id, ctx.person.id, index)
                status = _("waiting list, place {place}", place=place)
            elif answer == "offered":
                status = _("a place is offered to you: see my message")
            link = event.link if answer == "yes" else None
            lines.append((start, event.id, Lines(event_line(ctx, start, event), status, link, sep=" · ")))
    if not lines:
        return Reply(_("You haven't said you're going to any upcoming event. /event list shows them."),
                     private=True)
    lines.sort(key=lambda line: (line[0], line[1]))
    return Reply(Lines(*(text for _start, _id, text in lines)), title=_("Events you're going to"), private=True)
