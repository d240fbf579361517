"""gettext catalogues: extract the messages from the source, update the .po files, check them.

Domains: `core` holds the messages of bot/; each cog is a domain of its own, named after it (cogs/events/ ->
`events`, cogs/ping.py -> `ping`). A domain's files are its template `<domain>.pot` and one
`<lang>/LC_MESSAGES/<domain>.po` per language, in `cogs/<cog>/locales/` when that cog package has such a
directory, else in the shared `locales/`. Extraction follows `[tool.babel.extract_messages]` and
`[[tool.babel.mappings]]` in pyproject.toml, the settings `pybabel extract` reads too.

    python -m bot.i18n_tools update   write the templates and bring every catalogue up to date: new messages
                                      come in empty, changed English comes in fuzzy with the old translation
    python -m bot.i18n_tools check    list what is left to translate or fix; exit status 1 if anything is

English is the source language: its catalogues are optional and only override wording. Header dates are kept
as they are, so that two branches adding messages don't both rewrite the same line.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import PoFileError, read_po, unescape, write_po
from babel.util import LOCALTZ

from bot.i18n import LANGUAGES, ROOT, catalogue_dirs, placeholders

SOURCE_LANGUAGE = "en"
TRANSLATED = tuple(language for language in LANGUAGES if language != SOURCE_LANGUAGE)  # must be complete
CORE_DOMAIN = "core"
BRACE_FORMAT = "python-brace-format"  # the flag Weblate and Poedit check placeholders by
UPDATE_HINT = "python -m bot.i18n_tools update"


@dataclass(frozen=True)
class Domain:
    name: str
    sources: tuple[Path, ...]  # directories or single modules
    locale_dir: Path

    @property
    def template(self) -> Path:
        return self.locale_dir / f"{self.name}.pot"

    def catalogue(self, language: str) -> Path:
        return self.locale_dir / language / "LC_MESSAGES" / f"{self.name}.po"


@dataclass(frozen=True)
class Settings:
    """What pyproject.toml tells Babel: the markers, the file mapping and how files are written."""

    keywords: dict[str, Any]
    comment_tags: tuple[str, ...]
    method_map: list[tuple[str, str]]
    project: str = "humako-bot"
    version: str = ""
    include_lineno: bool = False
    sort_output: bool = True


def domains(root: Path = ROOT) -> list[Domain]:
    shared = root / "locales"
    found = [Domain(CORE_DOMAIN, (root / "bot",), shared)]
    cogs = root / "cogs"
    for path in sorted(cogs.iterdir()) if cogs.is_dir() else []:
        if path.name.startswith(("_", ".")):
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            own = path / "locales"
            found.append(Domain(path.name, (path,), own if own.is_dir() else shared))
        elif path.suffix == ".py":
            found.append(Domain(path.stem, (path,), shared))
    return found


def settings(root: Path = ROOT) -> Settings:
    with (root / "pyproject.toml").open("rb") as handle:
        pyproject = tomllib.load(handle)
    project, babel = pyproject.get("project", {}), pyproject["tool"]["babel"]
    options = {key.replace("-", "_"): value for key, value in babel.get("extract_messages", {}).items()}
    keywords: dict[str, Any] = {} if options.get("no_default_keywords") else dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(options.get("keywords", [])))
    method_map = [(pattern, mapping["method"]) for mapping in babel.get("mappings", [])
                  for pattern in ([mapping["pattern"]] if isinstance(mapping["pattern"], str) else mapping["pattern"])]
    return Settings(keywords=keywords, comment_tags=tuple(options.get("add_comments", [])), method_map=method_map,
                    project=options.get("project", "humako-bot"), version=project.get("version", ""),
                    include_lineno=options.get("add_location", "full") == "full",
                    sort_output=bool(options.get("sort_output", False)))


def _extracted(domain: Domain, root: Path, config: Settings) -> Iterator[tuple[str, int, Any, list[str], Any]]:
    for source in domain.sources:
        if source.is_dir():
            for filename, lineno, message, comments, context in extract_from_dir(
                    source, config.method_map, keywords=config.keywords, comment_tags=config.comment_tags,
                    strip_comment_tags=True):
                yield (source / filename).relative_to(root).as_posix(), lineno, message, comments, context
        elif source.exists():
            for lineno, message, comments, context in extract_from_file(
                    "python", source, keywords=config.keywords, comment_tags=config.comment_tags,
                    strip_comment_tags=True):
                yield source.relative_to(root).as_posix(), lineno, message, comments, context


def extract(domain: Domain, root: Path = ROOT, config: Settings | None = None) -> Catalog:
    """The domain's template: every `_()` and `ngettext()` message of its sources."""
    config = config or settings(root)
    template = Catalog(domain=domain.name, project=config.project, version=config.version, charset="utf-8",
                       header_comment=f"# Messages of {config.project}: {domain.name}. Made by\n"
                                      f"# {UPDATE_HINT}: do not edit; translate the .po files.")
    for location, lineno, message, comments, context in _extracted(domain, root, config):
        texts = [message] if isinstance(message, str) else list(message)
        flags = [BRACE_FORMAT] if any(placeholders(text) for text in texts) else []
        template.add(message, None, [(location, lineno)], auto_comments=comments, context=context, flags=flags)
    return template


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    for message in [*catalog, *catalog.obsolete.values()]:
        _read_previous(message)
    return catalog


def _read_previous(message: Message) -> None:
    """Babel reads a fuzzy entry's `#| msgid "old English"` as a user comment (and would write it back as
    `# | ...` for ever): make it the previous msgid again."""
    previous: list[str] = []
    kept: list[str] = []
    for comment in message.user_comments:
        if not comment.startswith("| "):
            kept.append(comment)
            continue
        line = comment[2:].strip()
        for keyword in ("msgid_plural ", "msgid "):
            if line.startswith(keyword):
                previous.append("")
                line = line[len(keyword):]
                break
        if previous and line.startswith('"'):
            previous[-1] += unescape(line)
    message.user_comments = kept
    message.previous_id = previous


def write_catalog(path: Path, catalog: Catalog, config: Settings) -> bool:
    """Write `catalog` the one way the tools do; False when the file already says exactly that."""
    for message in catalog:
        if not message.fuzzy:
            message.previous_id = []  # the old English is kept only while the translation awaits a check
    buffer = BytesIO()
    write_po(buffer, catalog, sort_output=config.sort_output, include_lineno=config.include_lineno,
             ignore_obsolete=True, include_previous=True)
    data = buffer.getvalue()
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _new_catalogue(domain: Domain, language: str, template: Catalog, config: Settings) -> Catalog:
    name = Locale.parse(language).english_name
    return Catalog(locale=language, domain=domain.name, project=config.project, version=config.version,
                   fuzzy=False, header_comment=f"# {name} messages of {config.project}: {domain.name}.\n"
                                               f"# New entries: {UPDATE_HINT}\n"
                                               f"# What is left: python -m bot.i18n_tools check",
                   language_team=name, creation_date=template.creation_date,
                   revision_date=datetime.now(LOCALTZ), charset="utf-8")


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _translated(message: Message) -> bool:
    strings = [message.string] if isinstance(message.string, str) else list(message.string or [""])
    return all(strings) and not message.fuzzy


def _languages(domain: Domain) -> list[str]:
    """The languages to keep current: every translated one, and English where a catalogue exists."""
    return [language for language in LANGUAGES
            if language in TRANSLATED or domain.catalogue(language).exists()]


def _known_translations(root: Path) -> dict[str, dict[str, Message]]:
    """Every finished translation in any domain, obsolete ones too: a message that moves between domains
    (a module becoming a cog) keeps its translation."""
    known: dict[str, dict[str, Message]] = {language: {} for language in LANGUAGES}
    for domain in domains(root):
        for language in LANGUAGES:
            path = domain.catalogue(language)
            if path.exists():
                catalog = read_catalog(path)
                for message in [*catalog, *catalog.obsolete.values()]:
                    if message.id and _translated(message):
                        known[language].setdefault(_key(message), message)
    return known


def _stray_files(root: Path) -> list[Path]:
    """Catalogue files in a catalogue directory that belong to no domain there (a removed cog's, or a cog's
    that has since got its own `locales/`): the loader would still read them."""
    expected = {path for domain in domains(root)
                for path in (domain.template, *(domain.catalogue(language) for language in LANGUAGES))}
    found = [path for directory in catalogue_dirs(root)
             for path in (*directory.glob("*.pot"), *directory.glob("*/LC_MESSAGES/*.po"))]
    return sorted(path for path in found if path not in expected)


def _move_to_own_directories(root: Path) -> list[Path]:
    """A cog package that has got its own `locales/` takes its catalogues along from the shared one."""
    moved = []
    shared = root / "locales"
    for domain in domains(root):
        if domain.locale_dir == shared:
            continue
        for language in LANGUAGES:
            old, new = shared / language / "LC_MESSAGES" / f"{domain.name}.po", domain.catalogue(language)
            if old.exists() and not new.exists():
                new.parent.mkdir(parents=True, exist_ok=True)
                old.rename(new)
                moved.append(new)
        (shared / f"{domain.name}.pot").unlink(missing_ok=True)  # made afresh where it belongs
    return moved


def update(root: Path = ROOT) -> list[Path]:
    """Extract every domain, write its template and update its catalogues; returns the files changed."""
    config = settings(root)
    changed = _move_to_own_directories(root)
    known = _known_translations(root)
    for domain in domains(root):
        template = extract(domain, root, config)
        if domain.template.exists():
            template.creation_date = read_catalog(domain.template).creation_date
        if write_catalog(domain.template, template, config):
            changed.append(domain.template)
        for language in _languages(domain):
            path = domain.catalogue(language)
            catalog = (read_catalog(path) if path.exists()
                       else _new_catalogue(domain, language, template, config))
            previous = {_key(message): message.previous_id for message in catalog if message.id}
            catalog.update(template, update_creation_date=False)
            for message in catalog:
                if message.id and message.fuzzy and not message.previous_id:  # Babel's update forgets it
                    message.previous_id = previous.get(_key(message), [])
                elsewhere = known[language].get(_key(message)) if message.id else None
                if (elsewhere is not None and not _translated(message)
                        and isinstance(elsewhere.id, str) == isinstance(message.id, str)):
                    message.string = elsewhere.string
                    message.flags.discard("fuzzy")
                    message.previous_id = []
            if write_catalog(path, catalog, config):
                changed.append(path)
    return changed


def _placeholder_problem(message: Message) -> str | None:
    texts = [message.id] if isinstance(message.id, str) else list(message.id)
    expected = set().union(*(placeholders(text) for text in texts))
    # A plural form may leave the count out ("one comment"); every other placeholder must stay.
    optional = {"count"} if not isinstance(message.id, str) else set()
    strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
    differ = sorted(set().union(*((placeholders(s) ^ expected) - optional for s in strings if s)))
    return f"placeholders differ from the English: {differ}" if differ else None


def _catalogue_problems(catalog: Catalog, language: str, template: Catalog) -> Iterator[tuple[str, str]]:
    """(msgid, problem) for one catalogue against its source template."""
    expected = {_key(message): message for message in template if message.id}
    reference = Catalog(locale=language)
    if catalog.num_plurals != reference.num_plurals:
        yield "", f"Plural-Forms says {catalog.num_plurals} forms, {language} has {reference.num_plurals}"
    seen = set()
    for message in catalog:
        if not message.id:
            continue
        key = _key(message)
        seen.add(key)
        source = expected.get(key)
        if source is None:
            yield key, "obsolete: no longer in the source"
            continue
        if isinstance(source.id, str) != isinstance(message.id, str):
            yield key, "singular/plural differs from the source"
            continue
        if message.fuzzy:
            yield key, "fuzzy: check the translation, then remove the fuzzy flag"
            continue
        if not _translated(message):
            if language in TRANSLATED:
                yield key, "not translated"
            continue
        problem = _placeholder_problem(message)
        if problem:
            yield key, problem
    for obsolete in catalog.obsolete.values():
        yield _key(obsolete), "obsolete entry (#~): delete it"
    if language in TRANSLATED:
        for key in expected:
            if key not in seen:
                yield key, "missing"


def check(root: Path = ROOT) -> list[str]:
    """Everything a translator or developer still has to do, one line each; [] when the catalogues are done."""
    config = settings(root)
    problems: list[str] = []
    translations: dict[tuple[str, str], dict[Any, list[str]]] = {}
    for path in _stray_files(root):
        problems.append(f"{path.relative_to(root)}: belongs to no domain here: run {UPDATE_HINT}, or delete it")
    for domain in domains(root):
        template = extract(domain, root, config)
        where = domain.template.relative_to(root)
        if not domain.template.exists():
            problems.append(f"{where}: no template: run {UPDATE_HINT}")
        elif _shape(read_catalog(domain.template)) != _shape(template):
            problems.append(f"{where}: out of date with the source: run {UPDATE_HINT}")
        for language in _languages(domain):
            path = domain.catalogue(language)
            if not path.exists():
                problems.append(f"{path.relative_to(root)}: missing: run {UPDATE_HINT}")
                continue
            try:
                catalog = read_catalog(path)
            except PoFileError as error:  # Babel reads no further than a broken entry (too many plural forms)
                problems.append(f"{path.relative_to(root)}: cannot be read: {error}")
                continue
            for key, problem in _catalogue_problems(catalog, language, template):
                problems.append(f"{path.relative_to(root)}: {key!r}: {problem}")
            for message in catalog:
                if message.id and _translated(message):
                    string = message.string if isinstance(message.string, str) else tuple(message.string or ())
                    translations.setdefault((language, _key(message)), {}).setdefault(string, []).append(domain.name)
    for (language, key), strings in translations.items():
        if len(strings) > 1:  # one lookup serves every domain, so one of them would silently lose
            names = sorted(name for names in strings.values() for name in names)
            problems.append(f"{language}: {key!r}: translated differently in {names}")
    return problems


def _shape(catalog: Iterable[Message]) -> set[str | tuple[Any, ...]]:
    return {(message.id if isinstance(message.id, str) else tuple(message.id)) for message in catalog if message.id}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.i18n_tools", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("update", "check"))
    args = parser.parse_args(argv)
    if args.command == "update":
        for path in update():
            print(f"updated {path.relative_to(ROOT)}")
    problems = check()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
