"""A small demonstration cog: a typed parameter, a button that edits its message, a role and a post."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from bot.commands import Button, Cog, Param, Reply
from bot.context import Context
from bot.i18n import _

cog = Cog("ping", _("Trying the bot out"), grouped=False)


def _again(count: int) -> Button:
    return Button(_("Again"), cog.action_id("again", count), style="primary")


@cog.command(_("Check that I am alive"))
async def ping(ctx: Context,
               message: Annotated[str | None, Param(_("Something to echo back"), max_len=50)] = None) -> Reply:
    text = _("Pong: {message}", message=message) if message else _("Pong!")
    return Reply(text, buttons=[_again(1)])


@cog.action("again", owner_only=True)
async def again(ctx: Context, count: int) -> Reply:
    return Reply(_("Pong ×{count}", count=count + 1), buttons=[_again(count + 1)], edit=True,
                 notice=_("Pong!"))


@cog.command(_("How long until a moment"))
async def countdown(ctx: Context,
                    when: Annotated[datetime, Param(_("When"), future=True)]) -> Reply:
    hours = int((when - ctx.now()).total_seconds() // 3600)
    return Reply(_("{when} is in {hours} hours.", when=when, hours=hours))


@cog.command(_("Post a message to the announcements"), roles={"board"})
async def broadcast(ctx: Context,
                    text: Annotated[str, Param(_("The message"), max_len=1000, long=True)]) -> Reply:
    await ctx.post("announcements", Reply(text, title=_("From the board")))
    return Reply(_("Posted to the announcements."), private=True)
