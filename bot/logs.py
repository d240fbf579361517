"""Logging set-up: readable lines, and at every level nothing about the people the bot talks to.

What must never reach a log line: message texts, names, platform ids of people, /link codes, tokens, the
secret key. Three measures keep it so, whatever `-v` asks for:

- The platform libraries and their HTTP clients log at WARNING at most. At DEBUG, python-telegram-bot logs
  every request and update in full (texts, names, user ids, /link codes) and discord.py every REST payload
  and gateway event; httpx logs each request URL at INFO, and a Bot API URL contains the bot token.
- Our own log calls name internal ids only (person 42, outbox row 7, update 1234, interaction 99…).
- `Privacy`, on every handler, redacts the secrets and withholds the message of any exception that may
  quote data (`ValueError: invalid literal for int(): 'what someone typed'`): a traceback keeps its frames
  and exception types. Messages of network, database and platform errors (which carry no user text, only
  status and URLs, and those are redacted) stay: they say what went wrong.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import traceback
from collections.abc import Iterable
from typing import TextIO

# Loggers of libraries that log payloads, URLs with the token, or SQL with its parameters below WARNING.
THIRD_PARTY = ("telegram", "discord", "httpx", "httpcore", "hpack", "aiohttp", "tornado", "aiosqlite",
               "apscheduler", "websockets", "urllib3")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WITHHELD = "(message withheld: it may quote user data)"
# Exceptions whose messages describe the failure, not the data: kept in tracebacks.
SAFE_MESSAGES: tuple[type[BaseException], ...] = (OSError, sqlite3.Error)
SAFE_MODULES = ("telegram", "discord", "aiohttp", "httpx", "httpcore", "asyncio", "concurrent")


def _third_party(name: str) -> bool:
    return any(name == lib or name.startswith(lib + ".") for lib in THIRD_PARTY)


def _safe(error: BaseException) -> bool:
    module = type(error).__module__.split(".")[0]
    return isinstance(error, SAFE_MESSAGES) or module in SAFE_MODULES


def format_exception(error: BaseException) -> str:
    """A traceback like Python's, each chained exception's message kept only when it is safe (see above)."""
    chain: list[tuple[BaseException, str]] = []
    current: BaseException | None = error
    link = ""
    while current is not None and all(current is not seen for seen, _ in chain):
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another occurred:"
        else:
            current = None
    parts: list[str] = []
    for exc, following in reversed(chain):
        name = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
        message = str(exc) if _safe(exc) else (WITHHELD if str(exc) else "")
        parts.append("Traceback (most recent call last):\n" + "".join(traceback.format_tb(exc.__traceback__))
                     + (f"{name}: {message}" if message else name))
        if following:
            parts.append(f"\n{following}\n")
    return "\n".join(parts)


class Privacy(logging.Filter):
    """On every handler: drops what the platform libraries log below WARNING (should their level be reset),
    withholds unsafe exception messages, and redacts the secrets from the line and its traceback."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and _third_party(record.name):
            return False
        if record.exc_info and record.exc_info[1] is not None:
            # Always ours, even if another handler formatted (and cached) the traceback before this one.
            record.exc_text = format_exception(record.exc_info[1])
        if self.secrets:
            record.msg, record.args = self._redact(record.getMessage()), None
            if record.exc_text:
                record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def configure_logging(level: int, secrets: Iterable[str | None] = (), stream: TextIO | None = None
                      ) -> logging.Handler:
    """Log at `level` to `stream` (stderr) through `Privacy`; the platform libraries at WARNING at most.
    Returns the handler (a test removes it again)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Privacy(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
