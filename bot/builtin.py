"""Commands every community has: /help, /language and /start (deep links)."""

from __future__ import annotations

from typing import Annotated

from bot.commands import Choice, Cog, Param, Reply
from bot.context import Context
from bot.i18n import LANGUAGE_NAMES, Lines, _, render

cog = Cog("bot", _("Basics"), grouped=False)

LANGUAGE_CHOICES = [Choice(code, name) for code, name in LANGUAGE_NAMES.items()]


@cog.command(_("What I can do for you"))
async def help(ctx: Context) -> Reply:
    lines: list[object] = [_("Commands you can use:")]
    for feature in ctx.app.cogs:
        mine = [spec for spec in ctx.app.core.visible_commands(ctx.roles) if spec.cog is feature]
        if not mine:
            continue
        lines.append("")
        lines.append(f"{render(feature.description, ctx.language)}")
        lines += [f"/{spec.full_name} — {render(spec.description, ctx.language)}" for spec in mine]
    return Reply(Lines(*lines), private=True)  # type: ignore[arg-type]


@cog.command(_("Choose the language I use with you"))
async def language(ctx: Context,
                   language: Annotated[str, Param(_("Language"), choices=LANGUAGE_CHOICES)]) -> Reply:
    await ctx.set_language(language)
    return Reply(_("I'll speak English with you from now on.") if language == "en"
                 else _("I'll speak Finnish with you from now on."), private=True)


@cog.command(_("Start a conversation with me"))
async def start(ctx: Context,
                payload: Annotated[str | None, Param(_("Link code"), max_len=64)] = None) -> Reply:
    if payload:
        # A command's own name first: /event_note must not be read as the "event" deep link "note".
        spec = ctx.app.core.by_flat_name.get(payload)
        if spec is not None:
            return Reply(_("Here we are in private. Use /{command} now.", command=spec.flat_name))
        prefix, _sep, rest = payload.partition("_")
        for feature in ctx.app.cogs:
            handler = feature.deep_links.get(prefix)
            if handler is not None:
                return await handler(ctx, rest)
    return Reply(_("Hi {name}! I am the bot of {community}. /help shows what I can do.",
                   name=ctx.person.display_name, community=ctx.config.community.name))
