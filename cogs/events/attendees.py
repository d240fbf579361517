"""/event attendees: who answered to an event (names, answer, waiting order), with a CSV of the same.

Only the organiser who created the event and the board see it (check_can_manage): the list names people.
A repeating event's list is for one time (the next, or the one on date=…): its answers for that time alone and
the every-time answers, marked as such.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from bot.commands import File, Param, Reply, UserError
from bot.context import Context
from bot.i18n import Lines, Msg, Text, When, _
from cogs.events.cards import Day
from cogs.events.common import EVENT, check_can_manage, cog, get_event, queries
from cogs.events.recurrence import duration, occurrences
from cogs.events.storage import EVERY, Event
from cogs.events.times import held_times
from storage.db import Row

ON = Param(_("Which time of a repeating event (a date)"),
           question=_("Which time of the repeating event: on which date?"), date_alone="date", names={"fi": "päivä"},
           example='"15.12."')

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def answer_label(answer: str) -> Msg:
    return {"yes": _("going"), "offered": _("a place offered"), "maybe": _("maybe"), "waiting": _("waiting"),
            "no": _("not going")}[answer]


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def attendees_csv(rows: list[Row], start: datetime, series: bool) -> bytes:
    """`every_time`: 1 for an answer given for every time of a series (0 for this time alone, or a one-off)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "answer", "waiting_place", "answered_at", "time", "every_time"])
    place = 0
    for row in rows:
        place += row["answer"] == "waiting"
        writer.writerow([_cell(row["display_name"]), row["answer"], place if row["answer"] == "waiting" else "",
                         row["since"], start.isoformat(), int(series and row["occurrence"] == EVERY)])
    return out.getvalue().encode("utf-8")


def _which_time(event: Event, on: datetime | date | None, now: datetime) -> int:
    """The time the list is for: the one on the date given, else the next one (the last once all are over)."""
    starts = occurrences(event)
    held = [i for i, _start in held_times(event)] or [0]
    if on is None:
        length = duration(event.starts_at, event.ends_at)
        return next((i for i in held if starts[i] + length > now), held[-1])
    zone = ZoneInfo(event.timezone)
    day = on.astimezone(zone).date() if isinstance(on, datetime) else on
    found = [i for i in held if starts[i].astimezone(zone).date() == day]
    if not found:
        raise UserError(_("{title} has no time on {day}.", title=event.title, day=Day(day)))
    return found[0]


@cog.command(_("Who is coming to an event (with a CSV)"), roles={"organiser", "board"})
async def attendees(ctx: Context, event: Annotated[int, EVENT],
                    on: Annotated[datetime | date | None, ON] = None) -> Reply:
    found = await get_event(ctx, event)
    check_can_manage(ctx, found)
    index = _which_time(found, on, ctx.now())
    start = occurrences(found)[index]
    rows = await queries(ctx).attendees(found.id, index)
    if not rows:
        return Reply(_("Nobody has answered to {title} yet.", title=found.title), private=True)
    every = _("every time") if found.repeat_weeks != 1 else _("every week")
    lines: list[Text] = []
    place = 0
    for row in rows:
        if row["answer"] == "waiting":
            place += 1
            answer: Text = _("waiting list, place {place}", place=place)
        else:
            answer = answer_label(row["answer"])
        marked = every if found.repeat_weeks and row["occurrence"] == EVERY else None
        lines.append(Lines(row["display_name"], answer, marked, sep=" · "))
    title = _("Answers to #{id} {title}", id=found.id, title=found.title)
    name = f"event-{found.id}-attendees.csv"
    if found.repeat_weeks:
        title = _("Answers to #{id} {title}, {when}", id=found.id, title=found.title, when=When(start, "short"))
        name = f"event-{found.id}-{start.astimezone(ctx.config.tz).date().isoformat()}-attendees.csv"
    return Reply(Lines(*lines), title=title, private=True,
                 files=[File(name, attendees_csv(rows, start, bool(found.repeat_weeks)), "text/csv")])
