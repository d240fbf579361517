"""/event ics: the upcoming events (or mine) as an iCalendar file that Google Calendar and Outlook import;
/event subscribe: the same, kept current, as a calendar feed (bot/feeds.py, served by bot/web.py).

Each event is one VEVENT with DTSTART;TZID=Europe/Helsinki and a VTIMEZONE, and a series is one VEVENT with
an RRULE, so a calendar app keeps 18:00 at 18:00 across daylight-saving changes just as we do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import icalendar

from bot.commands import Choice, File, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.feeds import ALL, Feed, add_organizer, wrap
from bot.i18n import Lines, Text, Translated, _, render
from cogs.events.common import ONLINE, cog, queries, where_text
from cogs.events.recurrence import duration, occurrences, recurrence
from cogs.events.storage import Event
from cogs.events.times import going_events

FILE_NAME = "humako-events.ics"
RESET = [Choice("reset", _("A new address; the old one stops working"), {"fi": "uusi"})]
WHICH = [Choice("all", _("All upcoming events")), Choice("mine", _("Only those I'm going to"))]


def event_entry(ctx: ServiceContext, event: Event, language: str, *, links: bool = True,
                stamp: datetime | None = None, only: set[int] | None = None) -> icalendar.Event:
    """One event's VEVENT; `links=False` for public feeds (an online event's link stays with those who RSVP).
    DTSTAMP is `stamp`, else the last edit, so a feed's bytes change only when the event does. `only`: the
    times (indexes) of a series a person is going to; the others are left out of their own calendar."""
    zone = ZoneInfo(event.timezone)
    edited = (event.updated_at or event.starts_at).astimezone(UTC).replace(microsecond=0)
    item = icalendar.Event()
    item.add("uid", f"event-{event.id}@humako-bot")
    item.add("dtstamp", stamp or edited)
    item.add("last-modified", edited)
    item.add("sequence", event.sequence)
    # The reader's (or the feed's) language where the event has it, else the other; LANGUAGE says which.
    item.add("summary", event.title.render(language), parameters={"LANGUAGE": _shown_in(event.title, language)})
    series = recurrence(event)
    item.add("dtstart", series.dtstart)
    item.add("dtend", (event.starts_at + duration(event.starts_at, event.ends_at)).astimezone(zone))
    link = event.link if links else None
    item.add("location", link if event.online and link else render(where_text(ctx, event), language))
    if link:
        item.add("url", link)
    item.add("description", "\n\n".join(p for p in (event.description.render(language), link) if p),
             parameters={"LANGUAGE": _shown_in(event.description, language)})
    add_organizer(ctx, item)
    if rule := series.to_rrule_text():
        # The very rule the bot's own occurrences come from, so the file and the bot can't disagree.
        item.add("rrule", icalendar.vRecur.from_ical(rule))
        left_out = set(event.skipped)  # an occurrence cancelled alone
        if only is not None:
            left_out |= {start for i, start in enumerate(occurrences(event)) if i not in only}
        for start in sorted(left_out):
            item.add("exdate", start.astimezone(zone))
    return item


def _shown_in(text: Translated, language: str) -> str:
    """The language `text.render(language)` is in (its own fallback: the reader's, else Finnish, else any)."""
    have = dict(text.texts)
    return language if have.get(language) else "fi" if have.get("fi") or not have else next(iter(have))


def build_calendar(ctx: ServiceContext, events: Sequence[Event], language: str, *, links: bool = False,
                   only: dict[int, set[int]] | None = None) -> bytes:
    """`links`: the online links too (only in a person's own calendar of events they are going to); `only`:
    per event, the times they are going to."""
    stamp = ctx.now().astimezone(UTC)
    entries = [event_entry(ctx, event, language, links=links, stamp=stamp,
                           only=only.get(event.id) if only is not None else None) for event in events]
    return wrap(ctx.config.community.name, entries).to_ical()


def in_public_feed(event: Event, feed: Feed) -> bool:
    """A public feed per campus ("online" for online events, "all" for every one) and language: an event in
    English is in the English feed, one in Finnish in the Finnish one, one in both (or unsaid) in both."""
    where = ONLINE if event.online else event.campus
    language_ok = event.language in (None, "both", feed.language)
    return language_ok and feed.scope in (ALL, where)


@cog.calendar_feed
async def calendar_entries(ctx: ServiceContext, feed: Feed) -> list[icalendar.Event]:
    if feed.person_id is not None:  # the times they are going to, with links
        return [event_entry(ctx, event, feed.language, only=times)
                for event, times in await going_events(ctx, feed.person_id)]
    events = [e for e in await queries(ctx).upcoming(ctx.now()) if in_public_feed(e, feed)]
    return [event_entry(ctx, event, feed.language, links=False) for event in events]


@cog.command(_("Subscribe to your events in your phone's calendar"))
async def subscribe(ctx: Context, reset: Annotated[str | None, Param(
        _("Make a new address"), question=_("Should I make a new address (the old one stops working)?"),
        choices=RESET)] = None) -> Reply:
    url = await ctx.calendar_feed_url(ctx.person.id, reset=reset == "reset")
    if url is None:
        raise UserError(_("Calendar subscriptions are not available here."))
    text: Text = _("Add this address to your calendar app as a subscription (\"From URL\"): the events you are "
             "going to and your meetings stay up to date there. Keep it to yourself; /event subscribe reset "
             "makes a new one and the old one stops working.\n{url}", url=url)
    if reset == "reset":
        text = Lines(_("Your old calendar address no longer works."), text)
    return Reply(text, private=True)


@cog.command(_("Download the events as a calendar file"))
async def ics(ctx: Context, which: Annotated[str | None, Param(_("Which events"),
                                                               question=_("Which events would you like?"),
                                                               choices=WHICH)] = None) -> Reply:
    going: dict[int, set[int]] = {}
    if which == "mine":
        found = await going_events(ctx, ctx.person.id)
        events = [event for event, _times in found]
        going = {event.id: times for event, times in found}
    else:
        events = await queries(ctx).upcoming(ctx.now())
    if not events:  # a calendar without a single event is an error in several readers: say it in words
        return Reply(_("You aren't going to any upcoming event, so there is no calendar file to give.")
                     if which == "mine" else _("No upcoming events, so there is no calendar file to give."),
                     private=True)
    data = build_calendar(ctx, events, ctx.language, links=which == "mine", only=going if which == "mine" else None)
    return Reply(_("Import this file into Google Calendar, Outlook or your phone's calendar."),
                 files=[File(FILE_NAME, data, "text/calendar")], private=True)


