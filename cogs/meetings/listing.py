"""/meeting list: the last three meetings held in 90 days, each with its minutes, and each meeting's coming one,
by time. Paged in SQL on the times each meeting stores (migration 0002), computed on read for the meetings that
need it only, so a page reads one page of rows whatever the number of meetings."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Reply
from bot.context import Context, ServiceContext
from bot.i18n import Lines, When, _
from bot.pager import Line, source_pager
from cogs.meetings.common import cog, queries, series, settings
from cogs.meetings.storage import Listed

HELD_DAYS = 90  # how far back held meetings are listed
HELD_SHOWN = 3  # the latest held times of one meeting that are listed


async def current_times(ctx: ServiceContext) -> int:
    """Bring the stored times up to date before the list reads them; returns how many meetings were computed:
    those added since (marked) and those whose coming occurrence has come since the last read."""
    now = ctx.now()
    found = []
    for meeting in await queries(ctx).due(now):
        recurrence = series(meeting)
        found.append((meeting.id, recurrence.between(now - timedelta(days=HELD_DAYS), now)[-HELD_SHOWN:],
                      recurrence.next_after(now)))
    if found:
        await queries(ctx).set_times(found)
    return len(found)


def line(item: Listed) -> Line:
    name = f"{item.title} (#{item.meeting_id})"
    if item.held:
        return Line(Lines(When(item.at, "short"), name,
                          _("minutes: {link}", link=item.minutes) if item.minutes else _("no minutes yet"), sep=" · "))
    return Line(Lines(When(item.at, "short"), name, item.place, sep=" · "))


async def meeting_list(ctx: Context, page: int) -> Reply:
    """Page `page` of the list (/meeting list and its page buttons, in commands.py)."""
    await current_times(ctx)
    now = ctx.now()
    return await source_pager(queries(ctx).listed(now - timedelta(days=HELD_DAYS), now), line, page=page,
                              size=settings(ctx)["page_size"], turn=lambda n: cog.action_id("list", n),
                              title=_("Meetings"), empty=_("No meetings."), edit=ctx.origin is not None,
                              private=True)
