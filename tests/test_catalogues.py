"""Every message in the source is translated, with the same placeholders, and dates render per language."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import CATALOGS, When, _, render
from bot.i18n_tools import missing, placeholder_problems, source_messages


def test_every_source_message_has_a_finnish_translation() -> None:
    CATALOGS.load()
    assert missing("fi") == []


def test_placeholders_match_in_both_languages() -> None:
    CATALOGS.load()
    assert placeholder_problems("fi") == []
    assert placeholder_problems("en") == []


def test_catalogues_hold_no_stale_keys() -> None:
    CATALOGS.load()
    used = set(source_messages())
    stale = [key for lang in ("fi", "en") for key in CATALOGS.entries(lang) if key not in used]
    assert stale == []


def test_message_renders_per_language() -> None:
    msg = _("Cancelled.")
    assert render(msg, "fi") == "Peruttu."
    assert render(msg, "en") == "Cancelled."


def test_dates_render_in_finnish_and_english() -> None:
    moment = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 18.00 in Helsinki
    assert render(When(moment), "fi") == "perjantaina 4.12. klo 18.00"
    assert "18:00" in render(When(moment), "en") and "Friday" in render(When(moment), "en")
