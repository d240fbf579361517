"""Queries of personal reminders and account link codes (tables from 0004_personal.sql)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row, from_iso, to_iso

__all__ = ["LinkCodes", "Reminder", "ReminderQueries"]


@dataclass(frozen=True)
class Reminder:
    id: int
    person_id: int
    text: str
    local_at: str  # 'YYYY-MM-DDTHH:MM', wall clock in `zone`
    zone: str
    repeat: str
    status: str

    @classmethod
    def from_row(cls, row: Row) -> Reminder:
        return cls(row["id"], row["person_id"], row["text"], row["local_at"], row["zone"], row["repeat"],
                   row["status"])


class ReminderQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, person_id: int, text: str, local_at: str, zone: str, repeat: str,
                     now: datetime) -> int:
        return await self.db.fetchval(
            "INSERT INTO reminders (person_id, text, local_at, zone, repeat, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'active', ?) RETURNING id",
            (person_id, text, local_at, zone, repeat, to_iso(now)),
        )

    async def get(self, reminder_id: int) -> Reminder | None:
        row = await self.db.fetchone("SELECT * FROM reminders WHERE id = ?", (reminder_id,))
        return None if row is None else Reminder.from_row(row)

    async def active(self, person_id: int) -> list[Reminder]:
        rows = await self.db.fetchall(
            "SELECT * FROM reminders WHERE person_id = ? AND status = 'active' ORDER BY local_at, id", (person_id,)
        )
        return [Reminder.from_row(r) for r in rows]

    async def count_active(self, person_id: int) -> int:
        return int(await self.db.fetchval(
            "SELECT COUNT(*) FROM reminders WHERE person_id = ? AND status = 'active'", (person_id,)
        ))

    async def all_of(self, person_id: int) -> list[dict[str, object]]:
        rows = await self.db.fetchall("SELECT * FROM reminders WHERE person_id = ? ORDER BY id", (person_id,))
        return [dict(r) for r in rows]

    async def move(self, reminder_id: int, local_at: str) -> None:
        await self.db.execute("UPDATE reminders SET local_at = ? WHERE id = ?", (local_at, reminder_id))

    async def set_status(self, reminder_id: int, status: str) -> None:
        await self.db.execute("UPDATE reminders SET status = ? WHERE id = ?", (status, reminder_id))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class LinkCodes:
    """One-time codes for /link, stored hashed: a database dump does not hand out a valid code."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue(self, person_id: int, code: str, expires: datetime, now: datetime) -> None:
        async with self.db.transaction():
            await self.db.execute("DELETE FROM link_codes WHERE person_id = ? OR expires_at <= ?",
                                  (person_id, to_iso(now)))
            await self.db.execute(
                "INSERT INTO link_codes (code_hash, person_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
                (_hash(code), person_id, to_iso(expires), to_iso(now)),
            )

    async def redeem(self, code: str, now: datetime) -> int | None:
        """The person who issued `code`, if it is valid; the code is used up either way."""
        async with self.db.transaction():
            row = await self.db.fetchone("SELECT person_id, expires_at FROM link_codes WHERE code_hash = ?",
                                         (_hash(code),))
            if row is None:
                return None
            await self.db.execute("DELETE FROM link_codes WHERE code_hash = ?", (_hash(code),))
        return int(row["person_id"]) if from_iso(row["expires_at"]) > now else None
