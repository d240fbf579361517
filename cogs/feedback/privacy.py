"""Retention, /mydata and /forgetme. Nothing stored says which cases are a person's: their sealed routes are
opened to find out, and only for the person asking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.commands import Reply
from bot.context import ServiceContext
from bot.conversations import Member
from bot.i18n import _
from bot.scheduler import Due
from cogs.feedback.common import cog, hour_of, queries, settings


@cog.job(config_key="retention_cron")
async def retention(ctx: ServiceContext) -> None:
    """Cases whose last message is older than `retention_days` go, with their conversations and routes."""
    rows = queries(ctx)
    limit = hour_of(ctx.now()) - timedelta(days=settings(ctx)["retention_days"])
    old = await rows.older_than(limit)
    for case in old:
        if case.conversation_id is not None:
            await ctx.close_conversation(case.conversation_id)
            await ctx.delete_conversation(case.conversation_id)
        await ctx.drop_sealed(case.handle)
    await rows.delete(case.code for case in old)
    await rows.unblock_expired(ctx.now())


@cog.export_person
async def export(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
    """The codes of the person's open cases, found by opening every route against their accounts (nothing
    stored says which are theirs). /mydata answers only in their direct chat, so nobody else sees them."""
    mine = {case.code for case in await queries(ctx).of_handles(await ctx.routes_of(person_id))
            if case.state != "handled"}
    return {"open_cases": sorted(mine)}


@cog.forget_person
async def forget(ctx: ServiceContext, person_id: int) -> None:
    """Their open cases are handled from now on and nothing of theirs waits; the teams are told by a task run
    right after (closing a conversation waits for its note, which must not happen inside the erase's
    transaction). The routes go with the core's erase."""
    rows = queries(ctx)
    for case in await rows.of_handles(await ctx.routes_of(person_id)):
        if case.state == "handled":
            continue
        await rows.set_state(case.code, "handled")
        await rows.drop_pending(case.code)
        if case.conversation_id is not None:
            await ctx.remove_from_conversation(case.conversation_id, Member.sealed(case.handle))
            await ctx.schedule(CLOSE, ctx.now(), key=f"fb:close:{case.code}", payload={"code": case.code},
                               private=True)


CLOSE = "feedback_close"


@cog.task(CLOSE)
async def close_forgotten(ctx: ServiceContext, due: Due) -> None:
    case = await queries(ctx).get(str(due.payload.get("code", "")))
    if case is None or case.conversation_id is None:
        return
    await ctx.post_to_conversation(case.conversation_id, Reply(
        _("The sender of case {code} erased their data: the case is closed and answers no longer reach them.",
          code=case.code)))
    await ctx.close_conversation(case.conversation_id)
