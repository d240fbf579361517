"""The weekly digest: every Monday morning ([events] digest_cron) the coming week's events are posted to
the announcements, and the English and bilingual ones to the English destination (in English). A week
without events posts nothing: an empty digest is noise people learn to skip."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.commands import Reply
from bot.context import ServiceContext
from bot.i18n import Lines, When, _
from cogs.events.common import cog, queries, settings, where_text
from cogs.events.recurrence import occurrences_between
from cogs.events.storage import Event

log = logging.getLogger(__name__)


def _digest_destinations(config: Any) -> list[str]:
    english = config.section("events")["english_destination"]
    return ["announcements", english] if english else ["announcements"]


@cog.job(config_key="digest_cron", public=_("Events this week"), posts_to=_digest_destinations)
async def digest(ctx: ServiceContext) -> None:
    now = ctx.now()
    week = [(start, event) for event in await queries(ctx).upcoming(now)
            for _index, start in occurrences_between(event, now, now + timedelta(days=7))]
    if not week:
        log.info("weekly digest: no events in the coming week, nothing posted")
        return
    week.sort(key=lambda pair: (pair[0], pair[1].id))
    await post_digest(ctx, "announcements", week)
    english = settings(ctx)["english_destination"]
    in_english = [(start, event) for start, event in week if event.language in ("en", "both")]
    if english and in_english:
        await post_digest(ctx, english, in_english)


async def post_digest(ctx: ServiceContext, destination: str, week: list[tuple[datetime, Event]]) -> None:
    lines = [Lines(When(start, "short"), f"{event.title} (#{event.id})", where_text(ctx, event), sep=" · ")
             for start, event in week]
    await ctx.post(destination, Reply(
        Lines(*lines, "", _("/event show <number> gives the details and the RSVP buttons.")),
        title=_("Events this week")))
