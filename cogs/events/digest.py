"""The weekly digest: every Monday morning ([events] digest_cron) the coming week's events are posted to
the announcements, and the English and bilingual ones to the English destination (in English). A week
without events posts nothing: an empty digest is noise people learn to skip."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.commands import Reply
from bot.context import Context, ServiceContext
from bot.i18n import _
from bot.pager import Line, pager
from cogs.events.cards import event_line
from cogs.events.commands import event_buttons
from cogs.events.common import cog, current_next, queries, settings
from cogs.events.recurrence import occurrences_between
from cogs.events.storage import Event

log = logging.getLogger(__name__)


def _digest_destinations(config: Any) -> list[str]:
    english = config.section("events")["english_destination"]
    return ["announcements", english] if english else ["announcements"]


@cog.job(config_key="digest_cron", public=_("Events this week"), posts_to=_digest_destinations)
async def digest(ctx: ServiceContext) -> None:
    week = await _week(ctx)
    if not week:
        log.info("weekly digest: no events in the coming week, nothing posted")
        return
    await post_digest(ctx, "announcements", week)
    english = settings(ctx)["english_destination"]
    in_english = [(start, event) for start, event in week if event.language in ("en", "both")]
    if english and in_english:
        await post_digest(ctx, english, in_english)


async def _week(ctx: ServiceContext) -> list[tuple[datetime, Event]]:
    # Only events whose stored next occurrence starts within the week can have an occurrence in it: the rest
    # are not read at all.
    now = ctx.now()
    await current_next(ctx)
    week = [(start, event) for event in await queries(ctx).in_week(now + timedelta(days=7))
            for _index, start in occurrences_between(event, now, now + timedelta(days=7))]
    return sorted(week, key=lambda pair: (pair[0], pair[1].id))


def _digest_page(ctx: ServiceContext, week: list[tuple[datetime, Event]], page: int, which: str, *,
                 edit: bool = False) -> Reply:
    # Each event with its buttons (show, going): one tap from the digest, a page at a time.
    lines = [Line(event_line(ctx, start, event), event_buttons(event)) for start, event in week]
    return pager(lines, page=page, size=int(settings(ctx)["page_size"]),
                 turn=lambda number: cog.action_id("week", number, which), title=_("Events this week"),
                 empty=_("No events in the coming week."), edit=edit)


async def post_digest(ctx: ServiceContext, destination: str, week: list[tuple[datetime, Event]]) -> None:
    which = "all" if destination == "announcements" else "en"
    await ctx.post(destination, _digest_page(ctx, week, 1, which))


@cog.action("week")
async def week_page(ctx: Context, page: int, which: str) -> Reply:
    """Turning a digest's page: the coming week as of the press."""
    week = [(s, e) for s, e in await _week(ctx) if which == "all" or e.language in ("en", "both")]
    return _digest_page(ctx, week, page, which, edit=True)
