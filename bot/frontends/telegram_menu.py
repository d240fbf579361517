"""The command menus: set_my_commands per language (fi, en) and chat kind (private, group).

Telegram shows the menu that matches the reader's app language and the chat; a private-only command is
left out of group menus, and commands only some roles may use are left out everywhere (they still work).
A menu is only written when it differs from what Telegram already holds, so restarts cost no writes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)

from bot.frontends.telegram_render import menu
from bot.i18n import LANGUAGES
from bot.roles import EVERYONE

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


def wanted_menus(app: Application) -> list[tuple[BotCommandScope, str, list[BotCommand]]]:
    """(scope, language_code, commands); language "" is the fallback for every other language."""
    specs = app.core.visible_commands(frozenset({EVERYONE}))  # the menu everyone sees: no team commands
    default = app.config.community.default_language
    menus: list[tuple[BotCommandScope, str, list[BotCommand]]] = []
    for language in LANGUAGES:
        menus.append((BotCommandScopeAllPrivateChats(), language, menu(specs, language, groups=False)))
        menus.append((BotCommandScopeAllGroupChats(), language, menu(specs, language, groups=True)))
    menus.append((BotCommandScopeDefault(), "", menu(specs, default, groups=False)))
    return menus


async def sync_menus(bot: Bot, app: Application) -> int:
    """Write the menus that changed; returns how many were written."""
    written = 0
    for scope, language, commands in wanted_menus(app):
        current = await bot.get_my_commands(scope=scope, language_code=language or None)
        if list(current) == commands:
            continue
        await bot.set_my_commands(commands, scope=scope, language_code=language or None)
        written += 1
    log.info("telegram: %s command menus updated", written)
    return written
