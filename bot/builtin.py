"""Commands every community has: /help, /language and /start (deep links)."""

from __future__ import annotations

from typing import Annotated

from bot.commands import Choice, Cog, CommandSpec, Kind, Param, ParamSpec, Reply, UserError
from bot.context import Context
from bot.i18n import LANGUAGE_NAMES, Lines, ListOf, Text, _, render
from bot.params import date_example

cog = Cog("bot", _("Basics"), grouped=False)

LANGUAGE_CHOICES = [Choice(code, name) for code, name in LANGUAGE_NAMES.items()]


@cog.command(_("What I can do for you"))
async def help(ctx: Context, command: Annotated[str | None, Param(
        _("A command, to see its fields"), question=_("Which command would you like to know about?"), max_len=64,
        names={"fi": "komento"}, example="event create")] = None,
) -> Reply:
    if command:
        return _command_help(ctx, command)
    # The same for everyone with these roles and language: rendered once.
    return Reply(ctx.help_text(lambda: _help_lines(ctx)), private=True)


def _help_lines(ctx: Context) -> Lines:
    lines: list[object] = [_("Commands you can use:")]
    visible = ctx.commands()
    for feature in ctx.cogs:
        mine = [spec for spec in visible if spec.cog is feature]
        if not mine:
            continue
        lines.append("")
        lines.append(f"{render(feature.description, ctx.language)}")
        lines += [f"/{spec.full_name} — {render(spec.description, ctx.language)}" for spec in mine]
        if feature.about is not None:
            lines.append(feature.about)
    lines.append("")
    lines.append(_("/help COMMAND shows a command's fields, for example /help event create."))
    return Lines(*lines)  # type: ignore[arg-type]


def _find(ctx: Context, typed: str) -> CommandSpec | None:
    words = typed.strip().lstrip("/").lower().replace("_", " ").split()
    for spec in ctx.every_command():
        if list(spec.path) == words[:len(spec.path)] and len(words) == len(spec.path):
            return spec
    return None


def _command_help(ctx: Context, typed: str) -> Reply:
    """One command's fields in the reader's language (names as typed, what each is, its choices) and an
    example line."""
    spec = _find(ctx, typed)
    if spec is None:
        raise UserError(_("Unknown command /{name}. /help lists what you can do.", name=typed.strip().lstrip("/")))
    ctx.check_allowed(spec)  # one the person may not use: who may, as the command itself says
    language = ctx.language
    lines: list[Text] = [f"/{spec.full_name} — {render(spec.description, language)}"]
    if spec.params:
        lines.append(_("Fields:"))
    for param in spec.params:
        need = _("required") if param.required else _("optional")
        choices = [c.names.get(language, c.value) for c in param.choices(ctx.config)]
        lines.append(Lines(f"{param.typed_name(language)}=", param.description, need,
                           ListOf(choices, "or") if choices and param.kind is not Kind.YES_NO else None, sep=" · "))
    example = " ".join(f"{p.typed_name(language)}={_example(ctx, p)}" for p in spec.params if p.required)
    line = f"/{spec.full_name} {example}".rstrip()  # (an f-string inside _() would trip message extraction)
    lines.append(_("Example: {line}", line=line))
    return Reply(Lines(*lines), private=True)


def _example(ctx: Context, param: ParamSpec) -> str:
    if param.kind is Kind.DATETIME:  # typed the reader's way, a week ahead: "pe 4.12. klo 18" / "Fri 4 Dec 18:00"
        return f'"{render(date_example(ctx), ctx.language)}"'
    if param.param.example is not None:
        return param.param.example
    choices = param.choices(ctx.config)
    if choices:
        return choices[0].names.get(ctx.language, choices[0].value)
    return {Kind.INTEGER: str(param.param.min or 1), Kind.USER: "@…", Kind.REFERENCE: "1"}.get(param.kind, '"…"')


@cog.command(_("Choose the language I use with you"))
async def language(ctx: Context,
                   language: Annotated[str, Param(_("Language"),
                                                  question=_("Which language should I speak with you?"),
                                                  choices=LANGUAGE_CHOICES)]) -> Reply:
    await ctx.set_language(language)
    return Reply(_("I'll speak English with you from now on.") if language == "en"
                 else _("I'll speak Finnish with you from now on."), private=True)


@cog.command(_("Start a conversation with me"))
async def start(ctx: Context,
                payload: Annotated[str | None, Param(_("Link code"),
                                                     question=_("Which code did you get?"),
                                                     max_len=64)] = None) -> Reply:
    if payload:
        # A command's own name first: /event_note must not be read as the "event" deep link "note".
        spec = next((s for s in ctx.commands() if s.flat_name == payload), None)
        if spec is not None:
            return Reply(_("Here we are in private. Use /{command} now.", command=spec.flat_name))
        prefix, _sep, rest = payload.partition("_")
        found = ctx.deep_link(prefix)
        if found is not None:
            return await found(rest)
    notes = [c.about for c in ctx.cogs if c.about is not None] if ctx.chat.direct else []
    return Reply(Lines(_("Hi {name}! I am the bot of {community}. /help shows what I can do.",
                         name=ctx.person.display_name, community=ctx.config.community.name), *notes))
