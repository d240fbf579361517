"""The console test bot now lives in bot/testing.py (the public kit for cog tests); this re-export keeps the
older tests' imports working."""

from __future__ import annotations

from bot.config import REPO_ROOT as ROOT
from bot.testing import TEST_NOW, ConsoleBot, texts
from bot.testing import make_config as test_config

__all__ = ["ROOT", "TEST_NOW", "ConsoleBot", "test_config", "texts"]
