"""Queries for scheduled announcements (table from cogs/announcements/migrations/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, from_iso, to_iso

__all__ = ["Announcement", "AnnouncementQueries"]


@dataclass(frozen=True)
class Announcement:
    id: int
    author_id: int | None
    text_fi: str
    text_en: str | None
    destinations: tuple[str, ...]
    starts_at: datetime
    rule: str | None
    timezone: str
    status: str
    approved_by: int | None
    posts: int

    @classmethod
    def of(cls, row: Row) -> Announcement:
        return cls(row["id"], row["author_id"], row["text_fi"], row["text_en"],
                   tuple(json.loads(row["destinations"])), from_iso(row["starts_at"]), row["rule"],
                   row["timezone"], row["status"], row["approved_by"], row["posts"])


class AnnouncementQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, author_id: int, text_fi: str, text_en: str | None, destinations: list[str],
                  starts_at: datetime, rule: str | None, timezone: str, status: str, now: datetime) -> int:
        return int(await self.db.fetchval(
            "INSERT INTO announcements (author_id, text_fi, text_en, destinations, starts_at, rule, timezone,"
            " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (author_id, text_fi, text_en, json.dumps(destinations), to_iso(starts_at), rule, timezone, status,
             to_iso(now))))

    async def get(self, announcement_id: int) -> Announcement | None:
        row = await self.db.fetchone("SELECT * FROM announcements WHERE id = ?", (announcement_id,))
        return None if row is None else Announcement.of(row)

    async def active(self) -> list[Announcement]:
        rows = await self.db.fetchall(
            "SELECT * FROM announcements WHERE status IN ('waiting', 'scheduled') ORDER BY starts_at, id")
        return [Announcement.of(row) for row in rows]

    async def set_status(self, announcement_id: int, status: str, *, expect: tuple[str, ...],
                         approved_by: int | None = None) -> bool:
        """Move to `status` only from one of `expect` (two approvers pressing at once: one wins)."""
        marks = ",".join("?" * len(expect))
        changed = await self.db.execute(
            f"UPDATE announcements SET status = ?, approved_by = COALESCE(?, approved_by)"
            f" WHERE id = ? AND status IN ({marks})", (status, approved_by, announcement_id, *expect))
        return bool(changed)

    async def posted(self, announcement_id: int) -> None:
        await self.db.execute("UPDATE announcements SET posts = posts + 1 WHERE id = ?", (announcement_id,))

    async def export_person(self, person_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT id, text_fi, text_en, destinations, starts_at, rule, status FROM announcements"
            " WHERE author_id = ? OR approved_by = ? ORDER BY id", (person_id, person_id))
        return [dict(row) for row in rows]

    async def forget_person(self, person_id: int) -> None:
        """Announcements are the union's public words: they stay, without naming who wrote or approved them."""
        await self.db.execute("UPDATE announcements SET author_id = NULL WHERE author_id = ?", (person_id,))
        await self.db.execute("UPDATE announcements SET approved_by = NULL WHERE approved_by = ?", (person_id,))
