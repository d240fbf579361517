"""The test notes cog's queries: its SQL lives next to its migrations, not in the core's storage/."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, to_iso


class NoteQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, person_id: int, body: str, tag: str, now: datetime) -> int:
        return await self.db.fetchval("INSERT INTO test_notes (person_id, body, tag, created_at) VALUES (?, ?, ?, ?)"
                                      " RETURNING id",
                                     (person_id, body, tag, to_iso(now)))

    async def of_person(self, person_id: int) -> list[str]:
        rows = await self.db.fetchall("SELECT body FROM test_notes WHERE person_id = ? ORDER BY id", (person_id,))
        return [row["body"] for row in rows]

    async def tags_of(self, person_id: int) -> list[str]:
        rows = await self.db.fetchall("SELECT DISTINCT tag FROM test_notes WHERE person_id = ? ORDER BY tag",
                                      (person_id,))
        return [row["tag"] for row in rows]

    async def forget(self, person_id: int) -> None:
        await self.db.execute("DELETE FROM test_notes WHERE person_id = ?", (person_id,))
