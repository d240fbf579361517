"""Queries for scheduled announcements (table from cogs/announcements/migrations/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, from_iso, to_iso
from storage.paging import Paged

__all__ = ["Announcement", "AnnouncementQueries", "Planned"]


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


@dataclass(frozen=True)
class Planned:
    """A line of the calendar: a post of a scheduled announcement (`announcement_id`, its text and
    destinations), or a post from elsewhere (`announcement_id` 0; `ref`: its index in the list given)."""

    at: datetime
    announcement_id: int
    ref: int
    text_fi: str | None
    destinations: tuple[str, ...]

    @classmethod
    def of(cls, row: Row) -> Planned:
        return cls(from_iso(row["at"]), row["announcement_id"], row["ref"], row["text_fi"],
                   tuple(json.loads(row["destinations"])) if row["destinations"] else ())


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

    async def waiting_count(self) -> int:
        return int(await self.db.fetchval("SELECT COUNT(*) FROM announcements WHERE status = 'waiting'"))

    # The stored posts (migration 0002): the cog computes them (cogs/announcements/calendar.py) for the
    # announcements `due` gives, and the calendar pages on them.

    async def due(self, until: datetime) -> list[Announcement]:
        """Scheduled announcements whose stored posts are marked ('') or do not reach `until`."""
        rows = await self.db.fetchall(
            "SELECT * FROM announcements WHERE status = 'scheduled' AND planned_until < ? ORDER BY id",
            (to_iso(until),))
        return [Announcement.of(row) for row in rows]

    async def set_posts(self, found: list[tuple[int, list[datetime]]], until: datetime) -> None:
        """Per announcement, its posts from now until `until` (they replace the stored ones)."""
        async with self.db.transaction():
            for announcement_id, posts in found:
                await self.db.execute("DELETE FROM announcement_posts WHERE announcement_id = ?", (announcement_id,))
                await self.db.executemany(
                    "INSERT INTO announcement_posts (announcement_id, post_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(announcement_id, to_iso(at)) for at in posts])
                await self.db.execute("UPDATE announcements SET planned_until = ? WHERE id = ?",
                                      (to_iso(until), announcement_id))

    def calendar(self, since: datetime, until: datetime, source: str,
                 others: list[tuple[datetime, str]]) -> Paged[Planned]:
        """The posts in [since, until): the scheduled announcements' stored ones (under `source`, the cog's
        name) and `others` (time, source) given in their order, in one query ordered by time and source as
        the calendar is (then the announcements as they were scheduled, the others in their order)."""
        extra = "".join(" UNION ALL SELECT CAST(? AS TEXT), CAST(? AS TEXT), '', 0, CAST(? AS INTEGER), NULL, NULL"
                        for _ in others)
        sql = ("FROM (SELECT p.post_at AS at, CAST(? AS TEXT) AS source, a.starts_at AS first_at,"
               " a.id AS announcement_id, 0 AS ref, a.text_fi, a.destinations FROM announcement_posts p"
               " JOIN announcements a ON a.id = p.announcement_id"
               f" WHERE a.status = 'scheduled' AND p.post_at >= ? AND p.post_at < ?{extra}) posts")
        params: list[Any] = [source, to_iso(since), to_iso(until)]
        for index, (at, where_from) in enumerate(others):
            params += [to_iso(at), where_from, index]
        return Paged(self.db, sql, tuple(params), "at, source, first_at, announcement_id, ref", Planned.of)

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
