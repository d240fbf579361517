"""The bot's own logging set-up at its most verbose (`humako-bot run -v`), for tests that search the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.logs import THIRD_PARTY, configure_logging


@contextmanager
def bot_debug_logging(caplog: pytest.LogCaptureFixture, *secrets: str) -> Iterator[None]:
    """configure_logging(DEBUG) as `run -v` does, undone afterwards; caplog sees every record."""
    caplog.set_level(logging.DEBUG)  # first, so that caplog restores the root logger's original level at the end
    levels = {name: logging.getLogger(name).level for name in ("", *THIRD_PARTY)}
    handler = configure_logging(logging.DEBUG, secrets)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
