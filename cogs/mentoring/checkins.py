"""Check-ins every `checkin_days`: each member says how it goes ("need help" reaches the coordinator), and a
pair with no meeting held or planned for `overdue_days` is nudged, then (still none) reported."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import Button, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import _
from bot.scheduler import Due
from cogs.mentoring.common import cog, key, names, queries, settings, tell_coordinator
from cogs.mentoring.storage import Pair

ANSWERS = {"g": "good", "t": "trouble", "h": "help"}


async def overdue_since(ctx: ServiceContext, pair: Pair, created: datetime) -> datetime | None:
    """Since when the pair has had no meeting held or planned, when that is longer than `overdue_days`."""
    meetings = await queries(ctx).meetings(pair.id)
    now = ctx.now()
    if any(m.state == "planned" and m.at > now for m in meetings):
        return None
    last = max([created, *(m.at for m in meetings)])
    return last if now - last >= timedelta(days=int(settings(ctx)["overdue_days"])) else None


@cog.task("mn_checkin")
async def checkin(ctx: ServiceContext, due: Due) -> None:
    pair = await queries(ctx).pair(int(due.payload["pair"]))
    if pair is None or pair.state != "open":
        return
    for person_id in pair.members:
        await ctx.notify(person_id, Reply(
            _("How is your mentoring going?"), title=_("Mentoring check-in"),
            buttons=[Button(_("Good"), cog.action_id("ci", pair.id, "g"), style="success"),
                     Button(_("Some trouble"), cog.action_id("ci", pair.id, "t")),
                     Button(_("Need help"), cog.action_id("ci", pair.id, "h"), style="danger")]), urgent=False)
    nudged = bool(due.payload.get("nudged"))
    created = await queries(ctx).created_at(pair.id)
    late = await overdue_since(ctx, pair, created)
    if late is None:
        nudged = False
    elif not nudged:
        for person_id in pair.members:
            await ctx.notify(person_id, Reply(
                _("Your mentoring pair has no meeting held or planned lately: plan the next one with "
                  "/mentor meeting_plan."), title=_("Mentor programme")), urgent=False)
        nudged = True
    else:
        await tell_coordinator(ctx, pair.programme_id, _(
            "Pair {number} ({members}) has had no meeting held or planned since {since}, even after a nudge.",
            number=pair.id, members=await names(ctx, pair.members), since=late.date().isoformat()))
    await ctx.schedule("mn_checkin", ctx.now() + timedelta(days=int(settings(ctx)["checkin_days"])),
                       key=key(pair.id, "checkin"), payload={"pair": pair.id, "nudged": nudged})


@cog.action("ci", owner_only=True)
async def answer(ctx: Context, pair_id: int, choice: str) -> Reply:
    pair = await queries(ctx).pair(pair_id)
    if pair is None or pair.state != "open" or ctx.person.id not in pair.members or choice not in ANSWERS:
        raise UserError(_("This check-in is no longer open."))
    await queries(ctx).add_checkin(pair_id, ctx.person.id, ANSWERS[choice], ctx.now())
    if ANSWERS[choice] == "help":
        await tell_coordinator(ctx, pair.programme_id, _(
            "{name} in pair {number} ({members}) needs help: please get in touch.", name=ctx.person.display_name,
            number=pair.id, members=await names(ctx, pair.members)))
        return Reply(_("Thank you: the coordinator was told and will get in touch."), edit=True)
    return Reply(_("Thank you for your answer."), edit=True)
