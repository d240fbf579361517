"""Answers both ways: the team in the case's conversation or with /feedback reply, the sender from their
direct chat (a plain message, /feedback reply or the Reply button), held for the random delay."""

from __future__ import annotations

from typing import Annotated

from bot.commands import Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.conversations import SEALED, ConversationMessage
from bot.i18n import _
from cogs.feedback.common import (
    KIND,
    SENDER_KEY,
    TEXT_MAX,
    categories,
    cog,
    get_case,
    hour_of,
    is_team,
    queries,
    team_of,
)
from cogs.feedback.send import answer_button, pend, refuse_blocked
from cogs.feedback.storage import Case

CODE = Param(_("Case code"),
             question=_("What is the case code?"), max_len=20, names={"fi": "koodi"}, example="F-7K2Q9M")
TEXT = Param(_("Your answer"),
             question=_("What do you answer?"),
             long=True, max_len=TEXT_MAX, names={"fi": "teksti"}, example='"Thank you"')
NO_FILES = _("Files and photos are not passed on from anonymous feedback (they can carry your name or where "
             "they were taken). Write it as text.")


@cog.command(_("Answer a feedback case, as its sender or as its team"))
async def reply(ctx: Context, code: Annotated[str, CODE], text: Annotated[str, TEXT]) -> Reply:
    return await answer(ctx, code, text)


@cog.form(_("Answer a feedback case"), name="answer")
async def answer_form(ctx: Context, code: Annotated[str, CODE], text: Annotated[str, TEXT]) -> Reply:
    return await answer(ctx, code, text)


@cog.action("ans")
async def answer_pressed(ctx: Context, code: str) -> Reply:
    """The Reply button under a case's messages: the sender's or the team's answer, asked for."""
    return await ctx.form(answer_form, {"code": code})


async def answer(ctx: Context, typed: str, text: str) -> Reply:
    case = await get_case(ctx, typed)
    if await ctx.owns_route(case.handle):
        return await _from_sender(ctx, case, text.strip())
    if is_team(ctx, case) and case.conversation_id is not None:
        return await _from_team(ctx, case, text.strip())
    if any(ctx.has_role(c.role) for c in categories(ctx).values()):
        raise UserError(_("Case {code} belongs to another team.", code=case.code))
    raise UserError(_("Only the sender of case {code} and its team can answer it.", code=case.code))


async def _from_sender(ctx: Context, case: Case, text: str) -> Reply:
    if not ctx.chat.direct:
        raise UserError(_("Answer your case from your private chat with me, so that nobody sees it is yours."))
    if case.state == "handled":
        raise UserError(_("Case {code} is closed. Send a new one with /feedback send.", code=case.code))
    await refuse_blocked(ctx, ctx.sender_key(SENDER_KEY))
    await pend(ctx, case, text)
    return Reply(_("Sent to case {code}. The team gets it after a short delay.", code=case.code), private=True)


async def _from_team(ctx: Context, case: Case, text: str) -> Reply:
    if case.state == "handled":
        raise UserError(_("Case {code} is closed. Reopen it from /feedback cases first.", code=case.code))
    assert case.conversation_id is not None
    team = team_of(ctx, case)
    await ctx.post_to_conversation(case.conversation_id, Reply(text, buttons=[[answer_button(case.code)]]),
                                   as_member=team.member())
    await queries(ctx).answered(case.code, hour_of(ctx.now()))
    return Reply(_("Your answer to case {code} is on its way to the sender, signed “{team}”.", code=case.code,
                   team=team.team), private=True)


@cog.conversation_message(KIND)
async def heard(ctx: ServiceContext, message: ConversationMessage) -> Reply | bool | None:
    """In a case's conversation: the team's words go to the sender at once (with a Reply button); the
    sender's (a plain message in their direct chat) wait for their delay like every other."""
    rows = queries(ctx)
    case = await rows.of_conversation(message.conversation_id)
    if case is None:
        return None
    if message.sender.kind == SEALED:
        if message.files:
            await ctx.notify_sealed(case.handle, Reply(NO_FILES))
        if not message.text.strip():
            return False
        if await rows.blocked_until(case.sender, ctx.now()) is not None:
            await ctx.notify_sealed(case.handle, Reply(_("You cannot send feedback for now; this was not passed "
                                                         "on.")))
            return False
        await pend(ctx, case, message.text.strip())
        return False
    await rows.answered(case.code, hour_of(ctx.now()))
    return Reply(message.text, files=list(message.files), buttons=[[answer_button(case.code)]])
