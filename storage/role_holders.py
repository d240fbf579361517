"""Queries for the roles the bot has seen people hold (table from storage/migrations/0026_role_holders.sql)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from storage.db import Database, to_iso

__all__ = ["RoleHolderQueries"]


class RoleHolderQueries:
    def __init__(self, db: Database) -> None:
        self.db = db
        # (person id, platform) -> the roles last written: a command writes only when they changed.
        self._known: dict[tuple[int, str], frozenset[str]] = {}

    async def seen(self, person_id: int, platform: str, roles: frozenset[str], now: Callable[[], datetime]) -> None:
        """The roles `platform` says the person holds now replace what it said before (`now` is read only then:
        this runs on every update)."""
        if self._known.get((person_id, platform)) == roles:
            return
        async with self.db.transaction():
            await self.db.execute("DELETE FROM role_holders WHERE person_id = ? AND platform = ?",
                                  (person_id, platform))
            for role in sorted(roles):
                await self.db.execute(
                    "INSERT INTO role_holders (person_id, platform, role, seen_at) VALUES (?, ?, ?, ?)",
                    (person_id, platform, role, to_iso(now())))
        self._known[(person_id, platform)] = roles

    async def holders(self, role: str, accounts: Iterable[tuple[str, str]]) -> list[int]:
        """People seen holding `role`, and the people of `accounts` (those given it by id), by person id."""
        found = {int(row["person_id"]) for row in await self.db.fetchall(
            "SELECT DISTINCT person_id FROM role_holders WHERE role = ?", (role,))}
        for platform, user_id in accounts:
            person_id = await self.db.fetchval(
                "SELECT person_id FROM accounts WHERE platform = ? AND lower(platform_user_id) = ?",
                (platform, user_id.lower()))
            if person_id is not None:
                found.add(int(person_id))
        return sorted(found)

    async def of_person(self, person_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT platform, role, seen_at FROM role_holders WHERE person_id = ?"
                                      " ORDER BY platform, role", (person_id,))
        return [dict(row) for row in rows]

    def forget(self, person_id: int) -> None:
        """The cache no longer names a person who is gone (/forgetme) or merged (/link)."""
        for key in [key for key in self._known if key[0] == person_id]:
            del self._known[key]
