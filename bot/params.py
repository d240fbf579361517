"""Converting and validating parameter values, once for every frontend, with translated messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.commands import Choice, Kind, ParamSpec, UserError
from bot.context import Context
from bot.i18n import Msg, _, render
from bot.textlen import utf16_len
from bot.timeparse import parse_when


def _label(spec: ParamSpec) -> Msg:
    return _("“{name}”", name=spec.description)


async def convert(ctx: Context, spec: ParamSpec, raw: Any) -> Any:
    """A raw value (a typed string, or an already typed value from Discord) to the handler's value."""
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            raise UserError(_("{param} cannot be empty.", param=_label(spec)))
    match spec.kind:
        case Kind.TEXT | Kind.LONG_TEXT:
            return _text(spec, str(raw))
        case Kind.INTEGER:
            return _integer(spec, raw)
        case Kind.CHOICE:
            return _choice(ctx, spec, str(raw))
        case Kind.DATETIME:
            return _datetime(ctx, spec, raw)
        case Kind.USER:
            return await _person(ctx, spec, raw)
        case Kind.REFERENCE:
            return await _reference(ctx, spec, raw)
    raise AssertionError(spec.kind)


def _text(spec: ParamSpec, value: str) -> str:
    # Counted the strictest platform's way (Telegram's UTF-16 units): what is accepted fits everywhere.
    limit, length = spec.param.max_len, utf16_len(value)
    if limit is not None and length > limit:
        if length != len(value):  # say why a count looks larger than what was typed
            raise UserError(_("{param} is too long: {length} characters, at most {limit} (an emoji counts as "
                              "two).", param=_label(spec), length=length, limit=limit))
        raise UserError(_("{param} is too long: {length} characters, at most {limit}.",
                          param=_label(spec), length=length, limit=limit))
    minimum = spec.param.min_len
    if minimum is not None and len(value) < minimum:
        raise UserError(_("{param} is too short: at least {limit} characters.",
                          param=_label(spec), limit=minimum))
    return value


def _integer(spec: ParamSpec, raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise UserError(_("{param} must be a whole number.", param=_label(spec))) from None
    low, high = spec.param.min, spec.param.max
    if low is not None and value < low:
        raise UserError(_("{param} must be at least {min}.", param=_label(spec), min=low))
    if high is not None and value > high:
        raise UserError(_("{param} must be at most {max}.", param=_label(spec), max=high))
    return value


def _choice(ctx: Context, spec: ParamSpec, value: str) -> str:
    choices = spec.choices(ctx.config)
    wanted = value.casefold()
    for choice in choices:
        if wanted == choice.value.casefold() or any(
            wanted == render(choice.label, lang).casefold() for lang in ("fi", "en")
        ):
            return choice.value
    options = ", ".join(c.value for c in choices)
    raise UserError(_("{param}: unknown choice “{value}”. Choose one of: {options}.",
                      param=_label(spec), value=value, options=options))


def reads_as_date(ctx: Context, text: str) -> bool:
    return parse_when(text, ctx.language, ctx.config.tz, ctx.now()) is not None


def _datetime(ctx: Context, spec: ParamSpec, raw: Any) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        parsed = parse_when(str(raw), ctx.language, ctx.config.tz, ctx.now())
        if parsed is None:
            raise UserError(_("{param}: I could not read “{value}” as a date and time. Try for example "
                              "“1.12. klo 18”, “pe 18.00” or “2026-12-01 18:00”.",
                              param=_label(spec), value=str(raw)))
        value = parsed
    if spec.param.future and value <= ctx.now():
        raise UserError(_("{param} is in the past ({when}). Give a time in the future.",
                          param=_label(spec), when=value))
    return value


async def _person(ctx: Context, spec: ParamSpec, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw  # a frontend already resolved the person (a Discord user option)
    found = await ctx.app.people.find_by_name(raw.lstrip("@"))
    if not found:
        raise UserError(_("{param}: I don't know anyone called “{value}”.", param=_label(spec), value=raw))
    if len(found) > 1:
        names = ", ".join(p.display_name for p in found[:5])
        raise UserError(_("{param}: “{value}” could be several people ({names}). Be more exact.",
                          param=_label(spec), value=raw, names=names))
    return found[0]


async def _reference(ctx: Context, spec: ParamSpec, raw: Any) -> int:
    if isinstance(raw, int) or (isinstance(raw, str) and raw.lstrip("#").isdigit()):
        return int(str(raw).lstrip("#"))
    assert spec.param.suggest is not None
    matches = await spec.param.suggest(ctx, str(raw))
    exact = [m for m in matches if render(m.label, ctx.language).casefold() == str(raw).casefold()]
    chosen = exact or (matches if len(matches) == 1 else [])
    if not chosen:
        raise UserError(_("{param}: nothing matches “{value}”.", param=_label(spec), value=str(raw)))
    return int(chosen[0].value)


async def suggestions(ctx: Context, spec: ParamSpec, partial: str, limit: int = 25) -> list[Choice]:
    """Autocomplete: a reference's best matches, or the choices that contain what was typed."""
    if spec.param.suggest is not None:
        return list(await spec.param.suggest(ctx, partial))[:limit]
    wanted = partial.casefold()
    return [c for c in spec.choices(ctx.config)
            if wanted in c.value.casefold() or wanted in render(c.label, ctx.language).casefold()][:limit]
