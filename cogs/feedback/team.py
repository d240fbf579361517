"""/feedback cases for the teams: the list (pager), one case with its buttons, handled and reopen,
escalation to another team, and blocking a sender without learning who it is."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated

from bot.commands import Button, Param, Reply, UserError
from bot.context import Context
from bot.conversations import Member
from bot.i18n import Lines, Text, When, _, ngettext
from bot.pager import Line, source_pager
from cogs.feedback.common import (
    KIND,
    Category,
    campus_name,
    categories,
    cog,
    hour_of,
    my_teams,
    queries,
    settings,
    team_case,
    team_of,
)
from cogs.feedback.send import title
from cogs.feedback.storage import Case

STATES: dict[str, Text] = {"open": _("not answered"), "answered": _("answered"), "handled": _("handled")}


def age(ctx: Context, case: Case) -> Text:
    """How long ago the case came, from its hour: whole hours up to two days, then days."""
    hours = int((ctx.now() - case.created_hour).total_seconds() // 3600)
    if hours < 48:
        return ngettext("{count} hour", "{count} hours", hours)
    return ngettext("{count} day", "{count} days", hours // 24)


def summary(ctx: Context, case: Case) -> Text:
    category = categories(ctx).get(case.category, team_of(ctx, case))
    escalated = _("passed on to {team}", team=team_of(ctx, case).team) if case.escalated else None
    return Lines(case.code, category.name, campus_name(ctx, case.campus), STATES.get(case.state, case.state),
                 age(ctx, case), escalated, sep=" · ")


@cog.command(_("Feedback cases of your team"))
async def cases(ctx: Context, handled: Annotated[bool | None, Param(_("Show handled cases too"),
                                                                    question=_("Should I show handled cases too?"),
                                                                    names={"fi": "kasitellyt"})] = None) -> Reply:
    return await case_list(ctx, 1, bool(handled), edit=False)


async def case_list(ctx: Context, page: int, handled: bool, *, edit: bool) -> Reply:
    teams = my_teams(ctx)
    if not teams:
        raise UserError(_("Only the feedback teams can see cases."))
    def line(case: Case) -> Line:
        return Line(summary(ctx, case), [Button(case.code, cog.action_id("show", case.code))])

    return await source_pager(queries(ctx).for_teams(teams, handled=handled), line, page=page,
                              size=settings(ctx)["page_size"],
                              turn=lambda n: cog.action_id("page", n, int(handled)), title=_("Feedback cases"),
                              empty=_("No open feedback cases."), edit=edit, private=True,
                              footer=_("Times are shown to the hour."))


@cog.action("page")
async def turn_page(ctx: Context, page: int, handled: int) -> Reply:
    return await case_list(ctx, page, bool(handled), edit=True)


def case_view(ctx: Context, case: Case) -> Reply:
    buttons = [Button(_("Answer"), cog.action_id("ans", case.code), style="primary")]
    if case.state == "handled":
        buttons.append(Button(_("Reopen"), cog.action_id("reopen", case.code)))
    else:
        buttons.append(Button(_("Mark handled"), cog.action_id("done", case.code), style="success"))
        if team_of(ctx, case).escalate_to and not case.escalated:
            buttons.append(Button(_("Escalate"), cog.action_id("esc", case.code)))
    buttons.append(Button(_("Block sender"), cog.action_id("blk", case.code), style="danger"))
    return Reply(Lines(summary(ctx, case), _("Received {when}.", when=When(case.created_hour, "short"))),
                 title=_("Feedback {code}", code=case.code), buttons=[buttons], private=True)


@cog.action("show")
async def show(ctx: Context, code: str) -> Reply:
    return case_view(ctx, await team_case(ctx, code))


@cog.action("done")
async def mark_handled(ctx: Context, code: str) -> Reply:
    case = await team_case(ctx, code)
    if case.state == "handled" or case.conversation_id is None:
        return Reply(notice=_("Case {code} is already handled.", code=case.code))
    await ctx.post_to_conversation(case.conversation_id, Reply(_("The team marked case {code} handled. Thank you "
                                                                 "for your feedback.", code=case.code)))
    await ctx.close_conversation(case.conversation_id)
    await queries(ctx).set_state(case.code, "handled")
    return case_view(ctx, await team_case(ctx, code))


@cog.action("reopen")
async def reopen(ctx: Context, code: str) -> Reply:
    case = await team_case(ctx, code)
    if case.state != "handled" or case.conversation_id is None:
        return Reply(notice=_("Case {code} is open.", code=case.code))
    await queries(ctx).set_state(case.code, "answered" if case.first_answer_hour else "open")
    await ctx.reopen_conversation(case.conversation_id)
    await queries(ctx).touched(case.code, hour_of(ctx.now()))
    return case_view(ctx, await team_case(ctx, code))


# ----------------------------------------------------------------------------------------------- escalation


@cog.action("esc")
async def escalate_pressed(ctx: Context, code: str) -> Reply:
    await _escalation_target(ctx, await team_case(ctx, code))
    return await ctx.form(escalate, {"code": code})


@cog.form(_("Pass a case on"), name="escalate")
async def escalate(ctx: Context, code: Annotated[str, Param(_("Case code"),
                                                            question=_("What is the case code?"),
                                                            max_len=20, names={"fi": "koodi"})],
                   note: Annotated[str, Param(_("A note for the next team (the sender sees it too)"),
                                              question=_("What should the next team know? (The sender sees it too.)"),
                                              long=True,
                                              max_len=1000, names={"fi": "viesti"})]) -> Reply:
    case = await team_case(ctx, code)
    target = await _escalation_target(ctx, case)
    here = team_of(ctx, case)
    assert case.conversation_id is not None
    sealed = Member.sealed(case.handle)
    # The sender leaves the old conversation quietly; the team there is told, and it closes.
    await ctx.remove_from_conversation(case.conversation_id, sealed)
    await ctx.post_to_conversation(case.conversation_id, Reply(_("Case {code} was passed on to {team}.",
                                                                 code=case.code, team=target.team)))
    await ctx.close_conversation(case.conversation_id)
    moved = dataclasses.replace(case, team=target.id)
    conversation_id = await ctx.open_conversation(
        KIND, title(ctx, moved, target), [sealed, target.member()], host=target.destination,
        first=Reply(Lines(_("{team} passed case {code} on to {next}. The conversation goes on here; the "
                            "sender is still anonymous.", team=here.team, code=case.code, next=target.team),
                          _("Their note: {note}", note=note.strip()))))
    await queries(ctx).escalated(case.code, target.id, conversation_id, hour_of(ctx.now()))
    return Reply(_("Case {code} was passed on to {team}; the sender was told.", code=case.code, team=target.team),
                 private=True)


async def _escalation_target(ctx: Context, case: Case) -> Category:
    here = team_of(ctx, case)
    if case.state == "handled" or case.escalated or not here.escalate_to:
        raise UserError(_("Case {code} cannot be passed on.", code=case.code))
    return categories(ctx)[here.escalate_to]


# ------------------------------------------------------------------------------------------------- blocking


@cog.action("blk")
async def block_pressed(ctx: Context, code: str) -> Reply:
    case = await team_case(ctx, code)
    choices = [Button(ngettext("{count} day", "{count} days", days), cog.action_id("blkd", case.code, days),
                      style="danger") for days in settings(ctx)["block_days"]]
    return Reply(_("Block the sender of case {code} for how long? They cannot send feedback or answers until "
                   "then, and are told until when. Nobody learns who they are.", code=case.code),
                 buttons=[choices], private=True)


@cog.action("blkd")
async def block(ctx: Context, code: str, days: int) -> Reply:
    case = await team_case(ctx, code)
    if days not in settings(ctx)["block_days"]:
        raise UserError(_("That is not one of the block durations."))
    until = hour_of(ctx.now()) + timedelta(days=days, hours=1)
    await queries(ctx).block(case.sender, until)
    await ctx.notify_sealed(case.handle, Reply(_("You cannot send feedback or answers until {when}.",
                                                 when=When(until))))
    return Reply(_("The sender of case {code} is blocked until {when}.", code=case.code, when=When(until)),
                 edit=True)
