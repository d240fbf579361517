"""The meetings cog itself, its settings and lookups."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from bot.commands import Cog, UserError
from bot.config import Field, between
from bot.context import ServiceContext
from bot.i18n import _
from bot.recurrence import Recurrence
from cogs.meetings.storage import Meeting, MeetingQueries

ROLES = {"board": _("the board"), "chair": _("meeting chairs")}
cog = Cog("meeting", _("Meetings: reminders, attendance and minutes"), prefix="mt", section="meetings",
          migrations=Path(__file__).with_name("migrations"), roles=ROLES, settings={
              # reminders this long before
              "reminder_hours": Field("int_list", [24, 1], check=between(1, 720, max_items=10)),
              "warning_hours": Field("number", 24, check=between(1, 720)),  # the chair hears of a missing quorum then
              # Members present (coming or remote) for a quorum, per kind of meeting; 0: more than half.
              "quorum_board": Field("int", 0, check=between(0, 1000)),
              "quorum_council": Field("int", 0, check=between(0, 1000)),
              "quorum_team": Field("int", 0, check=between(0, 1000)),
              "page_size": Field("int", 10, check=between(1, 25)),
          })


def settings(ctx: ServiceContext) -> Any:
    return ctx.section("meetings")


def queries(ctx: ServiceContext) -> MeetingQueries:
    return MeetingQueries(ctx.db)


def series(meeting: Meeting) -> Recurrence:
    return Recurrence(meeting.starts_at, meeting.timezone, meeting.rule)


def key(meeting_id: int) -> str:
    return f"mt:{meeting_id}:"


def quorum(ctx: ServiceContext, meeting: Meeting, members: int) -> int | None:
    configured = int(settings(ctx)[f"quorum_{meeting.kind}"])
    if configured:
        return configured
    return members // 2 + 1 if members else None


async def lookup(ctx: ServiceContext, meeting_id: int) -> Meeting:
    meeting = await queries(ctx).get(meeting_id)
    if meeting is None or meeting.cancelled:
        raise UserError(_("There is no meeting number {number}.", number=meeting_id))
    return meeting


async def members_of(ctx: ServiceContext, meeting: Meeting) -> list[int]:
    """The people named as members and the known holders of its member role (the core knows a role's holders
    once they have used the bot: see ServiceContext.people_with_role)."""
    named = await queries(ctx).members(meeting.id)
    held = await ctx.people_with_role(meeting.member_role) if meeting.member_role is not None else []
    return sorted(set(named) | set(held))


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
