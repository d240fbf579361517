"""/event ics: the upcoming events (or mine) as an iCalendar file that Google Calendar and Outlook import.

Each event is one VEVENT with DTSTART;TZID=Europe/Helsinki and a VTIMEZONE, and a series is one VEVENT with
an RRULE, so a calendar app keeps 18:00 at 18:00 across daylight-saving changes just as we do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import icalendar

from bot.commands import Choice, File, Param, Reply
from bot.context import Context, ServiceContext
from bot.i18n import _, render
from cogs.events.common import cog, queries, where_text
from cogs.events.recurrence import duration, recurrence
from cogs.events.storage import Event
from cogs.events.vtimezone import vtimezone

FILE_NAME = "humako-events.ics"
WHICH = [Choice("all", _("All upcoming events")), Choice("mine", _("Only those I'm going to"))]


def build_calendar(ctx: ServiceContext, events: Sequence[Event], language: str, *, links: bool = False) -> bytes:
    """`links`: the online links too (only in a person's own calendar of events they are going to)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//HUMAKO//humako-bot//FI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # No METHOD: PUBLISH would need an ORGANIZER on every VEVENT (RFC 5546 3.2.1); a plain file is imported.
    calendar.add("x-wr-calname", ctx.config.community.name)
    stamp = ctx.now().astimezone(UTC)
    for event in events:
        zone = ZoneInfo(event.timezone)
        item = icalendar.Event()
        item.add("uid", f"event-{event.id}@humako-bot")
        item.add("dtstamp", stamp)
        item.add("sequence", event.revision)  # grows with every change of the times, so apps take the new one
        item.add("summary", event.title)
        series = recurrence(event)
        item.add("dtstart", series.dtstart)
        item.add("dtend", (event.starts_at + duration(event.starts_at, event.ends_at)).astimezone(zone))
        link = event.link if links else None
        item.add("location", link if event.online and link else render(where_text(ctx, event), language))
        if link:
            item.add("url", link)
        item.add("description", "\n\n".join(p for p in (event.description, link) if p))
        if rule := series.to_rrule_text():
            # The very rule the bot's own occurrences come from, so the file and the bot can't disagree.
            item.add("rrule", icalendar.vRecur.from_ical(rule))
            for skipped in sorted(event.skipped):  # an occurrence cancelled alone
                item.add("exdate", skipped.astimezone(zone))
        calendar.add_component(item)
    if events:
        first = min(e.starts_at for e in events).date() - timedelta(days=366)
        last = max(e.series_end_at for e in events).date() + timedelta(days=366)
        for tzid in sorted({e.timezone for e in events}):  # not add_missing_timezones: see vtimezone.py
            calendar.add_component(vtimezone(tzid, first, last))
    return calendar.to_ical()


@cog.command(_("Download the events as a calendar file"))
async def ics(ctx: Context, which: Annotated[str | None, Param(_("Which events"), choices=WHICH)] = None) -> Reply:
    if which == "mine":
        events = [e for e, answer in await queries(ctx).mine(ctx.person.id, ctx.now()) if answer == "yes"]
    else:
        events = await queries(ctx).upcoming(ctx.now())
    if not events:  # a calendar without a single event is an error in several readers: say it in words
        return Reply(_("You aren't going to any upcoming event, so there is no calendar file to give.")
                     if which == "mine" else _("No upcoming events, so there is no calendar file to give."),
                     private=True)
    data = build_calendar(ctx, events, ctx.language, links=which == "mine")
    return Reply(_("Import this file into Google Calendar, Outlook or your phone's calendar."),
                 files=[File(FILE_NAME, data, "text/calendar")], private=True)


