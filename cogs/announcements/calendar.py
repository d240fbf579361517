"""/announce list, the communication calendar: everything the bot will post publicly in the coming
`calendar_weeks`, by time. Paged in SQL: the scheduled announcements' posts are stored per announcement
(migration 0002), computed on read for the announcements whose stored posts no longer reach the window's end,
and the posts from elsewhere (public cron jobs, [[scheduler.jobs]], other cogs' `@cog.planned_posts`: as many as
the config and those cogs give, not growing with this cog's rows) join them in the same ordered, counted query."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import PublicPost, Reply
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, When, _, ngettext
from bot.pager import Line, source_pager
from cogs.announcements.common import cog, queries, series, settings
from cogs.announcements.storage import Planned

PLAN_AHEAD = timedelta(days=7)  # posts are stored this far past the window, so they are computed about weekly


async def current_posts(ctx: ServiceContext, until: datetime) -> int:
    """Store the posts up to `until` (and a week more) of the announcements whose stored ones stop short of
    it (new, approved, or passed by the clock); returns how many announcements were computed."""
    due = await queries(ctx).due(until)
    if not due:
        return 0
    now, ahead = ctx.now(), until + PLAN_AHEAD
    await queries(ctx).set_posts([(item.id, series(item).between(now, ahead)) for item in due], ahead)
    return len(due)


def clip(text: str, limit: int = 60) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit and line == text else line[:limit - 1] + "…"


def post_line(at: datetime, title: Text, destinations: tuple[str, ...]) -> Line:
    return Line(Lines(When(at, "short"), title, ", ".join(f"#{d}" for d in destinations), sep=" · "))


async def calendar_list(ctx: Context, page: int) -> Reply:
    """Page `page` of the calendar (/announce list and its page buttons, in commands.py)."""
    now = ctx.now()
    weeks = settings(ctx)["calendar_weeks"]
    until = now + timedelta(weeks=weeks)
    await current_posts(ctx, until)
    others: list[PublicPost] = await ctx.public_calendar(now, until, besides=cog)

    def line(item: Planned) -> Line:
        if not item.announcement_id:
            post = others[item.ref]
            return post_line(post.at, post.title, post.destinations)
        return post_line(item.at, _("Announcement {number}: {text}", number=item.announcement_id,
                                    text=clip(item.text_fi or "")), item.destinations)

    waiting = await queries(ctx).waiting_count()
    footer = (ngettext("{count} announcement waits for approval.", "{count} announcements wait for approval.",
                       waiting) if waiting else None)
    source = queries(ctx).calendar(now, until, cog.name, [(post.at, post.source) for post in others])
    return await source_pager(source, line, page=page, size=settings(ctx)["page_size"],
                              turn=lambda n: cog.action_id("cal", n),
                              title=ngettext("Next {weeks} week", "Next {weeks} weeks", weeks, weeks=weeks),
                              empty=Lines(_("Nothing is planned to be posted in the coming weeks."), footer),
                              footer=footer, edit=ctx.origin is not None, private=True)
