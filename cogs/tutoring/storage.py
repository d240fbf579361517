"""Queries for tutoring requests, their transcripts and the tutors' roster (cogs/tutoring/migrations/).

A claim is one conditional UPDATE (state 'open' -> 'claimed'), so of two tutors pressing Claim at once exactly
one wins; SQLite runs one writer at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, from_iso, to_iso

__all__ = ["OPEN_STATES", "Request", "TutoringQueries"]

OPEN_STATES = ("open", "claimed")


@dataclass(frozen=True)
class Request:
    id: int
    student_id: int | None
    topic: str
    language: str
    campus: str | None  # None: online
    description: str
    answers: tuple[tuple[str, str], ...]  # intake questions and answers
    state: str
    tutor_id: int | None
    second_id: int | None
    offered_to: int | None
    conversation_id: int | None
    destination: str
    created_at: datetime
    claimed_at: datetime | None
    first_answer_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    rating: int | None
    comment: str | None

    @property
    def closed(self) -> bool:
        return self.state not in OPEN_STATES

    def tutors(self) -> list[int]:
        return [t for t in (self.tutor_id, self.second_id) if t is not None]

    @classmethod
    def from_row(cls, row: Row) -> Request:
        def when(name: str) -> datetime | None:
            return from_iso(row[name]) if row[name] else None

        answers = tuple((str(q), str(a)) for q, a in json.loads(row["answers"] or "[]"))
        return cls(row["id"], row["student_id"], row["topic"], row["language"], row["campus"], row["description"],
                   answers, row["state"], row["tutor_id"], row["second_id"], row["offered_to"], row["conversation_id"],
                   row["destination"], from_iso(row["created_at"]), when("claimed_at"), when("first_answer_at"),
                   when("closed_at"), row["closed_by"], row["rating"], row["comment"])


class TutoringQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------------ requests

    async def create(self, student_id: int, topic: str, language: str, campus: str | None, description: str,
                     answers: list[tuple[str, str]], destination: str, now: datetime) -> int:
        return await self.db.fetchval(
            "INSERT INTO tutoring_requests (student_id, topic, language, campus, description, answers, destination,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (student_id, topic, language, campus, description, json.dumps(answers, ensure_ascii=False), destination,
             to_iso(now)))

    async def get(self, request_id: int) -> Request | None:
        row = await self.db.fetchone("SELECT * FROM tutoring_requests WHERE id = ?", (request_id,))
        return None if row is None else Request.from_row(row)

    async def by_conversation(self, conversation_id: int) -> Request | None:
        row = await self.db.fetchone("SELECT * FROM tutoring_requests WHERE conversation_id = ?", (conversation_id,))
        return None if row is None else Request.from_row(row)

    async def place(self, request_id: int) -> int:
        """Its place among the unclaimed requests, oldest first (1 = next); 0 when it is not waiting."""
        value = await self.db.fetchval(
            "SELECT CASE WHEN (SELECT state FROM tutoring_requests WHERE id = ?) = 'open'"
            " THEN (SELECT COUNT(*) FROM tutoring_requests WHERE state = 'open' AND id <= ?) ELSE 0 END",
            (request_id, request_id))
        return int(value or 0)

    async def open_after(self, request_id: int) -> list[int]:
        """Unclaimed requests behind this one: their place moves when it leaves the queue."""
        rows = await self.db.fetchall(
            "SELECT id FROM tutoring_requests WHERE state = 'open' AND id > ? ORDER BY id", (request_id,))
        return [row["id"] for row in rows]

    async def queue(self, campus: str | None = None, language: str | None = None, topic: str | None = None,
                    online: bool | None = None) -> list[Request]:
        """Unclaimed requests, oldest first, filtered."""
        sql, params = "SELECT * FROM tutoring_requests WHERE state = 'open'", []
        if campus is not None:
            sql += " AND campus = ?"
            params.append(campus)
        if online is not None:
            sql += " AND campus IS NULL" if online else " AND campus IS NOT NULL"
        if language is not None:
            sql += " AND language = ?"
            params.append(language)
        if topic is not None:
            sql += " AND topic = ?"
            params.append(topic)
        return [Request.from_row(row) for row in await self.db.fetchall(sql + " ORDER BY id", params)]

    async def of_person(self, person_id: int) -> list[Request]:
        """Open requests the person asked or helps with, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM tutoring_requests WHERE state IN ('open', 'claimed')"
            " AND (student_id = ? OR tutor_id = ? OR second_id = ?) ORDER BY id", (person_id, person_id, person_id))
        return [Request.from_row(row) for row in rows]

    async def claim(self, request_id: int, tutor_id: int, now: datetime) -> bool:
        """Claimed by this tutor if nobody has it: True for the one tutor who got it."""
        return await self.db.execute(
            "UPDATE tutoring_requests SET state = 'claimed', tutor_id = ?, claimed_at = COALESCE(claimed_at, ?)"
            " WHERE id = ? AND state = 'open' AND (student_id IS NULL OR student_id <> ?)",
            (tutor_id, to_iso(now), request_id, tutor_id)) == 1

    async def requeue(self, request_id: int) -> None:
        await self.db.execute("UPDATE tutoring_requests SET tutor_id = second_id, second_id = NULL, offered_to = NULL,"
                              " state = CASE WHEN second_id IS NULL THEN 'open' ELSE 'claimed' END"
                              " WHERE id = ? AND state = 'claimed' AND tutor_id IS NULL", (request_id,))

    async def set_conversation(self, request_id: int, conversation_id: int) -> None:
        await self.db.execute("UPDATE tutoring_requests SET conversation_id = ? WHERE id = ?",
                              (conversation_id, request_id))

    async def release(self, request_id: int, tutor_id: int) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET state = 'open', tutor_id = second_id, second_id = NULL, offered_to = NULL"
            " WHERE id = ? AND state = 'claimed' AND tutor_id = ? AND second_id IS NULL", (request_id, tutor_id)) == 1

    async def offer(self, request_id: int, tutor_id: int, to: int) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET offered_to = ? WHERE id = ? AND state = 'claimed' AND tutor_id = ?",
            (to, request_id, tutor_id)) == 1

    async def accept(self, request_id: int, to: int) -> int | None:
        """The offer taken: the new tutor in place of the old one, whose id is returned (None: no such offer)."""
        async with self.db.transaction():
            old = await self.db.fetchval(
                "SELECT tutor_id FROM tutoring_requests WHERE id = ? AND state = 'claimed' AND offered_to = ?",
                (request_id, to))
            if old is None:
                return None
            await self.db.execute(
                "UPDATE tutoring_requests SET tutor_id = ?, offered_to = NULL,"
                " second_id = CASE WHEN second_id = ? THEN NULL ELSE second_id END WHERE id = ?",
                (to, to, request_id))
            return int(old)

    async def decline(self, request_id: int, to: int) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET offered_to = NULL WHERE id = ? AND offered_to = ?", (request_id, to)) == 1

    async def add_second(self, request_id: int, second_id: int) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET second_id = ? WHERE id = ? AND state = 'claimed' AND second_id IS NULL"
            " AND tutor_id <> ? AND (student_id IS NULL OR student_id <> ?)",
            (second_id, request_id, second_id, second_id)) == 1

    async def close(self, request_id: int, state: str, by: str, now: datetime) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET state = ?, closed_by = ?, closed_at = ?, offered_to = NULL"
            " WHERE id = ? AND state IN ('open', 'claimed')", (state, by, to_iso(now), request_id)) == 1

    async def rate(self, request_id: int, student_id: int, rating: int) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET rating = ? WHERE id = ? AND student_id = ? AND rating IS NULL"
            " AND state = 'resolved'", (rating, request_id, student_id)) == 1

    async def comment(self, request_id: int, student_id: int, text: str) -> bool:
        return await self.db.execute(
            "UPDATE tutoring_requests SET comment = ? WHERE id = ? AND student_id = ? AND rating IS NOT NULL"
            " AND comment IS NULL", (text, request_id, student_id)) == 1

    async def answered(self, request_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE tutoring_requests SET first_answer_at = COALESCE(first_answer_at, ?) WHERE id = ?",
            (to_iso(now), request_id))

    # -------------------------------------------------------------------------------------- transcripts

    async def add_message(self, request_id: int, person_id: int, author: str, text: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO tutoring_messages (request_id, person_id, author, text, at) VALUES (?, ?, ?, ?, ?)",
            (request_id, person_id, author, text, to_iso(now)))

    async def transcript(self, request_id: int) -> list[tuple[datetime, str, str]]:
        rows = await self.db.fetchall(
            "SELECT author, text, at FROM tutoring_messages WHERE request_id = ? ORDER BY id", (request_id,))
        return [(from_iso(row["at"]), row["author"], row["text"]) for row in rows]

    async def purge_transcript(self, request_id: int) -> None:
        await self.db.execute("DELETE FROM tutoring_messages WHERE request_id = ?", (request_id,))

    # ------------------------------------------------------------------------------------------- tutors

    async def seen(self, person_id: int) -> None:
        await self.db.execute("INSERT INTO tutoring_tutors (person_id) VALUES (?) ON CONFLICT DO NOTHING",
                              (person_id,))

    async def set_away(self, person_id: int, away: bool) -> None:
        await self.db.execute(
            "INSERT INTO tutoring_tutors (person_id, away) VALUES (?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET away = excluded.away", (person_id, int(away)))

    async def is_away(self, person_id: int) -> bool:
        return bool(await self.db.fetchval("SELECT away FROM tutoring_tutors WHERE person_id = ?", (person_id,)))

    async def present_tutors(self) -> list[int]:
        rows = await self.db.fetchall("SELECT person_id FROM tutoring_tutors WHERE away = 0 ORDER BY person_id")
        return [row["person_id"] for row in rows]

    # -------------------------------------------------------------------------------------------- stats

    async def since(self, start: datetime) -> list[Request]:
        rows = await self.db.fetchall("SELECT * FROM tutoring_requests WHERE created_at >= ? ORDER BY id",
                                      (to_iso(start),))
        return [Request.from_row(row) for row in rows]

    # ------------------------------------------------------------------------------------------- people

    async def export_person(self, person_id: int) -> dict[str, Any]:
        asked = await self.db.fetchall(
            "SELECT id, topic, language, campus, description, answers, state, created_at, closed_at, rating, comment"
            " FROM tutoring_requests WHERE student_id = ? ORDER BY id", (person_id,))
        helped = await self.db.fetchall(
            "SELECT id, state, created_at, closed_at FROM tutoring_requests"
            " WHERE tutor_id = ? OR second_id = ? OR offered_to = ? ORDER BY id", (person_id, person_id, person_id))
        messages = await self.db.fetchall(
            "SELECT m.request_id, m.author, m.text, m.at FROM tutoring_messages m"
            " JOIN tutoring_requests r ON r.id = m.request_id WHERE r.student_id = ? OR m.person_id = ?"
            " ORDER BY m.id", (person_id, person_id))
        away = await self.db.fetchval("SELECT away FROM tutoring_tutors WHERE person_id = ?", (person_id,))
        return {
            "requests": [dict(row) for row in asked],
            "helped_with": [dict(row) for row in helped],
            "messages": [dict(row) for row in messages],
            "tutor": None if away is None else {"away": bool(away)},
        }

    async def forget_person(self, person_id: int) -> list[int]:
        """The student's requests anonymised (texts and transcripts gone, the row kept for the stats), the
        tutor's name off theirs; returns the ids of open requests that named them."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT id FROM tutoring_requests WHERE state IN ('open', 'claimed')"
                " AND (student_id = ? OR tutor_id = ? OR second_id = ? OR offered_to = ?)",
                (person_id, person_id, person_id, person_id))
            await self.db.execute(
                "DELETE FROM tutoring_messages WHERE request_id IN"
                " (SELECT id FROM tutoring_requests WHERE student_id = ?)", (person_id,))
            await self.db.execute(
                "UPDATE tutoring_requests SET student_id = NULL, description = '', answers = '[]', comment = NULL"
                " WHERE student_id = ?", (person_id,))
            for column in ("tutor_id", "second_id", "offered_to"):
                await self.db.execute(f"UPDATE tutoring_requests SET {column} = NULL WHERE {column} = ?",
                                      (person_id,))
            await self.db.execute("UPDATE tutoring_messages SET person_id = NULL, author = '' WHERE person_id = ?",
                                  (person_id,))
            await self.db.execute("DELETE FROM tutoring_tutors WHERE person_id = ?", (person_id,))
            return [row["id"] for row in rows]

    async def merge_people(self, keep: int, gone: int) -> None:
        await self.db.execute(
            "INSERT INTO tutoring_tutors (person_id, away)"
            " SELECT CAST(? AS BIGINT), away FROM tutoring_tutors WHERE person_id = ?"
            " ON CONFLICT (person_id) DO NOTHING", (keep, gone))
        await self.db.execute("DELETE FROM tutoring_tutors WHERE person_id = ?", (gone,))
