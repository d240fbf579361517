"""Queries for meetings, their members, answers and minutes (tables from cogs/meetings/migrations/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, from_iso, to_iso
from storage.paging import Paged

__all__ = ["Listed", "Meeting", "MeetingQueries"]


@dataclass(frozen=True)
class Meeting:
    id: int
    kind: str
    title: str
    starts_at: datetime
    rule: str | None
    timezone: str
    place: str
    agenda: str | None
    destination: str
    member_role: str | None
    chair_id: int | None
    cancelled: bool
    created_at: datetime | None = None  # the calendar entry's DTSTAMP (meetings are not edited, only cancelled)

    @classmethod
    def of(cls, row: Row) -> Meeting:
        return cls(row["id"], row["kind"], row["title"], from_iso(row["starts_at"]), row["rule"], row["timezone"],
                   row["place"], row["agenda"], row["destination"], row["member_role"], row["chair_id"],
                   row["cancelled_at"] is not None, from_iso(row["created_at"]))


@dataclass(frozen=True)
class Listed:
    """A line of /meeting list: an occurrence held (with its minutes' link, if attached) or a meeting's coming
    one (with its place)."""

    meeting_id: int
    title: str
    at: datetime
    held: bool
    minutes: str | None
    place: str

    @classmethod
    def of(cls, row: Row) -> Listed:
        return cls(row["meeting_id"], row["title"], from_iso(row["at"]), bool(row["held"]), row["minutes"],
                   row["place"])


# /meeting list's rows: the held occurrences kept (meeting_held) in [since, now), and each meeting's coming one.
# Params: since, now. Ordered by time, then as the meetings are (their first start, then id).
_LISTED = (
    "FROM (SELECT m.id AS meeting_id, m.title, m.starts_at AS first_at, h.occurrence_at AS at, 1 AS held,"
    " n.link AS minutes, m.place FROM meeting_held h JOIN meetings m ON m.id = h.meeting_id"
    " LEFT JOIN meeting_minutes n ON n.meeting_id = h.meeting_id AND n.occurrence_at = h.occurrence_at"
    " WHERE m.cancelled_at IS NULL AND h.occurrence_at >= ? AND h.occurrence_at < ?"
    " UNION ALL SELECT id, title, starts_at, next_at, 0, NULL, place FROM meetings"
    " WHERE cancelled_at IS NULL AND next_at IS NOT NULL AND next_at <> '') listed")


class MeetingQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, kind: str, title: str, starts_at: datetime, rule: str | None, timezone: str,
                  place: str, agenda: str | None, destination: str, member_role: str | None, chair_id: int,
                  members: list[int], now: datetime) -> int:
        async with self.db.transaction():
            meeting_id = int(await self.db.fetchval(
                "INSERT INTO meetings (kind, title, starts_at, rule, timezone, place, agenda, destination,"
                " member_role, chair_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (kind, title, to_iso(starts_at), rule, timezone, place, agenda, destination, member_role, chair_id,
                 to_iso(now))))
            await self.db.executemany("INSERT INTO meeting_members (meeting_id, person_id) VALUES (?, ?)"
                                      " ON CONFLICT DO NOTHING",
                                      [(meeting_id, person) for person in members])
        return meeting_id

    async def get(self, meeting_id: int) -> Meeting | None:
        row = await self.db.fetchone("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        return None if row is None else Meeting.of(row)

    async def all(self) -> list[Meeting]:
        rows = await self.db.fetchall("SELECT * FROM meetings WHERE cancelled_at IS NULL ORDER BY starts_at, id")
        return [Meeting.of(row) for row in rows]

    # The listed times (migration 0002): the cog computes them (cogs/meetings/listing.py) for the meetings
    # `due` gives, and /meeting list pages on them.

    async def due(self, now: datetime) -> list[Meeting]:
        """Meetings not cancelled whose listed times are marked ('') or whose coming occurrence has come."""
        rows = await self.db.fetchall(
            "SELECT * FROM meetings WHERE cancelled_at IS NULL AND next_at <= ? ORDER BY id", (to_iso(now),))
        return [Meeting.of(row) for row in rows]

    async def set_times(self, found: list[tuple[int, list[datetime], datetime | None]]) -> None:
        """Per meeting: the occurrences held that the list may show (they replace the kept ones) and the coming
        one (None: none left)."""
        async with self.db.transaction():
            for meeting_id, held, coming in found:
                await self.db.execute("DELETE FROM meeting_held WHERE meeting_id = ?", (meeting_id,))
                await self.db.executemany(
                    "INSERT INTO meeting_held (meeting_id, occurrence_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(meeting_id, to_iso(at)) for at in held])
                await self.db.execute("UPDATE meetings SET next_at = ? WHERE id = ?",
                                      (None if coming is None else to_iso(coming), meeting_id))

    def listed(self, since: datetime, now: datetime) -> Paged[Listed]:
        return Paged(self.db, _LISTED, (to_iso(since), to_iso(now)), "at, first_at, meeting_id", Listed.of)

    async def cancel(self, meeting_id: int, now: datetime) -> None:
        await self.db.execute("UPDATE meetings SET cancelled_at = ? WHERE id = ?", (to_iso(now), meeting_id))

    async def members(self, meeting_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT person_id FROM meeting_members WHERE meeting_id = ? ORDER BY person_id", (meeting_id,))
        return [row["person_id"] for row in rows]

    async def of_member(self, person_id: int) -> list[Meeting]:
        rows = await self.db.fetchall(
            "SELECT m.* FROM meetings m JOIN meeting_members mm ON mm.meeting_id = m.id"
            " WHERE mm.person_id = ? AND m.cancelled_at IS NULL ORDER BY m.starts_at", (person_id,))
        return [Meeting.of(row) for row in rows]

    async def answer(self, meeting_id: int, at: datetime, person_id: int, answer: str) -> None:
        await self.db.execute(
            "INSERT INTO meeting_answers (meeting_id, occurrence_at, person_id, answer) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (meeting_id, occurrence_at, person_id) DO UPDATE SET answer = excluded.answer",
            (meeting_id, to_iso(at), person_id, answer))

    async def answers(self, meeting_id: int, at: datetime) -> dict[int, str]:
        rows = await self.db.fetchall(
            "SELECT person_id, answer FROM meeting_answers WHERE meeting_id = ? AND occurrence_at = ?",
            (meeting_id, to_iso(at)))
        return {row["person_id"]: row["answer"] for row in rows}

    async def set_minutes(self, meeting_id: int, at: datetime, link: str) -> None:
        await self.db.execute(
            "INSERT INTO meeting_minutes (meeting_id, occurrence_at, link) VALUES (?, ?, ?)"
            " ON CONFLICT (meeting_id, occurrence_at) DO UPDATE SET link = excluded.link",
            (meeting_id, to_iso(at), link))

    async def export_person(self, person_id: int) -> dict[str, Any]:
        member = await self.db.fetchall(
            "SELECT meeting_id FROM meeting_members WHERE person_id = ? ORDER BY meeting_id", (person_id,))
        answers = await self.db.fetchall(
            "SELECT meeting_id, occurrence_at, answer FROM meeting_answers WHERE person_id = ?"
            " ORDER BY meeting_id, occurrence_at", (person_id,))
        chaired = await self.db.fetchall("SELECT id FROM meetings WHERE chair_id = ? ORDER BY id", (person_id,))
        return {"member_of": [r["meeting_id"] for r in member], "answers": [dict(r) for r in answers],
                "chair_of": [r["id"] for r in chaired]}

    async def forget_person(self, person_id: int) -> None:
        await self.db.execute("DELETE FROM meeting_answers WHERE person_id = ?", (person_id,))
        await self.db.execute("DELETE FROM meeting_members WHERE person_id = ?", (person_id,))
        await self.db.execute("UPDATE meetings SET chair_id = NULL WHERE chair_id = ?", (person_id,))

    async def merge_people(self, keep_id: int, gone_id: int) -> None:
        """One membership and one answer per occurrence stay: the kept person's."""
        await self.db.execute(
            "DELETE FROM meeting_members WHERE person_id = ? AND meeting_id IN"
            " (SELECT meeting_id FROM meeting_members WHERE person_id = ?)", (gone_id, keep_id))
        await self.db.execute(
            "DELETE FROM meeting_answers WHERE person_id = ? AND (meeting_id, occurrence_at) IN"
            " (SELECT meeting_id, occurrence_at FROM meeting_answers WHERE person_id = ?)", (gone_id, keep_id))
