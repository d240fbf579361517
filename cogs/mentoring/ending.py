"""The end of a pair (the coordinator closes it, or the programme ends): each member rates the process 1-5
on each of the programme's five goals, with free text; /mentor feedback summarises per goal and programme."""

from __future__ import annotations

from statistics import mean
from typing import Annotated

from bot.commands import Button, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Decimal1, Lines, ListOf, Text, _, ngettext
from bot.scheduler import Due
from cogs.mentoring.common import COORDINATORS, GOAL_LABELS, cog, key, pair_any, queries
from cogs.mentoring.storage import GOALS


async def end_pair(ctx: ServiceContext, pair_id: int) -> bool:
    pair = await queries(ctx).pair(pair_id)
    if pair is None or not await queries(ctx).close_pair(pair_id, ctx.now()):
        return False
    await ctx.unschedule(key(pair_id))
    if pair.conversation_id is not None:
        await ctx.close_conversation(pair.conversation_id)
    for person_id in pair.members:
        await ctx.notify(person_id, Reply(
            _("Your mentoring (pair {number}) has ended. Thank you! Please rate how it went on the programme's "
              "five goals.", number=pair_id), title=_("Mentor programme"),
            buttons=[Button(_("Give feedback"), cog.action_id("fb", pair_id), style="primary")]))
    return True


@cog.task("mn_end")
async def programme_ends(ctx: ServiceContext, due: Due) -> None:
    programme_id = int(due.payload["programme"])
    for open_pair in await queries(ctx).pairs(programme_id, open_only=True):
        await end_pair(ctx, open_pair.id)
    await queries(ctx).close_programme(programme_id)


@cog.command(_("End a mentoring pair or group"), roles=COORDINATORS)
async def close(ctx: Context, pair: Annotated[int, Param(_("Pair number"),
                                                         question=_("Which pair (its number)?"),
                                                         min=1, names={"fi": "pari"})]) -> Reply:
    found = await pair_any(ctx, pair)
    if not await end_pair(ctx, found.id):
        raise UserError(_("Pair {number} has already ended.", number=found.id))
    return Reply(_("Pair {number} ended; its members were asked for feedback.", number=found.id), private=True)


def _score(label: Text) -> Param:
    return Param(label, min=1, max=5, question=_("How well was this goal met (1–5): {goal}?", goal=label))


@cog.form(_("Feedback on your mentoring"), name="end_feedback")
async def feedback_form(
    ctx: Context,
    pair: Annotated[int, Param(_("Pair number"), question=_("Which pair (its number)?"), min=1, names={"fi": "pari"})],
    belonging: Annotated[int, _score(GOAL_LABELS["belonging"])],
    dialogue: Annotated[int, _score(GOAL_LABELS["dialogue"])],
    reflection: Annotated[int, _score(GOAL_LABELS["reflection"])],
    reciprocity: Annotated[int, _score(GOAL_LABELS["reciprocity"])],
    learning: Annotated[int, _score(GOAL_LABELS["learning"])],
    comment: Annotated[str | None, Param(_("Anything else (free text)"),
                                         question=_("Anything else you would like to say?"), max_len=2000, long=True,
                                         names={"fi": "kommentti"})] = None,
) -> Reply:
    found = await queries(ctx).pair(pair)
    if found is None or ctx.person.id not in found.members:
        raise UserError(_("You have no mentoring pair number {number}.", number=pair))
    side = "mentor" if ctx.person.id in found.mentors else "aktori"
    scores = {"belonging": belonging, "dialogue": dialogue, "reflection": reflection, "reciprocity": reciprocity,
              "learning": learning}
    if not await queries(ctx).add_feedback(pair, ctx.person.id, side, scores, comment, ctx.now()):
        raise UserError(_("You have already given your feedback. Thank you!"))
    return Reply(_("Thank you for your feedback!"), private=True)


@cog.action("fb", owner_only=True)
async def give_feedback(ctx: Context, pair_id: int) -> Reply:
    found = await queries(ctx).pair(pair_id)
    if found is None or ctx.person.id not in found.members or found.state != "closed":
        raise UserError(_("This feedback is no longer open."))
    return await ctx.form(feedback_form, {"pair": pair_id})


def _one_decimal(scores: list[int]) -> Decimal1:
    return Decimal1(mean(scores))


@cog.command(_("End feedback per goal"), name="feedback", roles=COORDINATORS)
async def feedback_summary(ctx: Context) -> Reply:
    programme = await queries(ctx).current() or await queries(ctx).latest()
    if programme is None:
        raise UserError(_("There is no mentor programme yet."))
    rows = await queries(ctx).feedback(programme.id)
    if not rows:
        raise UserError(_("No feedback yet for {name}.", name=programme.name))
    parts: list[Text] = [ngettext("{count} answer.", "{count} answers.", len(rows))]
    for goal in GOALS:
        by_side = []
        for side, label in (("mentor", _("mentors")), ("aktori", _("aktoris"))):
            scores = [r[goal] for r in rows if r["side"] == side]
            if scores:
                by_side.append(_("{side} {average}", side=label, average=_one_decimal(scores)))
        parts.append(_("{goal}: {average} ({sides})", goal=GOAL_LABELS[goal],
                       average=_one_decimal([r[goal] for r in rows]), sides=ListOf(by_side)))
    comments = [r["comment"] for r in rows if r["comment"]]
    if comments:
        parts.append(_("Comments:"))
        parts.extend(f"- {c}" for c in comments)
    return Reply(Lines(*parts), title=_("Feedback on {name}", name=programme.name), private=True)
