"""Queries of the calendar feed tokens (table from 0025_calendar_feeds.sql)."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, to_iso

__all__ = ["FeedQueries"]


class FeedQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def token_of(self, person_id: int) -> str | None:
        return await self.db.fetchval(
            "SELECT token FROM calendar_feeds WHERE person_id = ? ORDER BY created_at DESC LIMIT 1", (person_id,))

    async def replace(self, person_id: int, token: str, now: datetime) -> None:
        """The person's only token from now on: every earlier feed URL stops working."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM calendar_feeds WHERE person_id = ?", (person_id,))
            await self.db.execute("INSERT INTO calendar_feeds (token, person_id, created_at) VALUES (?, ?, ?)",
                                  (token, person_id, to_iso(now)))

    async def created(self, person_id: int) -> list[str]:
        """When the person's feed addresses were made (/mydata; the token itself is not repeated there)."""
        rows = await self.db.fetchall("SELECT created_at FROM calendar_feeds WHERE person_id = ? ORDER BY created_at",
                                      (person_id,))
        return [row["created_at"] for row in rows]

    async def person_of(self, token: str) -> int | None:
        return await self.db.fetchval("SELECT person_id FROM calendar_feeds WHERE token = ?", (token,))
