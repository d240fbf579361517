"""The weekly digest: every Monday morning ([events] digest_cron) the coming week's events are posted to
the announcements. A week without events posts nothing: an empty digest is noise people learn to skip."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.commands import Reply
from bot.context import ServiceContext
from bot.i18n import Lines, When, _
from cogs.events.common import cog, queries, where_text
from cogs.events.recurrence import occurrences_between

log = logging.getLogger(__name__)


@cog.job(config_key="digest_cron")
async def digest(ctx: ServiceContext) -> None:
    now = ctx.now()
    week = [(start, event) for event in await queries(ctx).upcoming(now)
            for _index, start in occurrences_between(event, now, now + timedelta(days=7))]
    if not week:
        log.info("weekly digest: no events in the coming week, nothing posted")
        return
    week.sort(key=lambda pair: (pair[0], pair[1].id))
    lines = [Lines(When(start, "short"), f"{event.title} (#{event.id})", where_text(ctx, event), sep=" · ")
             for start, event in week]
    await ctx.post("announcements", Reply(
        Lines(*lines, "", _("/event show <number> gives the details and the RSVP buttons.")),
        title=_("Events this week")))
