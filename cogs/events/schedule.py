"""Everything an event schedules: reminders before each occurrence (to those going that time), the feedback
request (after the last time of a series, or after each where its organiser asked), and the moment the series
is over (so its posted cards lose their buttons). Rows first: all of it survives restarts.

Keys: `ev:<id>:rem:<hours>:<occurrence>`, `ev:<id>:fb:<occurrence>`, `ev:<id>:end`,
`ev:<id>:offer:<person>:<occurrence>:` (occurrence -1: an offer for every time).
An edit reschedules the first three; a cancel unschedules `ev:<id>:` (offers included).
"""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Reply
from bot.context import ServiceContext
from bot.i18n import Lines, Text, When, _, ngettext
from bot.scheduler import Due, Planned
from bot.timefmt import countdown_unit
from cogs.events.common import cog, queries, settings, where_text
from cogs.events.recurrence import duration, occurrences
from cogs.events.storage import Event
from cogs.events.times import feedback_after, held_times


async def schedule_event(ctx: ServiceContext, event: Event) -> None:
    for part in ("rem", "fb", "end"):
        await ctx.unschedule(f"ev:{event.id}:{part}")
    now = ctx.now()
    config = settings(ctx)
    length = duration(event.starts_at, event.ends_at)
    feedback_delay = timedelta(hours=float(config["feedback_delay_hours"]))
    planned: list[Planned] = []  # one transaction for a whole series (a year of weekly events: ~150 rows)
    asked = feedback_after(event)
    for index, start in held_times(event):  # a time cancelled alone: no reminder, no feedback request
        payload = {"event": event.id, "occurrence": index}
        for hours in config["reminder_hours"]:
            at = start - timedelta(hours=hours)
            if at > now:
                planned.append(Planned("ev_reminder", at, f"ev:{event.id}:rem:{hours}:{index}",
                                       {**payload, "hours": hours}))
        if index in asked and start + length + feedback_delay > now:
            planned.append(Planned("ev_feedback", start + length + feedback_delay, f"ev:{event.id}:fb:{index}",
                                   payload))
    if event.series_end_at > now:
        planned.append(Planned("ev_ended", event.series_end_at, f"ev:{event.id}:end", {"event": event.id}))
    held = [start for start in occurrences(event) if start not in event.skipped]
    if len(held) >= 2 and held[-2] + length > now:
        # One time left: the card (and a calendar that cannot end a series) shows it alone from then on.
        planned.append(Planned("ev_ended", held[-2] + length, f"ev:{event.id}:endlast", {"event": event.id}))
    await ctx.schedule_many(planned)


def time_left(left: timedelta, when: When) -> Text:
    """ "2 days to go (Fri 4.12. 18:00)": days from two days on, hours from one, minutes below (never "0 hours";
    a late reminder counts from now)."""
    unit, count = countdown_unit(left)
    if unit == "day":
        return ngettext("{count} day to go ({when}).", "{count} days to go ({when}).", count, when=when)
    if unit == "hour":
        return ngettext("{count} hour to go ({when}).", "{count} hours to go ({when}).", count, when=when)
    return ngettext("{count} minute to go ({when}).", "{count} minutes to go ({when}).", count, when=when)


@cog.task("ev_reminder")
async def reminder(ctx: ServiceContext, due: Due) -> None:
    """Sent to everyone going when it fires, so answers given after scheduling count."""
    event = await queries(ctx).get(int(due.payload["event"]))
    starts = occurrences(event) if event is not None else []
    index, hours = int(due.payload["occurrence"]), int(due.payload["hours"])
    if event is None or event.cancelled_at is not None or index >= len(starts) or starts[index] in event.skipped:
        return
    # Every reminder carries the link: they go only to those going.
    link = _("Link: {link}", link=event.link) if event.link else None
    late = _("(This reminder is late: I was offline for a while.)") if due.late else None
    reply = Reply(Lines(
        # On time: the planned lead ("24 hours"); late: what is really left, from now.
        time_left(starts[index] - ctx.now() if due.late else timedelta(hours=hours), When(starts[index], "short")),
        _("Where: {where}", where=where_text(ctx, event)), link, late,
    ), title=_("Reminder: {title}", title=event.title))
    await ctx.notify_many(await queries(ctx).people(event.id, ("yes",), index), reply)


@cog.task("ev_ended")
async def series_ended(ctx: ServiceContext, due: Due) -> None:
    await ctx.changed("event", int(due.payload["event"]))
