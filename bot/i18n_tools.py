"""Finding every translatable message in the source, so tests can check both catalogues cover them.

`python -m bot.i18n_tools` prints the messages missing from a catalogue, as TOML lines ready to translate.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.i18n import CATALOGS, LANGUAGES, placeholders

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "cogs")


def source_messages(root: Path = ROOT) -> dict[str, tuple[str, str | None]]:
    """msgid -> (where it is used, its plural form if any), for every `_()` and `ngettext()` call."""
    found: dict[str, tuple[str, str | None]] = {}
    for directory in SOURCE_DIRS:
        for file in sorted((root / directory).rglob("*.py")):
            for msgid, plural, line in _calls(ast.parse(file.read_text(encoding="utf-8"))):
                found.setdefault(msgid, (f"{file.relative_to(root)}:{line}", plural))
    return found


def _calls(tree: ast.AST) -> Iterator[tuple[str, str | None, int]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        args = node.args
        if node.func.id == "_" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            yield args[0].value, None, node.lineno
        elif node.func.id == "ngettext" and len(args) >= 2:
            one, many = args[0], args[1]
            if isinstance(one, ast.Constant) and isinstance(many, ast.Constant):
                yield str(one.value), str(many.value), node.lineno


def missing(language: str) -> list[str]:
    entries = CATALOGS.entries(language)
    return [msgid for msgid in source_messages() if msgid not in entries]


def placeholder_problems(language: str) -> list[str]:
    problems = []
    for msgid, translation in CATALOGS.entries(language).items():
        forms = translation.values() if isinstance(translation, dict) else [translation]
        expected = placeholders(msgid)
        for form in forms:
            extra = placeholders(form) - expected - {"count"}
            lacking = expected - placeholders(form) - {"count"}
            if extra or lacking:
                problems.append(f"{language}: {msgid!r}: placeholders differ ({sorted(extra ^ lacking)})")
    return problems


def main() -> int:
    CATALOGS.load()
    for language in LANGUAGES:
        if language == "en":
            continue  # English is the source language; en files only override wording
        for msgid in missing(language):
            print(f"# {language}: {source_messages()[msgid][0]}")
            print(f"{_toml_string(msgid)} = {_toml_string(msgid)}")
    return 0


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


if __name__ == "__main__":
    sys.exit(main())
