"""Roles from config: who is a tutor, an organiser, the board. Frontends add what only they can see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.context import Account

EVERYONE = "student"  # anyone who talks to the bot can use the student commands


class Roles:
    def __init__(self, config: Config) -> None:
        self.config = config
        # (platform, user id) -> roles given by id in config, built once: it is asked on every command.
        by_account: dict[tuple[str, str], set[str]] = {}
        for role, source in config.roles.items():
            for platform, ids in (("console", source.console_users), ("discord", source.discord_user_ids),
                                  ("telegram", source.telegram_user_ids)):
                for user_id in ids:
                    by_account.setdefault((platform, str(user_id).lower()), {EVERYONE}).add(role)
        self._by_account = {key: frozenset(roles) for key, roles in by_account.items()}
        self._everyone = frozenset({EVERYONE})
        # Discord role id -> the configured roles it gives; and the answers for role id sets seen (a handful).
        by_discord_role: dict[int, set[str]] = {}
        for role, source in config.roles.items():
            for role_id in source.discord_role_ids:
                by_discord_role.setdefault(role_id, set()).add(role)
        self._by_discord_role = {key: frozenset(roles) for key, roles in by_discord_role.items()}
        self._discord_sets: dict[frozenset[int], frozenset[str]] = {}

    def configured_roles(self, account: Account) -> frozenset[str]:
        """Roles given to this account by id in config (console names, Discord / Telegram user ids)."""
        return self._by_account.get((account.platform, account.user_id.lower()), self._everyone)

    def accounts_with(self, role: str) -> list[tuple[str, str]]:
        """(platform, user id) of the accounts given `role` by id in config."""
        return [key for key, roles in self._by_account.items() if role in roles]

    def for_discord_role_ids(self, role_ids: Iterable[int]) -> frozenset[str]:
        held = frozenset(role_ids)
        roles = self._discord_sets.get(held)
        if roles is None:
            if len(self._discord_sets) >= 1024:  # members' role combinations: few, but keep memory bounded
                self._discord_sets.clear()
            found = [self._by_discord_role[i] for i in held if i in self._by_discord_role]
            roles = self._discord_sets[held] = frozenset().union(*found)
        return roles

    def telegram_team_chats(self) -> dict[int, set[str]]:
        """Team chat id -> the roles its members hold (membership of the advocacy group = advocacy)."""
        chats: dict[int, set[str]] = {}
        for role, source in self.config.roles.items():
            for chat_id in source.telegram_chat_ids:
                chats.setdefault(chat_id, set()).add(role)
        return chats
