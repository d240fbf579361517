"""Logging set-up: readable lines, quiet HTTP clients, and secrets redacted from every record.

httpx logs each request URL at INFO, and a Telegram Bot API URL contains the bot token; the filter below
also catches a token that any other library might print.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

NOISY = ("httpx", "httpcore", "telegram.ext.Updater", "discord.gateway", "discord.client", "aiosqlite",
         "apscheduler.scheduler", "apscheduler.executors.default",
         # At debug level these log every request and update in full: chat and user ids, names, message texts.
         "telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application", "discord.http")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg, record.args = self._redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            # Tracebacks can quote a URL with the token: format them here, redacted, before a handler does.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def configure_logging(level: int, secrets: Iterable[str | None] = ()) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
