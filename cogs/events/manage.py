"""/event edit and /event cancel: the organiser who created an event, or the board.

People who said going or maybe (and those waiting) are told what changed; a cancel also unschedules the
event's reminders, feedback requests and open offers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from bot.commands import Button, Param, Reply, UserError
from bot.confirm import NO_ACTION
from bot.context import Context
from bot.i18n import Lines, Text, When, _, ngettext
from bot.timeparse import local_to_utc
from cogs.events.cards import language_label, when_text
from cogs.events.common import (
    CAPACITY,
    DESCRIPTION,
    DESCRIPTION_EN,
    EVENT,
    FEEDBACK,
    LANGUAGE,
    LINK,
    NEW_END,
    NEW_START,
    ONLINE,
    TITLE,
    TITLE_EN,
    UNTIL,
    WHERE,
    check_can_manage,
    cog,
    get_event,
    open_event,
    queries,
    where_text,
)
from cogs.events.recurrence import duration, occurrences, remaining
from cogs.events.rsvp import fill_places, offer_key
from cogs.events.schedule import schedule_event
from cogs.events.storage import INTERESTED, Event
from cogs.events.validate import Timing, check_place


def _changes(ctx: Context, old: Event, new: Event) -> list[Text]:
    lines: list[Text] = []
    if new.title != old.title:
        lines.append(_("New name: {title}", title=new.title))
    if (new.starts_at, new.ends_at, new.repeat_until) != (old.starts_at, old.ends_at, old.repeat_until):
        lines.append(_("New time: {when}", when=when_text(ctx, new)))
    if (new.campus, new.link) != (old.campus, old.link):
        lines.append(_("New place: {where}", where=where_text(ctx, new)))
        if new.link and new.link != old.link:
            lines.append(_("Link: {link}", link=new.link))
    if new.capacity != old.capacity:
        lines.append(_("Places: {count}", count=new.capacity) if new.capacity else _("Places: no limit"))
    if new.language != old.language:
        lines.append(_("Language: {language}", language=language_label(new.language) or "–"))
    if new.description != old.description:
        lines.append(_("The description changed."))
    return lines


def _on_day(day: date, keep: datetime, zone: ZoneInfo) -> datetime:
    """`day` at the local time of day of `keep`."""
    return local_to_utc(datetime.combine(day, keep.astimezone(zone).time()), zone)


async def _tell(ctx: Context, event: Event, people: list[int] | None, reply: Reply) -> int:
    """Tell `people` (None: all who answered going, maybe or waiting for any time), the presser excepted."""
    if people is None:
        people = [p for p in await queries(ctx).people(event.id, INTERESTED) if p != ctx.person.id]
    for person_id in people:
        await ctx.notify(person_id, reply)
    return len(people)


@cog.command(_("Change an event"), roles={"organiser", "board"})
async def edit(
    ctx: Context,
    event: Annotated[int, EVENT],
    title: Annotated[str | None, TITLE] = None,
    start: Annotated[datetime | date | None, NEW_START] = None,
    end: Annotated[datetime | date | None, NEW_END] = None,
    where: Annotated[str | None, WHERE] = None,
    link: Annotated[str | None, LINK] = None,
    description: Annotated[str | None, DESCRIPTION] = None,
    title_en: Annotated[str | None, TITLE_EN] = None,
    description_en: Annotated[str | None, DESCRIPTION_EN] = None,
    capacity: Annotated[int | None, CAPACITY] = None,
    language: Annotated[str | None, LANGUAGE] = None,
    until: Annotated[datetime | None, UNTIL] = None,
    feedback: Annotated[str | None, FEEDBACK] = None,
) -> Reply:
    old = await open_event(ctx, event)
    check_can_manage(ctx, old)
    given = {"title": title, "start": start, "end": end, "where": where, "link": link,
             "description": description, "capacity": capacity, "language": language, "until": until,
             "title_en": title_en, "description_en": description_en, "feedback": feedback}
    if all(value is None for value in given.values()):
        raise UserError(_("Nothing to change: give at least one new value, for example start=…"))
    zone = ZoneInfo(old.timezone)
    # A date alone keeps the time of day: the start's own, and the end's own.
    if start is not None and not isinstance(start, datetime):
        start = _on_day(start, old.starts_at, zone)
    if end is not None and not isinstance(end, datetime):
        end = _on_day(end, old.ends_at or old.starts_at + duration(old.starts_at, old.ends_at), zone)
    new_start = start or old.starts_at
    # A new start without a new end keeps the length.
    new_end = end or (new_start + duration(old.starts_at, old.ends_at) if old.ends_at and start else old.ends_at)
    new_until = until.astimezone(ctx.config.tz).date() if until else (
        date.fromisoformat(old.repeat_until) if old.repeat_until else None)
    timing = Timing(new_start, new_end, old.repeat_weeks, new_until, old.timezone)
    timing.check(ctx.now())
    new_where = where or (old.campus or ONLINE)
    new_link = link or old.link
    check_place(new_where, new_link)
    changes: dict[str, Any] = {
        "title": title or old.title_fi, "description": description or old.description_fi,
        "title_en": title_en or old.title_en, "description_en": description_en or old.description_en,
        "starts_at": new_start,
        "ends_at": new_end, "campus": None if new_where == ONLINE else new_where, "link": new_link,
        "capacity": capacity or old.capacity, "language": language or old.language,
        "series_end_at": timing.series_end, "repeat_until": new_until.isoformat() if new_until else None,
        "feedback_each": int(feedback == "each") if feedback else int(old.feedback_each),
    }
    told = 0
    # One transaction: the change, its reminders, freed places and the messages about it, or none of them.
    async with ctx.db.transaction():
        await queries(ctx).update(old.id, ctx.now(), **changes)
        new = await get_event(ctx, old.id)
        if (new.starts_at, new.ends_at, new.repeat_until, new.feedback_each) != \
                (old.starts_at, old.ends_at, old.repeat_until, old.feedback_each):
            await schedule_event(ctx, new)
        if new.capacity != old.capacity:
            await fill_places(ctx, new)
        lines = _changes(ctx, old, new)
        if lines:
            heading = _("{title} (#{id}) was changed:", title=new.title, id=new.id)
            told = await _tell(ctx, new, None, Reply(Lines(heading, *lines),
                                                     title=_("Changed: {title}", title=new.title)))
    await ctx.changed("event", new.id)
    return Reply(Lines(_("Event #{id} updated.", id=new.id),
                       ngettext("{count} person was told.", "{count} people were told.", told)), private=True)


@cog.command(_("Cancel an event"), roles={"organiser", "board"})
async def cancel(
    ctx: Context,
    event: Annotated[int, EVENT],
    reason: Annotated[str | None, Param(_("Reason, told to those coming"),
                                        question=_("Why is it cancelled? (I tell those coming.)"),
                                        max_len=300, names={"fi": "syy"},
                                        example='"The room is taken"')] = None,
) -> Reply:
    """Asks first: nothing is cancelled by one tap. A series asks which: this occurrence or all of it."""
    found = await open_event(ctx, event)
    check_can_manage(ctx, found)
    # The reason waits for the confirmation here: a button id is too short to carry 300 characters.
    await queries(ctx).save_cancel_draft(found.id, ctx.person.id, reason)
    told = len([p for p in await queries(ctx).people(found.id, INTERESTED) if p != ctx.person.id])
    consequence = Lines(
        ngettext("{count} person who answered is told.", "{count} people who answered are told.", told),
        _("Reason told to them: {reason}", reason=reason) if reason else
        _("No reason given: to tell them why, cancel again with reason=…"),
    )
    left = remaining(found, ctx.now())
    if not found.repeat_weeks or len(left) < 2:
        return ctx.confirm(_("Cancel {title} ({when})?", title=found.title, when=when_text(ctx, found)),
                           consequence, cog.action_id("cancel_all", found.id), yes_label=_("Cancel the event"))
    index, start = left[0]
    return Reply(Lines(_("{title} repeats. Cancel only {when}, or the whole series?", title=found.title,
                         when=When(start)), consequence), private=True, buttons=[
        [Button(_("Only {when}", when=When(start, "short")), cog.action_id("cancel_one", found.id, index),
                style="danger"),
         Button(_("The whole series"), cog.action_id("cancel_all", found.id), style="danger")],
        [Button(_("Keep it"), NO_ACTION)],
    ])


@cog.action("cancel_all", owner_only=True)
async def cancel_all(ctx: Context, event_id: int) -> Reply:
    found = await open_event(ctx, event_id)
    check_can_manage(ctx, found)
    reason = await queries(ctx).take_cancel_draft(found.id, ctx.person.id)
    if not await queries(ctx).cancel(found.id, reason, ctx.now()):
        raise UserError(_("{title} has been cancelled.", title=found.title))
    await ctx.unschedule(f"ev:{found.id}:")
    await ctx.changed("event", found.id)
    told = await _tell(ctx, found, None, Reply(
        Lines(_("{title} ({when}) has been cancelled.", title=found.title, when=when_text(ctx, found)),
              _("Reason: {reason}", reason=reason) if reason else None),
        title=_("Cancelled: {title}", title=found.title)))
    return Reply(Lines(_("Event #{id} cancelled.", id=found.id),
                       ngettext("{count} person was told.", "{count} people were told.", told)),
                 private=True, edit=True)


@cog.action("cancel_one", owner_only=True)
async def cancel_one(ctx: Context, event_id: int, occurrence: int) -> Reply:
    found = await open_event(ctx, event_id)
    check_can_manage(ctx, found)
    starts = occurrences(found)
    if not 0 <= occurrence < len(starts) or starts[occurrence] + duration(found.starts_at, found.ends_at) <= ctx.now():
        raise UserError(_("This button no longer works."))
    start = starts[occurrence]
    reason = await queries(ctx).take_cancel_draft(found.id, ctx.person.id)
    async with ctx.db.transaction():
        if not await queries(ctx).skip(found.id, start, ctx.now()):
            raise UserError(_("{title} on {when} has been cancelled already.", title=found.title, when=When(start)))
        await schedule_event(ctx, await get_event(ctx, found.id))  # no reminders or feedback for it
        # Those going (or waiting, or maybe) that time are told; its answers for it alone, places with them, go.
        people = [p for p in await queries(ctx).people(found.id, INTERESTED, occurrence) if p != ctx.person.id]
        for person_id in await queries(ctx).drop_time(found.id, occurrence):
            await ctx.unschedule(offer_key(found.id, person_id, occurrence))
        told = await _tell(ctx, found, people, Reply(
            Lines(_("{title} on {when} is cancelled; the other times stand.", title=found.title, when=When(start)),
                  _("Reason: {reason}", reason=reason) if reason else None),
            title=_("Cancelled: {title}, {when}", title=found.title, when=When(start, "short"))))
    await ctx.changed("event", found.id)
    return Reply(Lines(_("{title} on {when} cancelled; the series goes on.", title=found.title, when=When(start)),
                       ngettext("{count} person was told.", "{count} people were told.", told)),
                 private=True, edit=True)
