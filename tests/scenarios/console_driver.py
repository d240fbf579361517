"""The console scenario driver lives in bot/testing.py; re-exported beside the Telegram and Discord ones."""

from __future__ import annotations

from bot.testing import ConsoleDriver

__all__ = ["ConsoleDriver"]
