"""A small demonstration cog, and the worked example of docs/writing-a-cog.md: typed parameters (with their
Finnish names), a button that edits its message, a role and a post to a destination."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from bot.commands import Button, Cog, Param, Reply
from bot.context import Context
from bot.i18n import Relative, _
from bot.timefmt import countdown_unit

cog = Cog("ping", _("Trying the bot out"), grouped=False, roles={"board": _("the board")})


def _again(count: int) -> Button:
    # The action id carries the count: "ping:again:1", signed by the core when the reply leaves it.
    return Button(_("Again"), cog.action_id("again", count), style="primary")


@cog.command(_("Check that I am alive"))
async def ping(ctx: Context,
               message: Annotated[str | None, Param(_("Something to echo back"),
                                                    question=_("What should I echo back?"),
                                                    max_len=50, names={"fi": "viesti"})] = None) -> Reply:
    text = _("Pong: {message}", message=message) if message else _("Pong!")
    return Reply(text, buttons=[_again(1)])


@cog.action("again", owner_only=True)
async def again(ctx: Context, count: int) -> Reply:
    return Reply(_("Pong ×{count}", count=count + 1), buttons=[_again(count + 1)], edit=True,
                 notice=_("Pong!"))


@cog.command(_("How long until a moment"))
async def countdown(ctx: Context,
                    when: Annotated[datetime, Param(_("When"),
                                                    question=_("Until which moment should I count?"),
                                                    future=True, names={"fi": "milloin"})]) -> Reply:
    left = when - ctx.now()
    # Days, hours or minutes, as the core's countdown picks them: "in 3 days", "in 26 hours", "in 1 minute".
    left_in = Relative(left, countdown_unit(left)[0])
    return Reply(_("{when} is {left_in}.", when=when, left_in=left_in))


@cog.command(_("Post a message to the announcements"), roles={"board"})
async def broadcast(ctx: Context,
                    text: Annotated[str, Param(_("The message"),
                                               question=_("What should I post to the announcements?"),
                                               max_len=1000, long=True, names={"fi": "teksti"},
                                               example='"Board meeting on Friday"')]) -> Reply:
    await ctx.post("announcements", Reply(text, title=_("From the board")))
    return Reply(_("Posted to the announcements."), private=True)
