"""The gettext catalogues: every source message has a finished Finnish entry, the check catches each way a
catalogue goes wrong, `update` keeps translations when English changes or a message moves, and messages
render per reader's language, plural forms included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import i18n
from bot.i18n import CATALOGS, Catalogs, When, _, catalogue_dirs, ngettext, render
from bot.i18n_tools import check, main, update

ROOT = Path(__file__).resolve().parent.parent

SOURCE = '''from bot.i18n import _, ngettext

GREETING = _("Hello {name}", name="Emma")
# TRANSLATORS: a basket's contents
APPLES = ngettext("{count} apple", "{count} apples", 2)
'''


def test_the_project_catalogues_are_complete_and_current() -> None:
    assert check() == []
    assert main(["check"]) == 0


def test_message_renders_per_language() -> None:
    msg = _("Cancelled.")
    assert render(msg, "fi") == "Peruutettu."
    assert render(msg, "en") == "Cancelled."


def test_dates_render_in_finnish_and_english() -> None:
    moment = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 18.00 in Helsinki
    assert render(When(moment), "fi") == "perjantaina 4.12. klo 18.00"
    assert "18:00" in render(When(moment), "en") and "Friday" in render(When(moment), "en")


# ---------------------------------------------------------------------------------------- a small tree

def po(tree: Path, domain: str = "core", where: str = "locales") -> Path:
    return tree / where / "fi" / "LC_MESSAGES" / f"{domain}.po"


def translate(path: Path) -> None:
    """What a translator does in Poedit: fill in the empty entries of the small tree."""
    text = path.read_text(encoding="utf-8")
    text = text.replace('msgid "Hello {name}"\nmsgstr ""', 'msgid "Hello {name}"\nmsgstr "Hei {name}"')
    text = text.replace('msgstr[0] ""\nmsgstr[1] ""', 'msgstr[0] "{count} omena"\nmsgstr[1] "{count} omenaa"')
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # the extraction settings
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "hello.py").write_text(SOURCE, encoding="utf-8")
    update(tmp_path)
    assert sorted(check(tmp_path)) == [
        "locales/fi/LC_MESSAGES/core.po: 'Hello {name}': not translated",
        "locales/fi/LC_MESSAGES/core.po: '{count} apple': not translated",
    ]
    translate(po(tmp_path))
    assert check(tmp_path) == []
    return tmp_path


@pytest.fixture
def catalogs(monkeypatch: pytest.MonkeyPatch) -> Catalogs:
    """A catalogue set of its own, so a small tree's messages don't replace the project's for other tests."""
    own = Catalogs()
    monkeypatch.setattr(i18n, "CATALOGS", own)
    return own


def test_update_writes_a_template_and_a_finnish_catalogue_with_plural_forms(tree: Path) -> None:
    template = (tree / "locales" / "core.pot").read_text(encoding="utf-8")
    assert '#: bot/hello.py\n#, python-brace-format\nmsgid "Hello {name}"' in template  # no line numbers
    assert "#. a basket's contents" in template
    catalogue = po(tree).read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in catalogue and '"Language: fi\\n"' in catalogue
    assert 'msgid_plural "{count} apples"\nmsgstr[0] "{count} omena"\nmsgstr[1] "{count} omenaa"' in catalogue


def test_update_twice_changes_nothing(tree: Path) -> None:
    before = {path: path.read_bytes() for path in tree.rglob("*.po*")}
    assert update(tree) == []
    assert {path: path.read_bytes() for path in tree.rglob("*.po*")} == before


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new)
    return edit


BROKEN: list[tuple[str, Callable[[str], str], str]] = [
    ("missing", _replace('#: bot/hello.py\n#, python-brace-format\nmsgid "Hello {name}"\nmsgstr "Hei {name}"\n', ""),
     "'Hello {name}': missing"),
    ("empty", _replace('msgstr "Hei {name}"', 'msgstr ""'), "'Hello {name}': not translated"),
    ("empty plural form", _replace('msgstr[1] "{count} omenaa"', 'msgstr[1] ""'), "'{count} apple': not translated"),
    ("fuzzy", _replace("#, python-brace-format\nmsgid \"Hello", "#, fuzzy, python-brace-format\nmsgid \"Hello"),
     "'Hello {name}': fuzzy"),
    ("obsolete", lambda text: text + '\n#~ msgid "Goodbye"\n#~ msgstr "Näkemiin"\n', "'Goodbye': obsolete entry"),
    ("no longer in the source", lambda text: text + '\nmsgid "Goodbye"\nmsgstr "Näkemiin"\n',
     "'Goodbye': obsolete: no longer in the source"),
    ("renamed placeholder", _replace('msgstr "Hei {name}"', 'msgstr "Hei {nimi}"'),
     "'Hello {name}': placeholders differ from the English: ['name', 'nimi']"),
    ("dropped placeholder", _replace('msgstr "Hei {name}"', 'msgstr "Hei"'),
     "'Hello {name}': placeholders differ from the English: ['name']"),
    ("extra placeholder in a plural form", _replace('msgstr[0] "{count} omena"', 'msgstr[0] "{count} omena {name}"'),
     "'{count} apple': placeholders differ from the English: ['name']"),
    ("plural made singular", _replace('msgid_plural "{count} apples"\nmsgstr[0] "{count} omena"\n'
                                      'msgstr[1] "{count} omenaa"', 'msgstr "{count} omenaa"'),
     "'{count} apple': singular/plural differs from the source"),
    ("a plural form too many", _replace('msgstr[1] "{count} omenaa"', 'msgstr[1] "{count} omenaa"\nmsgstr[2] "x"'),
     "cannot be read: msg has more translations than num_plurals"),
]


@pytest.mark.parametrize(("case", "edit", "problem"), BROKEN, ids=[case for case, _, _ in BROKEN])
def test_check_fails_on_a_broken_finnish_catalogue(tree: Path, case: str, edit: Callable[[str], str],
                                                  problem: str) -> None:
    path = po(tree)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    found = check(tree)
    assert any(p.startswith(f"locales/fi/LC_MESSAGES/core.po: {problem}") for p in found), found


def test_check_fails_when_the_template_or_catalogue_is_behind_the_source(tree: Path) -> None:
    source = tree / "bot" / "hello.py"
    source.write_text(SOURCE + '\nBYE = _("Goodbye")\n', encoding="utf-8")
    assert set(check(tree)) == {
        "locales/core.pot: out of date with the source: run python -m bot.i18n_tools update",
        "locales/fi/LC_MESSAGES/core.po: 'Goodbye': missing",
    }
    po(tree).unlink()
    assert "locales/fi/LC_MESSAGES/core.po: missing: run python -m bot.i18n_tools update" in check(tree)


def test_changed_english_comes_back_fuzzy_and_renders_in_english_until_checked(tree: Path, catalogs: Catalogs) -> None:
    source = tree / "bot" / "hello.py"
    source.write_text(SOURCE.replace("Hello {name}", "Hello there {name}"), encoding="utf-8")
    update(tree)
    catalogue = po(tree).read_text(encoding="utf-8")
    assert ('#, fuzzy, python-brace-format\n#| msgid "Hello {name}"\nmsgid "Hello there {name}"\n'
            'msgstr "Hei {name}"') in catalogue
    assert update(tree) == []  # the old English survives another update as it is, for the translator to see
    assert check(tree) == ["locales/fi/LC_MESSAGES/core.po: 'Hello there {name}': fuzzy: check the translation, "
                           "then remove the fuzzy flag"]
    catalogs.load(catalogue_dirs(tree))
    assert render(_("Hello there {name}", name="Emma"), "fi") == "Hello there Emma"  # a guess is not shown
    po(tree).write_text(catalogue.replace("#, fuzzy, python-brace-format", "#, python-brace-format"),
                        encoding="utf-8")
    catalogs.load(catalogue_dirs(tree))
    assert render(_("Hello there {name}", name="Emma"), "fi") == "Hei Emma"
    update(tree)  # checked: the old English goes
    assert "Hello {name}" not in po(tree).read_text(encoding="utf-8") and check(tree) == []


def test_a_cog_package_carries_its_own_catalogue_and_a_moved_message_keeps_its_translation(
        tree: Path, catalogs: Catalogs) -> None:
    cog = tree / "cogs" / "greet"
    (cog / "locales").mkdir(parents=True)
    (tree / "bot" / "hello.py").rename(cog / "__init__.py")  # the module becomes a cog with its own catalogues
    update(tree)
    own = po(tree, "greet", "cogs/greet/locales")
    assert 'msgid "Hello {name}"\nmsgstr "Hei {name}"' in own.read_text(encoding="utf-8")
    assert "Hello {name}" not in po(tree).read_text(encoding="utf-8")
    assert (tree / "cogs" / "greet" / "locales" / "greet.pot").exists()
    assert check(tree) == []
    catalogs.load(catalogue_dirs(tree))
    assert render(_("Hello {name}", name="Emma"), "fi") == "Hei Emma"
    assert [render(ngettext("{count} apple", "{count} apples", n), "fi") for n in (0, 1, 2)] == \
        ["0 omenaa", "1 omena", "2 omenaa"]


def test_a_cog_that_gets_its_own_locales_directory_takes_its_catalogue_along(tree: Path) -> None:
    cog = tree / "cogs" / "greet"
    cog.mkdir(parents=True)
    (tree / "bot" / "hello.py").rename(cog / "__init__.py")
    update(tree)  # first in the shared locales/
    assert 'msgstr "Hei {name}"' in po(tree, "greet").read_text(encoding="utf-8")
    (cog / "locales").mkdir()
    assert check(tree)[0] == ("locales/fi/LC_MESSAGES/greet.po: belongs to no domain here: "
                              "run python -m bot.i18n_tools update, or delete it")
    update(tree)
    assert not po(tree, "greet").exists() and not (tree / "locales" / "greet.pot").exists()
    assert 'msgstr "Hei {name}"' in po(tree, "greet", "cogs/greet/locales").read_text(encoding="utf-8")
    assert check(tree) == []


def test_two_domains_translating_one_message_differently_fail_the_check(tree: Path) -> None:
    cog = tree / "cogs" / "greet"
    cog.mkdir(parents=True)
    (cog / "__init__.py").write_text('from bot.i18n import _\n\nHI = _("Hello {name}", name="Olli")\n')
    update(tree)  # the new domain takes the translation the core already has
    path = po(tree, "greet")
    path.write_text(path.read_text(encoding="utf-8").replace('"Hei {name}"', '"Moi {name}"'), encoding="utf-8")
    assert check(tree) == ["fi: 'Hello {name}': translated differently in ['core', 'greet']"]


# ------------------------------------------------------------------------------------- plural forms

PLURALS = [
    # (the message as the code builds it, count, Finnish, English)
    (lambda n: ngettext("from {count} rating", "from {count} ratings", n), 0, "0 arviota", "from 0 ratings"),
    (lambda n: ngettext("from {count} rating", "from {count} ratings", n), 1, "1 arvio", "from 1 rating"),
    (lambda n: ngettext("from {count} rating", "from {count} ratings", n), 2, "2 arviota", "from 2 ratings"),
    (lambda n: ngettext("{count} comment: /event feedback event:<id> shows it.",
                        "{count} comments: /event feedback event:<id> shows them.", n), 1,
     "1 kommentti: /event feedback event:<id> näyttää sen.", "1 comment: /event feedback event:<id> shows it."),
    (lambda n: ngettext("{count} comment: /event feedback event:<id> shows it.",
                        "{count} comments: /event feedback event:<id> shows them.", n), 0,
     "0 kommenttia: /event feedback event:<id> näyttää ne.", "0 comments: /event feedback event:<id> shows them."),
    (lambda n: ngettext("You already have {count} reminder. Cancel it with /reminders first.",
                        "You already have {count} reminders. Cancel some with /reminders first.", n), 1,
     "Sinulla on jo 1 muistutus. Peru se ensin komennolla /reminders.",
     "You already have 1 reminder. Cancel it with /reminders first."),
    (lambda n: ngettext("You already have {count} reminder. Cancel it with /reminders first.",
                        "You already have {count} reminders. Cancel some with /reminders first.", n), 2,
     "Sinulla on jo 2 muistutusta. Peru ensin joitakin komennolla /reminders.",
     "You already have 2 reminders. Cancel some with /reminders first."),
    (lambda n: ngettext("{param} is too short: at least {count} character.",
                        "{param} is too short: at least {count} characters.", n, param="Nimi"), 1,
     "Nimi on liian lyhyt: vähintään 1 merkki.", "Nimi is too short: at least 1 character."),
    (lambda n: ngettext("{param} is too short: at least {count} character.",
                        "{param} is too short: at least {count} characters.", n, param="Nimi"), 2,
     "Nimi on liian lyhyt: vähintään 2 merkkiä.", "Nimi is too short: at least 2 characters."),
]


@pytest.mark.parametrize(("build", "count", "finnish", "english"), PLURALS)
def test_ngettext_picks_the_plural_form_per_reader_and_count(build: Callable[[int], object], count: int,
                                                            finnish: str, english: str) -> None:
    CATALOGS.load()
    message = build(count)
    assert (render(message, "fi"), render(message, "en")) == (finnish, english)
