"""The scenario driver interface lives in bot/testing.py; re-exported for the scenario modules."""

from __future__ import annotations

from bot.testing import Driver, Seen, Who, text_of

__all__ = ["Driver", "Seen", "Who", "text_of"]
