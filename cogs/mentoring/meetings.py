"""Meetings of a pair or group: planned (members told, reminders, a calendar file) and logged as held, with
notes for the pair only and costs against the agreed plan; the first held meeting asks whether the pair fits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from icalendar import Calendar, Event

from bot.commands import Button, File, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.feeds import Feed, add_organizer
from bot.i18n import Lines, Text, When, _, render
from bot.scheduler import Due, Planned
from cogs.mentoring.agreement import agreed
from cogs.mentoring.common import cog, key, names, pair_for, queries, settings, tell_coordinator
from cogs.mentoring.storage import Meeting, Pair

FITS = {"g": "good", "d": "deciding", "b": "bad"}


def meeting_event(meeting: Meeting, title: str, tz: object, stamp: datetime) -> Event:
    """One meeting as a calendar entry: the file sent when it is planned, and the member's subscribed feed."""
    event = Event()
    event.add("uid", f"mentoring-{meeting.id}@humako-bot")
    event.add("summary", title)
    event.add("dtstart", meeting.at.astimezone(tz))  # type: ignore[arg-type]
    event.add("dtend", (meeting.at + timedelta(hours=1)).astimezone(tz))  # type: ignore[arg-type]
    event.add("dtstamp", stamp)
    event.add("location", meeting.place)
    return event


def calendar_file(meeting: Meeting, title: str, tz: object, now: datetime) -> File:
    calendar = Calendar()
    calendar.add("prodid", "-//humako-bot//mentoring//")
    calendar.add("version", "2.0")
    calendar.add_component(meeting_event(meeting, title, tz, now))
    return File(f"mentoring-{meeting.id}.ics", calendar.to_ical(), "text/calendar")


@cog.calendar_feed
async def calendar_entries(ctx: ServiceContext, feed: Feed) -> list[Event]:
    """A member's planned mentoring meetings in their subscribed calendar; public feeds carry none."""
    if feed.person_id is None:
        return []
    title = render(_("Mentoring meeting"), feed.language)
    entries = []
    for pair in await queries(ctx).pairs_of(feed.person_id):
        for meeting in await queries(ctx).meetings(pair.id):
            if meeting.state == "planned":
                # Stamped with its own time, so an unchanged feed keeps its bytes and ETag.
                event = meeting_event(meeting, title, ctx.config.tz, meeting.at.replace(microsecond=0))
                add_organizer(ctx, event)
                entries.append(event)
    return entries


@cog.command(_("Plan a mentoring meeting"), name="meeting_plan")
async def meeting_plan(
    ctx: Context,
    when: Annotated[datetime, Param(_("When"), question=_("When do you meet?"), future=True, names={"fi": "milloin"})],
    place: Annotated[str, Param(_("Place or online link"),
                                question=_("Where do you meet (a place or an online link)?"),
                                max_len=300, names={"fi": "paikka"})],
    pair: Annotated[int | None, Param(_("Pair number"),
                                      question=_("Which pair (its number)?"), min=1, names={"fi": "pari"})] = None,
) -> Reply:
    found = await pair_for(ctx, pair)
    if found.state != "open":
        raise UserError(_("Pair {number} has ended.", number=found.id))
    if when <= ctx.now():  # the parameter refuses the past too; this holds for a value given by a button
        raise UserError(_("A meeting is planned for the future."))
    meeting_id = await queries(ctx).plan_meeting(found.id, when, place)
    meeting = await queries(ctx).meeting(meeting_id)
    assert meeting is not None
    title = render(_("Mentoring meeting"), ctx.language)
    file = calendar_file(meeting, title, ctx.config.tz, ctx.now())
    for person_id in found.members:
        await ctx.notify(person_id, Reply(Lines(When(when), _("Place: {place}", place=place),
                                                _("Pair {number}.", number=found.id)),
                                          title=_("Mentoring meeting planned"), files=[file]))
    now = ctx.now()
    rows = [Planned("mn_remind", when - timedelta(hours=hours), key(found.id, f"m{meeting_id}:r{hours}"),
                    {"meeting": meeting_id}) for hours in settings(ctx)["reminder_hours"]]
    await ctx.schedule_many([row for row in rows if row.at > now])
    return Reply(_("Meeting planned for {when}; every member was told.", when=When(when)), private=True)


@cog.task("mn_remind")
async def remind(ctx: ServiceContext, due: Due) -> None:
    meeting = await queries(ctx).meeting(int(due.payload["meeting"]))
    if meeting is None or meeting.state != "planned":
        return
    pair = await queries(ctx).pair(meeting.pair_id)
    if pair is None or pair.state != "open":
        return
    for person_id in pair.members:
        await ctx.notify(person_id, Reply(Lines(When(meeting.at), _("Place: {place}", place=meeting.place)),
                                          title=_("Reminder: mentoring meeting")))


@cog.command(_("Log a held mentoring meeting"), name="meeting_log")
async def meeting_log(
    ctx: Context,
    notes: Annotated[str | None, Param(_("Notes (only your pair sees them)"),
                                       question=_("Any notes (only your pair sees them)?"), max_len=2000, long=True,
                                       names={"fi": "muistiinpanot"})] = None,
    cost: Annotated[int | None, Param(_("Costs to claim, euros"),
                                      question=_("How many euros of costs do you claim?"),
                                      min=1, max=1000, names={"fi": "kulut"})] = None,
    cost_what: Annotated[str | None, Param(_("What the costs were for"),
                                           question=_("What were the costs for?"), max_len=200,
                                           names={"fi": "kulujen_syy"})] = None,
    pair: Annotated[int | None, Param(_("Pair number"),
                                      question=_("Which pair (its number)?"), min=1, names={"fi": "pari"})] = None,
) -> Reply:
    found = await pair_for(ctx, pair)
    if found.state != "open":
        raise UserError(_("Pair {number} has ended.", number=found.id))
    if cost is not None:
        agreement = await queries(ctx).agreement(found.id)
        if ctx.person.id not in found.mentors:
            raise UserError(_("Only the mentor claims costs."))
        if agreement is None or not agreement.cost_plan or not agreed(found, agreement):
            raise UserError(_("Costs need a cost plan in an agreement every member has confirmed."))
        if agreement.cost_limit is not None and cost > agreement.cost_limit:
            raise UserError(_("The agreed plan allows at most {limit} € a meeting.", limit=agreement.cost_limit))
        if not cost_what:
            raise UserError(_("Say what the costs were for."))
    now = ctx.now()
    meetings = await queries(ctx).meetings(found.id)
    planned = [m for m in meetings if m.state == "planned" and m.at <= now + timedelta(hours=12)]
    target = planned[-1] if planned else None
    held_before = sum(1 for m in meetings if m.state == "held")
    await queries(ctx).log_meeting(found.id, target.id if target else None, target.at if target else now,
                                   target.place if target else "", notes, cost,
                                   cost_what if cost is not None else None,
                                   ctx.person.id if cost is not None else None, now)
    if target is not None:
        await ctx.unschedule(key(found.id, f"m{target.id}:"))
    if held_before == 0:
        await ask_fit(ctx, found)
    return Reply(_("Meeting logged: {held} held so far.", held=held_before + 1), private=True)


async def ask_fit(ctx: ServiceContext, pair: Pair) -> None:
    for person_id in pair.members:
        await ctx.notify(person_id, Reply(
            _("After your first meeting: does your mentoring pairing fit? Only the coordinator hears a "
              "\"not a good fit\"."), title=_("Mentor programme"),
            buttons=[Button(_("Good"), cog.action_id("fit", pair.id, "g"), style="success"),
                     Button(_("Still deciding"), cog.action_id("fit", pair.id, "d")),
                     Button(_("Not a good fit"), cog.action_id("fit", pair.id, "b"), style="danger")]))


@cog.action("fit", owner_only=True)
async def fit(ctx: Context, pair_id: int, answer: str) -> Reply:
    pair = await queries(ctx).pair(pair_id)
    if pair is None or ctx.person.id not in pair.members or answer not in FITS:
        raise UserError(_("This question is no longer yours to answer."))
    await queries(ctx).set_fit(pair_id, ctx.person.id, FITS[answer])
    if FITS[answer] == "bad":
        await tell_coordinator(ctx, pair.programme_id, _(
            "{name} says pair {number} ({members}) is not a good fit: consider re-pairing.",
            name=ctx.person.display_name, number=pair.id, members=await names(ctx, pair.members)))
    return Reply(_("Thank you for your answer."), edit=True)


@cog.command(_("Your mentoring pairs, meetings and notes"))
async def mine(ctx: Context) -> Reply:
    pairs = await queries(ctx).pairs_of(ctx.person.id, open_only=False)
    if not pairs:
        raise UserError(_("You are in no mentoring pair."))
    parts: list[Text] = []
    for found in pairs:
        parts.append(_("Pair {number}: {members}", number=found.id, members=await names(ctx, found.members)))
        for meeting in await queries(ctx).meetings(found.id):
            state = _("held") if meeting.state == "held" else _("planned")
            parts.append(Lines(_("{when} ({state}) {place}", when=When(meeting.at), state=state,
                                 place=meeting.place), meeting.notes, sep=": "))
    return Reply(Lines(*parts), title=_("Your mentoring"), private=True)
