"""Every query of the feedback cog (its tables: migrations/0001_feedback.sql)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row, from_iso, to_iso

STATES = ("waiting", "open", "answered", "handled")


@dataclass(frozen=True)
class Case:
    code: str
    category: str
    team: str
    campus: str | None
    handle: str
    sender: str
    state: str
    conversation_id: int | None
    escalated: bool
    created_hour: datetime
    first_answer_hour: datetime | None
    last_hour: datetime


@dataclass(frozen=True)
class Pending:
    token: str
    code: str
    text: str


def _case(r: Row) -> Case:
    return Case(r["code"], r["category"], r["team"], r["campus"], r["handle"], r["sender"], r["state"],
                r["conversation_id"], bool(r["escalated"]), from_iso(r["created_hour"]),
                from_iso(r["first_answer_hour"]) if r["first_answer_hour"] else None, from_iso(r["last_hour"]))


class FeedbackQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----------------------------------------------------------------------------------------- cases

    async def create(self, *, code: str, category: str, campus: str | None, handle: str, sender: str,
                     hour: datetime, token: str, text: str, due_at: datetime) -> None:
        """The case and its first message, waiting for its delay, in one transaction."""
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO feedback_cases (code, category, team, campus, handle, sender, state, created_hour,"
                " last_hour) VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?)",
                (code, category, category, campus, handle, sender, to_iso(hour), to_iso(hour)))
            await self._pend(token, code, text, due_at)

    async def exists(self, code: str) -> bool:
        return await self.db.fetchval("SELECT 1 FROM feedback_cases WHERE code = ?", (code,)) is not None

    async def get(self, code: str) -> Case | None:
        row = await self.db.fetchone("SELECT * FROM feedback_cases WHERE code = ?", (code,))
        return _case(row) if row is not None else None

    async def of_conversation(self, conversation_id: int) -> Case | None:
        row = await self.db.fetchone("SELECT * FROM feedback_cases WHERE conversation_id = ?", (conversation_id,))
        return _case(row) if row is not None else None

    async def for_teams(self, teams: Iterable[str], *, handled: bool = False) -> list[Case]:
        """Delivered cases the teams hold, oldest first; handled ones only when asked."""
        wanted = list(teams)
        if not wanted:
            return []
        marks = ", ".join("?" for _t in wanted)
        states = "('open', 'answered', 'handled')" if handled else "('open', 'answered')"
        rows = await self.db.fetchall(
            f"SELECT * FROM feedback_cases WHERE team IN ({marks}) AND state IN {states}"
            " ORDER BY created_hour, code", wanted)
        return [_case(r) for r in rows]

    async def open_handles(self) -> list[tuple[str, str]]:
        """(code, handle) of every case not handled: /mydata and /forgetme find a sender's among them."""
        rows = await self.db.fetchall("SELECT code, handle FROM feedback_cases WHERE state != 'handled'"
                                      " ORDER BY code")
        return [(r["code"], r["handle"]) for r in rows]

    async def of_handles(self, handles: Iterable[str]) -> list[Case]:
        wanted = list(handles)
        if not wanted:
            return []
        marks = ", ".join("?" for _h in wanted)
        rows = await self.db.fetchall(f"SELECT * FROM feedback_cases WHERE handle IN ({marks})", wanted)
        return [_case(r) for r in rows]

    async def delivered(self, code: str, conversation_id: int, hour: datetime) -> None:
        await self.db.execute("UPDATE feedback_cases SET conversation_id = ?, state = 'open', last_hour = ?"
                              " WHERE code = ?", (conversation_id, to_iso(hour), code))

    async def answered(self, code: str, hour: datetime) -> None:
        """The team answered: the first answer's hour is kept for the statistics."""
        await self.db.execute(
            "UPDATE feedback_cases SET state = CASE WHEN state = 'open' THEN 'answered' ELSE state END,"
            " first_answer_hour = COALESCE(first_answer_hour, ?), last_hour = ? WHERE code = ?",
            (to_iso(hour), to_iso(hour), code))

    async def touched(self, code: str, hour: datetime) -> None:
        await self.db.execute("UPDATE feedback_cases SET last_hour = ? WHERE code = ?", (to_iso(hour), code))

    async def set_state(self, code: str, state: str) -> None:
        assert state in STATES
        await self.db.execute("UPDATE feedback_cases SET state = ? WHERE code = ?", (state, code))

    async def escalated(self, code: str, team: str, conversation_id: int, hour: datetime) -> None:
        await self.db.execute(
            "UPDATE feedback_cases SET team = ?, conversation_id = ?, escalated = 1, state = 'open', last_hour = ?"
            " WHERE code = ?", (team, conversation_id, to_iso(hour), code))

    async def delete(self, codes: Iterable[str]) -> None:
        """Cases gone, with whatever of theirs still waits (by cascade)."""
        await self.db.executemany("DELETE FROM feedback_cases WHERE code = ?", [(code,) for code in codes])

    async def older_than(self, hour: datetime) -> list[Case]:
        rows = await self.db.fetchall("SELECT * FROM feedback_cases WHERE last_hour < ?", (to_iso(hour),))
        return [_case(r) for r in rows]

    async def sent_since(self, sender: str, hour: datetime) -> int:
        """How many cases this sender (keyed hash) opened since `hour`: the rate limit."""
        return int(await self.db.fetchval(
            "SELECT COUNT(*) FROM feedback_cases WHERE sender = ? AND created_hour >= ?", (sender, to_iso(hour))))

    # --------------------------------------------------------------------------------------- pending

    async def pend(self, token: str, code: str, text: str, due_at: datetime) -> None:
        await self._pend(token, code, text, due_at)

    async def _pend(self, token: str, code: str, text: str, due_at: datetime) -> None:
        await self.db.execute("INSERT INTO feedback_pending (token, code, text, due_at) VALUES (?, ?, ?, ?)",
                              (token, code, text, to_iso(due_at)))

    async def last_due(self, code: str) -> datetime | None:
        """The latest delivery time still waiting for this case: a later message must not overtake it."""
        found = await self.db.fetchval("SELECT MAX(due_at) FROM feedback_pending WHERE code = ?", (code,))
        return from_iso(found) if found else None

    async def pending(self, token: str) -> Pending | None:
        row = await self.db.fetchone("SELECT token, code, text FROM feedback_pending WHERE token = ?", (token,))
        return Pending(row["token"], row["code"], row["text"]) if row is not None else None

    async def done(self, token: str) -> None:
        await self.db.execute("DELETE FROM feedback_pending WHERE token = ?", (token,))

    # ---------------------------------------------------------------------------------------- blocks

    async def block(self, sender: str, until: datetime) -> None:
        await self.db.execute("INSERT INTO feedback_blocks (sender, until) VALUES (?, ?)"
                              " ON CONFLICT (sender) DO UPDATE SET until = excluded.until", (sender, to_iso(until)))

    async def blocked_until(self, sender: str, now: datetime) -> datetime | None:
        found = await self.db.fetchval("SELECT until FROM feedback_blocks WHERE sender = ? AND until > ?",
                                       (sender, to_iso(now)))
        return from_iso(found) if found else None

    async def unblock_expired(self, now: datetime) -> None:
        await self.db.execute("DELETE FROM feedback_blocks WHERE until <= ?", (to_iso(now),))

    # ------------------------------------------------------------------------------------ statistics

    async def counts(self, column: str, *, confidential: Iterable[str]) -> list[tuple[str | None, int]]:
        """Cases per category, campus or month ('month'); confidential categories only in the category count."""
        secret = list(confidential)
        marks = ", ".join("?" for _c in secret) or "''"
        grouped = {"category": "category", "campus": "campus", "month": "substr(created_hour, 1, 7)"}[column]
        where = "" if column == "category" else f" WHERE category NOT IN ({marks}) AND team NOT IN ({marks})"
        params = [] if column == "category" else secret + secret
        rows = await self.db.fetchall(
            f"SELECT {grouped} AS what, COUNT(*) AS n FROM feedback_cases{where} GROUP BY what"
            " ORDER BY what NULLS FIRST", params)
        return [(r["what"], int(r["n"])) for r in rows]

    async def answer_hours(self, *, confidential: Iterable[str]) -> list[float]:
        """Hours from a case to its first answer (both kept to the hour), confidential categories left out."""
        secret = list(confidential)
        marks = ", ".join("?" for _c in secret) or "''"
        rows = await self.db.fetchall(
            "SELECT created_hour, first_answer_hour FROM feedback_cases WHERE first_answer_hour IS NOT NULL"
            f" AND category NOT IN ({marks}) AND team NOT IN ({marks})", secret + secret)
        return [(from_iso(r["first_answer_hour"]) - from_iso(r["created_hour"])).total_seconds() / 3600
                for r in rows]

    async def drop_pending(self, code: str) -> None:
        await self.db.execute("DELETE FROM feedback_pending WHERE code = ?", (code,))
