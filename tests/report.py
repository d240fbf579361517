"""Sections a test adds to the terminal report (tests/conftest.py prints them after the run)."""

from __future__ import annotations

import pytest

SECTIONS = pytest.StashKey[dict[str, str]]()


def add_section(config: pytest.Config, title: str, text: str) -> None:
    config.stash.setdefault(SECTIONS, {})[title] = text
