"""The mentoring agreement: goals, rhythm, mode and a cost plan, agreed once every member confirms it."""

from __future__ import annotations

from typing import Annotated

from bot.commands import Button, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, _, ngettext
from cogs.mentoring.common import MODE_CHOICES, cog, pair_for, queries
from cogs.mentoring.storage import Agreement, Pair


def agreement_text(agreement: Agreement) -> Text:
    mode = next(c.label for c in MODE_CHOICES if c.value == agreement.mode)
    costs: Text = (_("Costs: {plan} (at most {limit} € a meeting)", plan=agreement.cost_plan,
                     limit=agreement.cost_limit) if agreement.cost_plan else _("Costs: none agreed"))
    return Lines(_("Goals: {goals}", goals=agreement.goals), _("Meeting rhythm: {rhythm}", rhythm=agreement.rhythm),
                 _("Meetings: {mode}", mode=mode), costs)


def agreed(pair: Pair, agreement: Agreement | None) -> bool:
    return agreement is not None and set(pair.members) <= set(agreement.confirmed)


@cog.command(_("Record your mentoring agreement"))
async def agreement(
    ctx: Context,
    goals: Annotated[str, Param(_("Goals, a few lines"),
                                question=_("What are your goals?"),
                                max_len=1000, long=True, names={"fi": "tavoitteet"})],
    rhythm: Annotated[str, Param(_("Meeting rhythm"),
                                 question=_("How often will you meet?"), max_len=100, names={"fi": "rytmi"},
                                 example='"once a month"')],
    mode: Annotated[str, Param(_("Meetings online or on campus"),
                               question=_("Will you meet online or on campus?"),
                               choices=MODE_CHOICES, names={"fi": "tapa"})],
    cost_plan: Annotated[str | None, Param(_("Cost plan (travel or tickets)"),
                                           question=_("What costs do you plan (travel or tickets)?"), max_len=300,
                                           names={"fi": "kulusuunnitelma"})] = None,
    cost_limit: Annotated[int | None, Param(_("Costs at most, euros a meeting"),
                                            question=_("At most how many euros a meeting?"), min=1, max=1000,
                                            names={"fi": "kulukatto"})] = None,
    pair: Annotated[int | None, Param(_("Pair number"),
                                      question=_("Which pair (its number)?"), min=1, names={"fi": "pari"})] = None,
) -> Reply:
    found = await pair_for(ctx, pair)
    if found.state != "open":
        raise UserError(_("Pair {number} has ended.", number=found.id))
    if (cost_plan is None) != (cost_limit is None):
        raise UserError(_("A cost plan needs its limit in euros, and a limit needs its plan."))
    version = await queries(ctx).set_agreement(found.id, goals, rhythm, mode, cost_plan, cost_limit, ctx.now())
    recorded = await queries(ctx).agreement(found.id)
    assert recorded is not None
    for person_id in found.members:
        await ctx.notify(person_id, Reply(
            Lines(_("{name} recorded the agreement of pair {number}: confirm it if it is what you agreed.",
                    name=ctx.person.display_name, number=found.id), agreement_text(recorded)),
            title=_("Mentoring agreement"),
            buttons=[Button(_("Confirm"), cog.action_id("agr", found.id, version), style="success")]))
    return Reply(_("Agreement recorded: every member confirms it with the button sent to them."), private=True)


@cog.action("agr", owner_only=True)
async def confirm(ctx: Context, pair_id: int, version: int) -> Reply:
    pair = await queries(ctx).pair(pair_id)
    agreement = await queries(ctx).agreement(pair_id)
    if pair is None or ctx.person.id not in pair.members or agreement is None:
        raise UserError(_("This agreement is no longer yours to confirm."))
    if agreement.version != version:
        raise UserError(_("The agreement was changed since: confirm the newer one."))
    await queries(ctx).confirm(pair_id, ctx.person.id, version, ctx.now())
    agreement = await queries(ctx).agreement(pair_id)
    assert agreement is not None
    if agreed(pair, agreement):
        await announce_agreed(ctx, pair)
        return Reply(_("Confirmed. Everyone has confirmed: the agreement is agreed."), edit=True)
    waiting = len(set(pair.members) - set(agreement.confirmed))
    return Reply(ngettext("Confirmed. Waiting for {count} more member.", "Confirmed. Waiting for {count} more members.",
                          waiting), edit=True)


async def announce_agreed(ctx: ServiceContext, pair: Pair) -> None:
    if pair.conversation_id is not None:
        await ctx.post_to_conversation(pair.conversation_id, Reply(_("Every member has confirmed the agreement.")),
                                       label=_("Mentor programme"))
