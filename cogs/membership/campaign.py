"""Campaigns: one at a time, made and ended early by the board; the leaderboard (a live card) and the end."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated

from bot.commands import File, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, ListOf, Text, When, _, ngettext
from bot.scheduler import Due
from cogs.membership.common import cog, is_running, place_name, queries, settings
from cogs.membership.storage import Campaign, Referral

BOARD_VIEW = "mb_board"  # the live leaderboard card of a campaign
END_TASK = "mb_end"


def end_key(campaign_id: int) -> str:
    return f"mb:end:{campaign_id}"


@cog.command(_("Start a referral campaign"), roles={"board"})
async def campaign(ctx: Context,
                   name: Annotated[str, Param(_("Campaign name"),
                                              question=_("What is the campaign called?"),
                                              max_len=80, names={"fi": "nimi"},
                                              example='"Kuka vinkkasi jäsenyydestä"')],
                   start: Annotated[datetime, Param(_("Starts"),
                                                    question=_("When does the campaign start?"),
                                                    names={"fi": "alkaa"}, example='"1.2. klo 9"')],
                   end: Annotated[datetime, Param(_("Ends"),
                                                  question=_("When does the campaign end?"),
                                                  future=True, names={"fi": "paattyy"},
                                                  example='"1.3. klo 16"')],
                   reward: Annotated[str, Param(_("Reward for whoever recruits most"),
                                                question=_("What does whoever recruits most get?"),
                                                max_len=300, long=True,
                                                names={"fi": "palkinto"})]) -> Reply:
    if end <= start:
        raise UserError(_("The campaign must end after it starts."))
    q = queries(ctx)
    async with ctx.db.transaction():
        running = await q.open_campaign()
        if running is not None:
            raise UserError(_("The campaign {name} is still on: end it first with /member end.", name=running.name))
        campaign_id = await q.add_campaign(name, reward, start, end, ctx.person.id)
        await ctx.schedule(END_TASK, end, key=end_key(campaign_id), payload={"campaign": campaign_id})
    await ctx.post(settings(ctx)["destination"], shows=(BOARD_VIEW, campaign_id))
    return Reply(_("The campaign {name} runs from {start} to {end}.", name=name, start=When(start), end=When(end)),
                 private=True)


@cog.command(_("End the referral campaign now"), roles={"board"})
async def end(ctx: Context) -> Reply:
    running = await queries(ctx).open_campaign()
    if running is None:
        raise UserError(_("No campaign is on."))
    return ctx.confirm(_("End the campaign {name} now?", name=running.name),
                       _("The winner is announced and referrals stop counting."),
                       cog.action_id("end", running.id), yes_label=_("End it"))


@cog.action("end", roles={"board"}, owner_only=True)
async def end_yes(ctx: Context, campaign_id: int) -> Reply:
    if not await finish(ctx, campaign_id):
        return Reply(_("That campaign has already ended."), edit=True)
    await ctx.unschedule(end_key(campaign_id))
    return Reply(_("The campaign has ended; the winner was announced."), edit=True)


@cog.task(END_TASK)
async def ended(ctx: ServiceContext, due: Due) -> None:
    await finish(ctx, int(due.payload["campaign"]))


async def finish(ctx: ServiceContext, campaign_id: int) -> bool:
    """Ends the campaign once: the card shows the result, the winner is announced, the board gets the CSV."""
    q = queries(ctx)
    if not await q.end_campaign(campaign_id, ctx.now()):
        return False
    campaign = await q.campaign(campaign_id)
    assert campaign is not None
    await ctx.changed(BOARD_VIEW, campaign_id)
    top = [s for _rank, s in await q.standings(campaign_id, within=1)]
    if top:
        names = ListOf(s.name for s in top)
        text = ngettext("The campaign {name} has ended. The winner, with {count} confirmed new member: {names}.",
                        "The campaign {name} has ended. The winner, with {count} confirmed new members: {names}.",
                        top[0].confirmed, name=campaign.name, names=names)
        if len(top) > 1:
            text = ngettext("The campaign {name} has ended. Shared first place, {count} confirmed new member "
                            "each: {names}.",
                            "The campaign {name} has ended. Shared first place, {count} confirmed new members "
                            "each: {names}.", top[0].confirmed, name=campaign.name, names=names)
        await ctx.post(settings(ctx)["destination"], Reply(Lines(text, _("Reward: {reward}", reward=campaign.reward)),
                                                           title=_("Referral campaign")))
    else:
        await ctx.post(settings(ctx)["destination"],
                       Reply(_("The campaign {name} has ended without confirmed referrals.", name=campaign.name),
                             title=_("Referral campaign")))
    rows = await q.all_referrals(campaign_id)
    await ctx.post(settings(ctx)["board_destination"], Reply(
        ngettext("{name}: {count} referral, every one in the attached list.",
                 "{name}: {count} referrals, every one in the attached list.", len(rows), name=campaign.name),
        files=[File(f"referrals-{campaign_id}.csv", _csv(rows), "text/csv")]))
    return True


def _csv(rows: list[tuple[Referral, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["referrer", "newcomer", "via", "campus", "status", "created_at"])
    for r, referrer, newcomer in rows:
        writer.writerow([referrer, newcomer, r.via, r.campus or "", r.status, r.created_at.isoformat()])
    return out.getvalue().encode("utf-8")


async def standing_lines(ctx: ServiceContext, campaign: Campaign) -> list[Text]:
    q = queries(ctx)
    size = settings(ctx)["leaderboard_size"]
    lines: list[Text] = [_("{rank}. {name}: {count}", rank=rank, name=s.name, count=s.confirmed)
                         for rank, s in await q.standings(campaign.id, within=size)]
    if not lines:
        lines.append(_("No confirmed referrals yet."))
    by_place = await q.by_place(campaign.id)
    if by_place:
        parts = [_("{place} {count}", place=place_name(ctx.config, place), count=n) for place, n in by_place]
        lines.append(_("By campus: {places}", places=ListOf(parts)))
    return lines


async def card(ctx: ServiceContext, campaign: Campaign) -> Reply:
    if campaign.ended_at is not None:
        state: Text = _("Ended {when}.", when=When(campaign.ended_at))
    elif campaign.starts_at > ctx.now():
        state = _("Starts {when}, ends {end}.", when=When(campaign.starts_at), end=When(campaign.ends_at))
    else:
        state = _("On until {when}.", when=When(campaign.ends_at))
    body = Lines(state, _("Reward: {reward}", reward=campaign.reward), "", *await standing_lines(ctx, campaign),
                 "", _("Who told you about membership? Tell us with /member joined."))
    return Reply(body, title=campaign.name)


@cog.view(BOARD_VIEW)
async def board_view(ctx: ServiceContext, campaign_id: int) -> Reply | None:
    campaign = await queries(ctx).campaign(campaign_id)
    return None if campaign is None else await card(ctx, campaign)


@cog.command(_("The referral campaign's top recruiters"))
async def leaderboard(ctx: Context) -> Reply:
    q = queries(ctx)
    campaign = await q.open_campaign()
    if campaign is None:
        raise UserError(_("No campaign is on."))
    reply = await card(ctx, campaign)
    mine = next(iter(await q.standings(campaign.id, person_id=ctx.person.id)), None)
    own: Text = _("You have no confirmed referrals yet.") if mine is None else \
        ngettext("You are number {rank} with {count} confirmed referral.",
                 "You are number {rank} with {count} confirmed referrals.", mine[1].confirmed, rank=mine[0])
    return Reply(Lines(reply.text, "", own), title=reply.title)


async def running_campaign(ctx: ServiceContext) -> Campaign:
    """The campaign referrals count in now, or a clear refusal."""
    campaign = await queries(ctx).open_campaign()
    if campaign is None or campaign.ends_at <= ctx.now():
        raise UserError(_("No referral campaign is on, so referrals do not count now."))
    if not is_running(campaign, ctx.now()):
        raise UserError(_("The campaign {name} starts {when}; referrals count from then.", name=campaign.name,
                          when=When(campaign.starts_at)))
    return campaign
