"""Reading a typed command line (console, Telegram) into a command and raw argument strings.

`/event create title="Quiz night" start=pe 18` and `/remind tomorrow 9 Hand in the essay` both work:
`name=value` pairs or positional words, where a date-time takes as many words as read as a date and the last
text parameter takes the rest of the line. Unquoted words after `name=value` go on with that value when it
is a text (up to the next `name=`) or a date-time (while it still reads as one): `quiet=klo 22-8`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot.commands import CommandSpec, Kind, ParamSpec, UserError, fold_name
from bot.i18n import ListOf, _

_NAMED = re.compile(r"^(\w+)=(.*)$", re.S)
MAX_DATE_WORDS = 5


@dataclass(frozen=True)
class CommandLine:
    words: list[str]  # the command words: ["event", "list"] (or ["event_list"])
    rest: str  # everything after the command words
    bot_mention: str | None = None  # /cmd@botname in Telegram groups


def is_command(text: str) -> bool:
    return text.startswith("/") and len(text) > 1 and not text.startswith("//")


def split_command(text: str) -> CommandLine:
    body = text[1:].strip()
    head, _, rest = body.partition(" ")
    mention = None
    if "@" in head:
        head, mention = head.split("@", 1)
    return CommandLine([head.lower()], rest.strip(), mention)


def tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        # An unbalanced quote: fall back to plain words rather than refusing the line.
        return text.split()


def parse_args(
    spec: CommandSpec, rest: str, reads_as_date: Callable[[str], bool]
) -> dict[str, str]:
    """Raw strings per parameter name; conversion and validation happen later, in one place."""
    args: dict[str, str] = {}
    positional: list[str] = []
    names = {typed: p.name for p in spec.params for typed in p.all_typed_names()}
    named: ParamSpec | None = None  # the field the last `name=value` gave: unquoted words after it go on
    for word in tokens(rest):
        match = _NAMED.match(word)
        if match is None:
            if named is not None and _continues(named, args[named.name], word, reads_as_date):
                args[named.name] = f"{args[named.name]} {word}"
            else:
                named = None
                positional.append(word)
            continue
        name = names.get(fold_name(match.group(1)))
        if name is None:  # a mistyped name must not end up inside another value (a title, a text)
            raise UserError(_("/{command} has no field “{name}”. Its fields are: {names}.", command=spec.full_name,
                              name=match.group(1), names=FieldNames(spec)))
        args[name] = match.group(2)
        named = spec.param(name)
    open_params = [p for p in spec.params if p.name not in args]
    index = 0
    for position, param in enumerate(open_params):
        if index >= len(positional):
            break
        is_last = position == len(open_params) - 1
        if param.kind is Kind.DATETIME:
            taken = _longest_date(positional[index:], reads_as_date)
            args[param.name] = " ".join(positional[index : index + taken])
            index += taken
        elif param.kind in (Kind.TEXT, Kind.LONG_TEXT) and (is_last or _rest_is_text(open_params[position:])):
            args[param.name] = " ".join(positional[index:])
            index = len(positional)
        else:
            args[param.name] = positional[index]
            index += 1
    if index < len(positional) and open_params:
        # Extra words go to the last parameter that was filled, so nothing the person typed is lost.
        last = next((p for p in reversed(open_params) if p.name in args), None)
        if last is not None:
            args[last.name] = " ".join([args[last.name], *positional[index:]])
    return args


@dataclass(frozen=True)
class FieldNames:
    """A command's field names as the reader types them: `title=, start=` or `otsikko=, aloitus=`."""

    spec: CommandSpec

    def render(self, language: str) -> str:
        return ListOf(f"{p.typed_name(language)}=" for p in self.spec.params).render(language) or "–"


def _continues(param: ParamSpec, value: str, word: str, reads_as_date: Callable[[str], bool]) -> bool:
    """Whether an unquoted word after `name=value` is still that value (`quiet=klo 22-8`, `start=pe 18`): for a
    text, until the next `name=`; for a date-time, while it still reads as one. A choice or a number is one word,
    so what follows it is the next field's, as typed."""
    if param.kind in (Kind.TEXT, Kind.LONG_TEXT):
        return True
    return param.kind is Kind.DATETIME and len(value.split()) < MAX_DATE_WORDS and reads_as_date(f"{value} {word}")


def _rest_is_text(params: list[ParamSpec]) -> bool:
    # A text parameter followed only by optional ones takes the rest: "/remind 9:00 Hand in the essay".
    return all(not p.required for p in params[1:])


def _longest_date(words: list[str], reads_as_date: Callable[[str], bool]) -> int:
    for count in range(min(MAX_DATE_WORDS, len(words)), 0, -1):
        if reads_as_date(" ".join(words[:count])):
            return count
    return 1
