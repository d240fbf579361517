"""/feedback send and the delayed delivery of what a sender writes (the first message opens the case)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from bot.commands import Button, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, When, _, ngettext
from bot.scheduler import Due
from cogs.feedback.common import (
    KIND,
    SENDER_KEY,
    TEXT_MAX,
    Category,
    campus_choices,
    campus_name,
    categories,
    category_choices,
    cog,
    delay,
    hour_of,
    new_code,
    queries,
    settings,
    team_of,
)
from cogs.feedback.storage import Case

DELIVER = "feedback_deliver"


def anonymity(ctx: ServiceContext) -> Text:
    """What anonymity means here, plainly, in the sender's language."""
    return _("What anonymity means here: your name, username and account are not stored with your feedback, and "
             "the team never sees them. Answers reach you through an encrypted route that only the bot can open. "
             "The team gets your messages after a random delay of up to {minutes} minutes and sees times only to "
             "the hour. Discord or Telegram itself still knows that you wrote to the bot, and what you write can "
             "tell who you are: leave out details you don't want to share.",
             minutes=settings(ctx)["delay_max_minutes"])


def answer_button(code: str) -> Button:
    return Button(_("Reply"), cog.action_id("ans", code), style="primary")


def title(ctx: ServiceContext, case: Case, team: Category) -> Text:
    """The conversation's title (a thread's name): the code, the category and the campus, no time."""
    category = categories(ctx).get(case.category, team)
    return Lines(_("Feedback {code}", code=case.code), category.name,
                 campus_name(ctx, case.campus) if case.campus else None, sep=" · ")


async def refuse_blocked(ctx: ServiceContext, sender: str) -> None:
    until = await queries(ctx).blocked_until(sender, ctx.now())
    if until is not None:
        raise UserError(_("You cannot send feedback until {when}.", when=When(until)))


@cog.command(_("Send feedback without your name, or reach the harassment contacts"), private=True)
async def send(
    ctx: Context,
    category: Annotated[str, Param(_("Category"),
                                   question=_("What is your feedback about?"),
                                   choices=category_choices, names={"fi": "aihe"})],
    text: Annotated[str, Param(_("Your feedback"),
                               question=_("What would you like to tell us?"),
                               long=True, max_len=TEXT_MAX, names={"fi": "teksti"},
                               example='"The lecture recordings are missing"')],
    campus: Annotated[str | None, Param(_("Campus (optional)"),
                                        question=_("Which campus is it about?"), choices=campus_choices,
                                        names={"fi": "kampus"})] = None,
) -> Reply:
    sender = ctx.sender_key(SENDER_KEY)
    await refuse_blocked(ctx, sender)
    found = settings(ctx)
    since = hour_of(ctx.now()) - timedelta(hours=found["rate_hours"])
    if await queries(ctx).sent_since(sender, since) >= found["rate"]:
        within = ngettext("within {count} hour", "within {count} hours", int(found["rate_hours"]))
        raise UserError(ngettext("You have sent {count} case {within}, the most I take. Add to an open case with "
                                 "/feedback reply, or try again later.",
                                 "You have sent {count} cases {within}, the most I take. Add to an open case with "
                                 "/feedback reply, or try again later.", int(found["rate"]), within=within))
    chosen = categories(ctx)[category]
    code = new_code()
    while await queries(ctx).exists(code):
        code = new_code()
    token = secrets.token_urlsafe(16)
    due = ctx.now() + delay(ctx)
    await queries(ctx).create(code=code, category=category, campus=campus, handle=await ctx.seal_route(),
                              sender=sender, hour=hour_of(ctx.now()), token=token, text=text.strip(), due_at=due)
    await ctx.schedule(DELIVER, due, key=f"fb:d:{token}", payload={"t": token}, private=True)
    return Reply(Lines(_("Sent to {team} as case {code}. Keep the code: with it you can add to your case, and "
                         "the team's answers come here.", team=chosen.team, code=code), "", anonymity(ctx)),
                 buttons=[[answer_button(code)]], private=True)


async def pend(ctx: ServiceContext, case: Case, text: str) -> None:
    """A sender's further message, held for its delay; never ahead of one they wrote earlier."""
    rows = queries(ctx)
    due = ctx.now() + delay(ctx)
    last = await rows.last_due(case.code)
    if last is not None and last >= due:
        due = last + timedelta(seconds=1)
    token = secrets.token_urlsafe(16)
    await rows.pend(token, case.code, text, due)
    await ctx.schedule(DELIVER, due, key=f"fb:d:{token}", payload={"t": token}, private=True)


@cog.task(DELIVER)
async def deliver(ctx: ServiceContext, due: Due) -> None:
    """The delay is over: the first message opens the case's conversation with its team, a later one is
    relayed in it as the sender's. The text is deleted once handed on."""
    from bot.conversations import Member

    rows = queries(ctx)
    pending = await rows.pending(str(due.payload.get("t", "")))
    if pending is None:
        return
    case = await rows.get(pending.code)
    if case is not None:
        sealed = Member.sealed(case.handle)
        hour = hour_of(ctx.now())
        if case.conversation_id is None:
            team = team_of(ctx, case)
            conversation_id = await ctx.open_conversation(
                KIND, title(ctx, case, team), [sealed, team.member()], host=team.destination,
                first=Reply(pending.text, buttons=[[answer_button(case.code)]]), first_from=sealed)
            await rows.delivered(case.code, conversation_id, hour)
        else:
            await ctx.post_to_conversation(case.conversation_id,
                                           Reply(pending.text, buttons=[[answer_button(case.code)]]),
                                           as_member=sealed)
            await rows.touched(case.code, hour)
    await rows.done(pending.token)
