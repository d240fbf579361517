"""/event attendees: who answered to an event (names, answer, waiting order), with a CSV of the same.

Only the organiser who created the event and the board see it (check_can_manage): the list names people.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from bot.commands import File, Reply
from bot.context import Context
from bot.i18n import Lines, Msg, Text, _
from cogs.events.common import EVENT, check_can_manage, cog, get_event, queries
from storage.db import Row

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def answer_label(answer: str) -> Msg:
    return {"yes": _("going"), "offered": _("a place offered"), "maybe": _("maybe"), "waiting": _("waiting"),
            "no": _("not going")}[answer]


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def attendees_csv(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "answer", "waiting_place", "answered_at"])
    place = 0
    for row in rows:
        place += row["answer"] == "waiting"
        writer.writerow([_cell(row["display_name"]), row["answer"], place if row["answer"] == "waiting" else "",
                         row["since"]])
    return out.getvalue().encode("utf-8")


@cog.command(_("Who is coming to an event (with a CSV)"), roles={"organiser", "board"})
async def attendees(ctx: Context, event: Annotated[int, EVENT]) -> Reply:
    found = await get_event(ctx, event)
    check_can_manage(ctx, found)
    rows = await queries(ctx).attendees(found.id)
    if not rows:
        return Reply(_("Nobody has answered to {title} yet.", title=found.title), private=True)
    lines: list[Text] = []
    place = 0
    for row in rows:
        if row["answer"] == "waiting":
            place += 1
            lines.append(Lines(row["display_name"], _("waiting list, place {place}", place=place), sep=" · "))
        else:
            lines.append(Lines(row["display_name"], answer_label(row["answer"]), sep=" · "))
    return Reply(Lines(*lines), title=_("Answers to #{id} {title}", id=found.id, title=found.title), private=True,
                 files=[File(f"event-{found.id}-attendees.csv", attendees_csv(rows), "text/csv")])
