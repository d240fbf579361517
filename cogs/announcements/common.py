"""The announcements cog itself, its settings and lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.commands import Cog, UserError
from bot.config import Field, between
from bot.context import ServiceContext
from bot.i18n import _
from bot.recurrence import Recurrence
from cogs.announcements.storage import Announcement, AnnouncementQueries

ROLES = {"board": _("the board"), "communications": _("the communications team")}
cog = Cog("announce", _("Scheduled announcements and the communication calendar"), prefix="an",
          section="announcements", migrations=Path(__file__).with_name("migrations"), roles=ROLES, settings={
              # An announcement by someone without the board role waits for a board member's Approve.
              "approval": Field("bool", False),
              "approval_destination": Field("str", "board"),  # where the Approve button is posted
              "calendar_weeks": Field("int", 4, check=between(1, 26)),  # how far /announce list looks ahead
              "page_size": Field("int", 10, check=between(1, 25)),
          })
TASK = "an_post"


def settings(ctx: ServiceContext) -> Any:
    return ctx.section("announcements")


def queries(ctx: ServiceContext) -> AnnouncementQueries:
    return AnnouncementQueries(ctx.db)


def series(item: Announcement) -> Recurrence:
    return Recurrence(item.starts_at, item.timezone, item.rule)


def key(announcement_id: int) -> str:
    return f"an:{announcement_id}:"


async def lookup(ctx: ServiceContext, announcement_id: int) -> Announcement:
    item = await queries(ctx).get(announcement_id)
    if item is None:
        raise UserError(_("There is no announcement number {number}.", number=announcement_id))
    return item


@cog.on_startup
async def check_settings(ctx: ServiceContext) -> None:
    where = settings(ctx)["approval_destination"]
    if settings(ctx)["approval"] and where not in ctx.config.destinations:
        raise RuntimeError(f"announcements.approval_destination: no destination named {where!r} in [destinations]")
