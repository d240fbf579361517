"""Converting and validating parameter values, once for every frontend, with translated messages."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.commands import Choice, Kind, ParamSpec, UserError, clip, fold_name
from bot.context import Context
from bot.i18n import Msg, _, ngettext, render
from bot.textlen import utf16_len
from bot.timeparse import parse_when, read_when

# SQLite's INTEGER: a larger id cannot name a stored thing, and binding it raises OverflowError.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_ASCII_INT = re.compile(r"[+-]?[0-9]+")  # str.isdigit() and int() also take "²" and other scripts' digits
ECHO_MAX = 40  # a refused value is quoted back at most this long (5,000 digits make no readable message)


def parse_int_arg(text: str) -> int | None:
    """A whole number typed or carried in an action id: ASCII digits that fit SQLite's INTEGER, else None."""
    if not _ASCII_INT.fullmatch(text) or len(text) > 20:
        return None
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else None


def action_arg(kind: type, text: str) -> Any:
    """One argument of a pressed action id, as its handler's type; ValueError when it is not one."""
    if kind is int:
        value = parse_int_arg(text)
        if value is None:
            raise ValueError("not a whole number that fits")
        return value
    return text


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
        case Kind.YES_NO:
            return raw if isinstance(raw, bool) else _choice(ctx, spec, str(raw)) == "yes"
    raise AssertionError(spec.kind)


def _text(spec: ParamSpec, value: str) -> str:
    # Counted the strictest platform's way (Telegram's UTF-16 units): what is accepted fits everywhere.
    limit, length = spec.param.max_len, utf16_len(value)
    if limit is not None and length > limit:
        if length != len(value):  # say why a count looks larger than what was typed
            raise UserError(ngettext("{param} is too long: {count} character, at most {limit} (an emoji counts as "
                                     "two).",
                                     "{param} is too long: {count} characters, at most {limit} (an emoji counts as "
                                     "two).", length, param=_label(spec), limit=limit))
        raise UserError(ngettext("{param} is too long: {count} character, at most {limit}.",
                                 "{param} is too long: {count} characters, at most {limit}.",
                                 length, param=_label(spec), limit=limit))
    minimum = spec.param.min_len
    if minimum is not None and len(value) < minimum:
        raise UserError(ngettext("{param} is too short: at least {count} character.",
                                 "{param} is too short: at least {count} characters.",
                                 minimum, param=_label(spec)))
    return value


def _integer(spec: ParamSpec, raw: Any) -> int:
    value = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_int_arg(str(raw))
    if value is not None and not INT_MIN <= value <= INT_MAX:  # a frontend's own int (Discord options)
        value = None
    low, high = spec.param.min, spec.param.max
    if value is None and _ASCII_INT.fullmatch(str(raw)):  # digits, but too many for any stored number
        raise UserError(_("{param} must be at most {max}.", param=_label(spec), max=INT_MAX if high is None else high))
    if value is None:
        raise UserError(_("{param} must be a whole number.", param=_label(spec)))
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
        ) or fold_name(value) in {fold_name(name) for name in choice.names.values()}:
            return choice.value
    options = ", ".join(choice.names.get(ctx.language, choice.value) for choice in choices)
    raise UserError(_("{param}: unknown choice “{value}”. Choose one of: {options}.",
                      param=_label(spec), value=value, options=options))


def reads_as_date(ctx: Context, text: str) -> bool:
    return parse_when(text, ctx.language, ctx.config.tz, ctx.now()) is not None


def _datetime(ctx: Context, spec: ParamSpec, raw: Any) -> datetime | date:
    if isinstance(raw, datetime):
        value = raw
    else:
        reading = read_when(str(raw), ctx.language, ctx.config.tz, ctx.now())
        if reading is None:
            # The examples are the reader's own way of writing a time (the Finnish catalogue has "klo 18").
            raise UserError(_("{param}: I could not read “{value}” as a date and time. Try for example "
                              "“1.12. 18:00”, “Fri 18:00” or “2026-12-01 18:00”.",
                              param=_label(spec), value=str(raw)))
        value = reading.at
        if not reading.has_time and spec.param.date_alone == "refuse":
            raise UserError(_("{param}: “{value}” has no time of day. Add one, for example “{value} 18:00”.",
                              param=_label(spec), value=str(raw)))
        if not reading.has_time and spec.param.date_alone == "date":
            day = value.astimezone(ctx.config.tz).date()
            if spec.param.future and day < ctx.now().astimezone(ctx.config.tz).date():
                raise UserError(_("{param} is in the past ({when}). Give a time in the future.",
                                  param=_label(spec), when=value))
            return day  # the handler adds the time of day it keeps
    if spec.param.future and value <= ctx.now():
        raise UserError(_("{param} is in the past ({when}). Give a time in the future.",
                          param=_label(spec), when=value))
    return value


async def _person(ctx: Context, spec: ParamSpec, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw  # a frontend already resolved the person (a Discord user option)
    found = await ctx.people.find_by_name(raw.lstrip("@"))
    if not found:
        raise UserError(_("{param}: I don't know anyone called “{value}”.", param=_label(spec), value=raw))
    if len(found) > 1:
        names = ", ".join(p.display_name for p in found[:5])
        raise UserError(_("{param}: “{value}” could be several people ({names}). Be more exact.",
                          param=_label(spec), value=raw, names=names))
    return found[0]


async def _reference(ctx: Context, spec: ParamSpec, raw: Any) -> int:
    text = str(raw)
    nothing = UserError(_("{param}: nothing matches “{value}”.", param=_label(spec), value=clip(text, ECHO_MAX)))
    if _ASCII_INT.fullmatch(text.removeprefix("#")):  # an id ("42", "#42"); anything else is a title
        number = parse_int_arg(text.removeprefix("#"))
        if number is None or number < 1:  # no stored thing has such an id
            raise nothing
        return number
    assert spec.param.suggest is not None
    matches = await spec.param.suggest(ctx, text)
    exact = [m for m in matches if render(m.label, ctx.language).casefold() == text.casefold()]
    chosen = exact or (matches if len(matches) == 1 else [])
    if not chosen:
        raise nothing
    return int(chosen[0].value)


async def suggestions(ctx: Context, spec: ParamSpec, partial: str, limit: int = 25) -> list[Choice]:
    """Autocomplete: a reference's best matches, or the choices that contain what was typed."""
    if spec.param.suggest is not None:
        return list(await spec.param.suggest(ctx, partial))[:limit]
    wanted = partial.casefold()
    return [c for c in spec.choices(ctx.config)
            if wanted in c.value.casefold() or wanted in render(c.label, ctx.language).casefold()][:limit]
