"""`humako-bot run`: the configured platforms, or the console when no token is set."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Application

if TYPE_CHECKING:
    from bot.config import Config

log = logging.getLogger(__name__)


def build_application(config: Config, data_dir: Path) -> Application:
    app = Application(config, data_dir)
    if "telegram" in config.enabled_frontends:
        from bot.frontends.telegram import TelegramFrontend

        app.add_frontend(TelegramFrontend(app))
    if "discord" in config.enabled_frontends:
        from bot.frontends.discord import DiscordFrontend

        app.add_frontend(DiscordFrontend(app))
    return app


async def run_bot(config: Config, data_dir: Path) -> int:
    if not {"telegram", "discord"} & set(config.enabled_frontends):
        from bot.frontends.console import run_console

        log.warning("no DISCORD_TOKEN or TELEGRAM_TOKEN set: starting the console instead")
        return await run_console(config, data_dir, None)
    if not config.secrets.secret_key:
        # It signs every button the bot posts (bot/signing.py): a public bot without it could not tell a
        # forged press from a real one.
        log.error("HUMAKO_SECRET_KEY is not set: it signs the bot's buttons; set it to a long random value, "
                  "for example the output of: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return 2
    await build_application(config, data_dir).run_until_stopped()
    return 0
