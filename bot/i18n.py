"""Translations: lazy messages rendered in the reader's language.

`_("Event {title} created.", title=...)` returns a `Msg`, not a string: the text is rendered only when a
frontend knows who reads it, so one reply can go to a Finnish group and an English DM. The English text is
the message id; gettext catalogues map it to the translation: `locales/<lang>/LC_MESSAGES/<domain>.po`, and
`cogs/<cog>/locales/<lang>/LC_MESSAGES/<cog>.po` for a cog package that carries its own (English catalogues may
override wording). `ngettext` picks the plural form by the catalogue's Plural-Forms rule, per reader and count.
The .po files are read at start with Babel (one it cannot parse stops the start); fuzzy and untranslated entries
fall back to English, as gettext does. `python -m bot.i18n_tools` extracts, updates and checks them.
Placeholder values that know how to render themselves (another `Msg`, a datetime) are rendered in the same
language, so dates follow the reader's language and the community's time zone.
"""

from __future__ import annotations

import functools
import gettext
import string
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

LANGUAGES = ("fi", "en")
LANGUAGE_NAMES = {"fi": "suomi", "en": "English"}  # each language's name in itself
DEFAULT_LANGUAGE = "fi"
ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"

# The reader's language for the update being handled; frontends set it per update.
current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


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
        if template is None:  # untranslated: the English source, singular for exactly one (gettext's fallback)
            template = self.msgid if (self.count is None or self.count == 1 or not self.plural) else self.plural
        if not self.kwargs and self.count is None and "{" not in template and "}" not in template:
            return template  # nothing to fill in (most labels)
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
class ListOf:
    """Several texts as one list in the reader's language, joined by Babel's `format_list`: "hallitus ja
    paikallistoimijat" / "the board and organisers" (style "standard"), "fi, en tai both" / "… or both" ("or")."""

    items: tuple[Text, ...]
    style: Literal["standard", "or"] = "standard"

    def __init__(self, items: Iterable[Text | None], style: Literal["standard", "or"] = "standard") -> None:
        object.__setattr__(self, "items", tuple(i for i in items if i is not None and i != ""))
        object.__setattr__(self, "style", style)

    def render(self, language: str) -> str:
        from babel.lists import format_list

        from bot.timefmt import babel_locale

        return format_list([render(item, language) for item in self.items], style=self.style,
                           locale=babel_locale(language))


@dataclass(frozen=True)
class Translated:
    """A text a person wrote in several languages (an announcement in Finnish and English): the reader's
    language, else Finnish, else any. Keys are language codes."""

    texts: tuple[tuple[str, str], ...]

    def __init__(self, texts: Mapping[str, str | None]) -> None:
        object.__setattr__(self, "texts", tuple((k, v) for k, v in texts.items() if v))

    def render(self, language: str) -> str:
        found = dict(self.texts)
        return found.get(language) or found.get("fi") or next(iter(found.values()), "")


@dataclass(frozen=True)
class When:
    """A moment shown in the community's time zone and the reader's language."""

    moment: datetime
    style: str = "full"

    def render(self, language: str) -> str:
        from bot.timefmt import format_when

        return format_when(self.moment, language, TIMEZONE.zone, style=self.style)


@dataclass(frozen=True)
class Hours:
    """A daily window of wall-clock times ("22:00", "08:00"), in the reader's style: "22.00–8.00" /
    "22:00–08:00"."""

    start: str
    end: str

    def render(self, language: str) -> str:
        from datetime import time

        from bot.timefmt import format_time_range

        return format_time_range(time.fromisoformat(self.start), time.fromisoformat(self.end), language)


@dataclass(frozen=True)
class Decimal1:
    """A number with one decimal in the reader's form: "4,5" / "4.5" (an average, a median)."""

    value: float

    def render(self, language: str) -> str:
        from babel.numbers import format_decimal

        from bot.timefmt import babel_locale

        return format_decimal(self.value, format="#,##0.0", locale=babel_locale(language))


@dataclass(frozen=True)
class Relative:
    """How far ahead (or back) something is, in the reader's language: "in 3 hours" / "3 tunnin päästä".

    Babel words it and picks the plural form; `unit` fixes the unit ("hour", "minute"), else Babel picks it."""

    delta: timedelta
    unit: Literal["day", "hour", "minute", "second"] | None = None

    def render(self, language: str) -> str:
        from bot.timefmt import format_relative

        return format_relative(self.delta, language, unit=self.unit)


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


@functools.lru_cache(maxsize=256)  # platforms send a handful of locales, on every update
def normalise_language(code: str | None) -> str | None:
    """Platform locale ('en-GB', 'fi', 'sv-FI') to one of ours, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def catalogue_dirs(root: Path = ROOT) -> list[Path]:
    """Where catalogues live: the shared `locales/`, then each cog package's own `cogs/<cog>/locales/`."""
    return [root / "locales", *sorted(path for path in (root / "cogs").glob("*/locales") if path.is_dir())]


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


Entry = str | tuple[str, ...]  # a translation, or its plural forms in the catalogue's Plural-Forms order


class Catalogs:
    """Every domain's catalogue of each language merged into one lookup (a msgid means the same everywhere;
    `python -m bot.i18n_tools check` fails when two domains translate it differently)."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {}
        self._plural: dict[str, Callable[[int], int]] = {}
        self._loaded_from: tuple[Path, ...] | None = None
        # Parsed files by (mtime, size): each bot start in the tests reloads, and parsing is the slow part.
        self._parsed: dict[Path, tuple[tuple[int, int], str, dict[str, Entry]]] = {}

    def load(self, directories: Iterable[Path] | None = None) -> None:
        dirs = tuple(directories) if directories is not None else tuple(catalogue_dirs())
        entries: dict[str, dict[str, Entry]] = {}
        plurals: dict[str, Callable[[int], int]] = {}
        for language in LANGUAGES:
            merged: dict[str, Entry] = {}
            plural_expr = None
            for file in (f for d in dirs for f in sorted((d / language / "LC_MESSAGES").glob("*.po"))):
                plural_expr, translated = self._read(file)
                merged.update(translated)
            entries[language] = merged
            plurals[language] = gettext.c2py(plural_expr) if plural_expr else _english_plural
        self._entries, self._plural, self._loaded_from = entries, plurals, dirs

    def _read(self, file: Path) -> tuple[str, dict[str, Entry]]:
        stat = file.stat()
        signature = (stat.st_mtime_ns, stat.st_size)
        cached = self._parsed.get(file)
        if cached is not None and cached[0] == signature:
            return cached[1], cached[2]
        with file.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
        translated: dict[str, Entry] = {}
        for message in catalog:
            if not message.id or message.fuzzy or message.context:
                continue  # the header; a fuzzy guess is not a translation (gettext skips it too)
            if isinstance(message.id, str):
                if isinstance(message.string, str) and message.string:
                    translated[message.id] = message.string
            elif isinstance(message.string, (list, tuple)) and all(message.string):
                translated[message.id[0]] = tuple(message.string)
        self._parsed[file] = (signature, catalog.plural_expr, translated)
        return catalog.plural_expr, translated

    def entries(self, language: str) -> Mapping[str, Entry]:
        if self._loaded_from is None:
            self.load()
        return self._entries.get(language, {})

    def lookup(self, language: str, msgid: str, count: int | None) -> str | None:
        entry = self.entries(language).get(msgid)
        if entry is None or isinstance(entry, str):
            return entry
        index = self._plural[language](count if count is not None else 1)
        return entry[min(index, len(entry) - 1)]


CATALOGS = Catalogs()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
