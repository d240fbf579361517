"""Translations: lazy messages rendered in the reader's language.

`_("Event {title} created.", title=...)` returns a `Msg`, not a string: the text is rendered only when a
frontend knows who reads it, so one reply can go to a Finnish group and an English DM. The English text is
the message id; `locales/<lang>/*.toml` map it to the translation (English files may override wording).
Placeholder values that know how to render themselves (another `Msg`, a datetime) are rendered in the same
language, so dates follow the reader's language and the community's time zone.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from babel.plural import PluralRule

LANGUAGES = ("fi", "en")
LANGUAGE_NAMES = {"fi": "suomi", "en": "English"}  # each language's name in itself
DEFAULT_LANGUAGE = "fi"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

# The reader's language for the update being handled; frontends set it per update.
current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)

_PLURALS = {"fi": PluralRule({"one": "n is 1"}), "en": PluralRule({"one": "n is 1"})}


@runtime_checkable
class Renderable(Protocol):
    def render(self, language: str) -> str: ...


Text = str | Renderable


@dataclass(frozen=True)
class Msg:
    """A translatable message: rendered per reader, never a builtin `str` until then."""

    msgid: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    def render(self, language: str) -> str:
        template = CATALOGS.lookup(language, self.msgid, self.count)
        if template is None:
            template = self.msgid if (self.count is None or self.count == 1 or not self.plural) else self.plural
        values = {key: render(value, language) for key, value in self.kwargs.items()}
        if self.count is not None:
            values.setdefault("count", str(self.count))
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            # A broken translation must not break the bot: fall back to the English source.
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render(current_language.get())


def _(msgid: str, **kwargs: Any) -> Msg:
    return Msg(msgid, kwargs)


def ngettext(singular: str, plural: str, count: int, **kwargs: Any) -> Msg:
    return Msg(singular, kwargs, plural=plural, count=count)


@dataclass(frozen=True)
class Lines:
    """Several texts joined when rendered (a card body built from translated pieces)."""

    parts: tuple[Text, ...]
    sep: str = "\n"

    def __init__(self, *parts: Text | None, sep: str = "\n") -> None:
        object.__setattr__(self, "parts", tuple(p for p in parts if p is not None and p != ""))
        object.__setattr__(self, "sep", sep)

    def render(self, language: str) -> str:
        return self.sep.join(render(part, language) for part in self.parts)


@dataclass(frozen=True)
class When:
    """A moment shown in the community's time zone and the reader's language."""

    moment: datetime
    style: str = "full"

    def render(self, language: str) -> str:
        from bot.timefmt import format_when

        return format_when(self.moment, language, TIMEZONE.zone, style=self.style)


class _Zone:
    zone: ZoneInfo = ZoneInfo("Europe/Helsinki")


TIMEZONE = _Zone()


def set_timezone(zone: ZoneInfo) -> None:
    TIMEZONE.zone = zone


def render(value: Any, language: str) -> str:
    if isinstance(value, str):
        return value
    # A duck-typed check: isinstance() against a runtime Protocol is ~20x slower, and this is hot.
    render_method = getattr(value, "render", None)
    if render_method is not None:
        return render_method(language)
    if isinstance(value, datetime):
        return When(value).render(language)
    return str(value)


def normalise_language(code: str | None) -> str | None:
    """Platform locale ('en-GB', 'fi', 'sv-FI') to one of ours, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


class Catalogs:
    def __init__(self) -> None:
        self._entries: dict[str, dict[str, str | dict[str, str]]] = {}
        self._loaded_from: Path | None = None

    def load(self, directory: Path = LOCALES_DIR) -> None:
        entries: dict[str, dict[str, str | dict[str, str]]] = {}
        for language in LANGUAGES:
            merged: dict[str, str | dict[str, str]] = {}
            for file in sorted((directory / language).glob("*.toml")):
                with file.open("rb") as handle:
                    merged.update(tomllib.load(handle))
            entries[language] = merged
        self._entries = entries
        self._loaded_from = directory

    def entries(self, language: str) -> Mapping[str, str | dict[str, str]]:
        if self._loaded_from is None:
            self.load()
        return self._entries.get(language, {})

    def lookup(self, language: str, msgid: str, count: int | None) -> str | None:
        entry = self.entries(language).get(msgid)
        if entry is None:
            return None
        if isinstance(entry, dict):
            form = _PLURALS[language](count if count is not None else 1)
            return entry.get(form) or entry.get("other")
        return entry


CATALOGS = Catalogs()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
