"""The coordinator's overview: every pair and group against its meeting target, and the cost claims as CSV.
Neither shows meeting notes: they belong to the pair."""

from __future__ import annotations

import csv
import io

from bot.commands import File, Reply, UserError
from bot.context import Context
from bot.i18n import Lines, Text, When, _, ngettext, render
from cogs.mentoring.agreement import agreed
from cogs.mentoring.checkins import overdue_since
from cogs.mentoring.common import COORDINATORS, cog, names, queries, settings
from cogs.mentoring.storage import Pair, Programme

CHECKIN_LABELS: dict[str, Text] = {"good": _("good"), "trouble": _("some trouble"), "help": _("need help")}


async def _programme(ctx: Context) -> Programme:
    programme = await queries(ctx).current() or await queries(ctx).latest()
    if programme is None:
        raise UserError(_("There is no mentor programme yet."))
    return programme


async def _line(ctx: Context, pair: Pair) -> Text:
    q = queries(ctx)
    meetings = await q.meetings(pair.id)
    held = [m for m in meetings if m.state == "held"]
    target = int(settings(ctx)["target_group" if pair.kind == "group" else "target_individual"])
    agreement = await q.agreement(pair.id)
    state: Text = (_("no agreement") if agreement is None else _("agreed") if agreed(pair, agreement) else
                   _("agreement waiting for {count} of {total}", total=len(pair.members),
                     count=len(set(pair.members) - set(agreement.confirmed))))
    checkin = await q.last_checkin(pair.id)
    flags: list[Text] = []
    if pair.state == "open" and await overdue_since(ctx, pair, await q.created_at(pair.id)) is not None:
        flags.append(_("OVERDUE"))
    if checkin is not None and checkin[0] == "help":
        flags.append(_("NEEDS HELP"))
    if pair.state == "closed":
        flags.append(_("ended"))
    return Lines(
        _("Pair {number} ({kind}): {members}", number=pair.id, members=await names(ctx, pair.members),
          kind=_("group") if pair.kind == "group" else _("individual")),
        _("meetings held {held}/{target}", held=len(held), target=target),
        _("last meeting {when}", when=When(held[-1].at)) if held else _("no meeting held"),
        _("last check-in {answer} {when}", answer=CHECKIN_LABELS[checkin[0]], when=When(checkin[1]))
        if checkin else None,
        state, *flags, sep="; ")


@cog.command(_("Every pair and group at a glance"), roles=COORDINATORS)
async def status(ctx: Context) -> Reply:
    programme = await _programme(ctx)
    pairs = await queries(ctx).pairs(programme.id)
    if not pairs:
        raise UserError(_("No pairs yet in {name}.", name=programme.name))
    return Reply(Lines(*[await _line(ctx, p) for p in pairs]), title=_("Mentoring: {name}", name=programme.name),
                 private=True)


@cog.command(_("Cost claims of the programme as CSV"), roles=COORDINATORS)
async def costs(ctx: Context) -> Reply:
    programme = await _programme(ctx)
    claims = await queries(ctx).claims(programme.id)
    if not claims:
        raise UserError(_("No cost claims in {name}.", name=programme.name))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["pair", "date", "mentor", "euros", "for"])
    for meeting, claimant in claims:
        who = render(await names(ctx, [claimant]), ctx.language) if claimant is not None else ""
        writer.writerow([meeting.pair_id, meeting.at.astimezone(ctx.config.tz).date().isoformat(), who,
                         meeting.cost, meeting.cost_what or ""])
    total = sum(m.cost or 0 for m, _claimant in claims)
    return Reply(ngettext("{count} claim, {total} € in all.", "{count} claims, {total} € in all.", len(claims),
                          total=total),
                 files=[File("mentoring-costs.csv", out.getvalue().encode(), "text/csv")], private=True)
