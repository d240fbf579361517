"""The event card: the one view of an event, posted to destinations and kept current on every platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from bot.commands import Button, CalendarEntry, Reply
from bot.context import ServiceContext
from bot.i18n import TIMEZONE, Lines, Msg, Text, When, _, ngettext
from bot.timefmt import format_range, format_when
from cogs.events.common import LANGUAGE_CHOICES, cog, ended, queries, upcoming_start, where_text
from cogs.events.recurrence import duration, occurrences, remaining
from cogs.events.storage import Counts, Event
from cogs.events.times import card_time

ANSWERS = ("yes", "maybe", "no")


@dataclass(frozen=True)
class Span:
    """A start and an end shown together ("pe 4.12. klo 18.00–20.00"), in the reader's language."""

    start: datetime
    end: datetime

    def render(self, language: str) -> str:
        return format_range(self.start, self.end, language, TIMEZONE.zone)


@dataclass(frozen=True)
class Day:
    """A local date ("31.3.2027" / "31 Mar 2027")."""

    day: date

    def render(self, language: str) -> str:
        moment = datetime(self.day.year, self.day.month, self.day.day, 12, tzinfo=TIMEZONE.zone)
        return format_when(moment, language, TIMEZONE.zone, style="date")


def language_label(code: str | None) -> Text | None:
    return next((c.label for c in LANGUAGE_CHOICES if c.value == code), None)


def when_text(ctx: ServiceContext, event: Event) -> Text:
    """The next (or only) occurrence, with its end when one was given."""
    start = upcoming_start(ctx, event)
    if event.ends_at is None:
        return When(start)
    return Span(start, start + duration(event.starts_at, event.ends_at))


def repeat_text(event: Event) -> Msg | None:
    if not event.repeat_weeks or not event.repeat_until:
        return None
    until = Day(date.fromisoformat(event.repeat_until))
    if event.repeat_weeks == 1:
        return _("Every week until {until}", until=until)
    return _("Every other week until {until}", until=until)


def event_line(ctx: ServiceContext, start: datetime, event: Event) -> Lines:
    """An event as one line, the same in /event list and the weekly digest: "pe 4.12. klo 18.00 · Quiz night (#1)
    · Helsinki · Every week until 18.12.2026"."""
    return Lines(When(start, "short"), _("{title} (#{id})", title=event.title, id=event.id), where_text(ctx, event),
                 repeat_text(event), sep=" · ")


def counts_text(event: Event, counts: Counts) -> Lines:
    # An offered place is taken until it is taken up or passes on: the card must not look free meanwhile.
    going = (_("Going {count}/{capacity}", count=counts.taken, capacity=event.capacity) if event.capacity
             else _("Going {count}", count=counts.yes))
    offered = ngettext("{count} place offered", "{count} places offered", counts.offered) if counts.offered else None
    waiting = _("Waiting {count}", count=counts.waiting) if event.capacity else None
    return Lines(going, _("Maybe {count}", count=counts.maybe), waiting, offered, sep=" · ")


def rsvp_buttons(event: Event) -> list[Button]:
    return [
        Button(_("Going"), cog.action_id("rsvp", event.id, "yes"), style="success"),
        Button(_("Maybe"), cog.action_id("rsvp", event.id, "maybe")),
        Button(_("Not going"), cog.action_id("rsvp", event.id, "no"), style="danger"),
    ]


def calendar_entry(ctx: ServiceContext, event: Event) -> CalendarEntry:
    """The next occurrence, for platforms that keep a calendar of their own."""
    start = upcoming_start(ctx, event)
    return CalendarEntry(
        uid=f"event:{event.id}", title=event.title, start=start,
        end=start + duration(event.starts_at, event.ends_at),
        # The place or "online", never the link: a location is cut at 100 characters (a long link broke), and the
        # server's Events list is as public as the card. Those going have the link in their DM.
        location=where_text(ctx, event),
        description=event.description, cancelled=event.cancelled_at is not None,
        every_weeks=open_ended_weeks(ctx, event),
    )


def open_ended_weeks(ctx: ServiceContext, event: Event) -> int:
    """The series from its next time on as "every N weeks" with no end, for calendars that can say no more than
    that (Discord's): only while two or more times are left, none of them cancelled alone, and all at the same
    UTC time (no daylight-saving change between them: such a rule would move them an hour). Else 0, and the
    calendar shows the next time alone. schedule.py refreshes the card when one time is left."""
    if not event.repeat_weeks:
        return 0
    left = [start for _index, start in remaining(event, ctx.now())]
    later = [start for start in occurrences(event) if left and start > left[0]]
    step = timedelta(weeks=event.repeat_weeks)
    if len(left) < 2 or len(later) != len(left) - 1 or any(b - a != step for a, b in pairwise(left)):
        return 0
    return event.repeat_weeks


def card_title(event: Event) -> Text:
    """ "#12 Quiz night" in the reader's language; a draft (number 0) has no number yet."""
    return Lines(f"#{event.id}", event.title, sep=" ") if event.id else event.title


async def render_card(ctx: ServiceContext, event: Event) -> Reply:
    time = card_time(ctx, event)
    counts = await queries(ctx).counts(event.id, time)  # a series: its next time's, and the label says which
    label = _("Attendees {when}", when=When(occurrences(event)[time], "short")) if event.repeat_weeks \
        else _("Attendees")
    language = language_label(event.language)
    body = Lines(
        _("When: {when}", when=when_text(ctx, event)),
        repeat_text(event),
        _("Where: {where}", where=where_text(ctx, event)),
        _("Language: {language}", language=language) if language else None,
        event.description,
    )
    fields = [(label, counts_text(event, counts))]
    if event.cancelled_at is not None:
        reason = _("Reason: {reason}", reason=event.cancel_reason) if event.cancel_reason else None
        return Reply(Lines(_("This event has been cancelled."), reason, body),
                     title=_("CANCELLED: #{id} {title}", id=event.id, title=event.title), fields=fields,
                     calendar=calendar_entry(ctx, event))
    if ended(ctx, event):
        return Reply(Lines(_("This event is over."), body), title=card_title(event), fields=fields)
    return Reply(body, title=card_title(event), fields=fields, buttons=rsvp_buttons(event),
                 calendar=calendar_entry(ctx, event))


@cog.view("event")
async def card_view(ctx: ServiceContext, event_id: int) -> Reply | None:
    event = await queries(ctx).get(event_id)
    return None if event is None else await render_card(ctx, event)
