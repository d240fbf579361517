"""Queries of what several processes share when Telegram's webhook spreads a person's updates over them
(migration 0030, bot/fleet.py): who owns an open prompt, updates handed to that owner, and the per-person rate."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from storage.db import Database, to_iso

__all__ = ["FleetQueries", "Handoff", "HandoffSignal", "PromptOwner"]

HANDOFF_CHANNEL = "humako_handoffs"  # PostgreSQL NOTIFY channel: its payload names the worker handed something


@dataclass(frozen=True)
class PromptOwner:
    worker: str
    expires_at: datetime


@dataclass(frozen=True)
class Handoff:
    id: int
    platform: str
    payload: str


class FleetQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --------------------------------------------------------------------------------------- prompts

    async def own_prompt(self, platform: str, chat_id: str, user_id: str, worker: str, expires_at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO prompt_owners (platform, chat_id, user_id, worker, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET worker = excluded.worker,"
            " expires_at = excluded.expires_at", (platform, chat_id, user_id, worker, to_iso(expires_at)))

    async def drop_prompt(self, platform: str, chat_id: str, user_id: str, worker: str) -> None:
        """The prompt ended here (answered, cancelled): only this worker's row goes (another may own a newer one)."""
        await self.db.execute(
            "DELETE FROM prompt_owners WHERE platform = ? AND chat_id = ? AND user_id = ? AND worker = ?",
            (platform, chat_id, user_id, worker))

    async def drop_prompts_of(self, worker: str) -> None:
        """The worker stops: its prompts go with its memory."""
        await self.db.execute("DELETE FROM prompt_owners WHERE worker = ?", (worker,))

    async def prompt_owner(self, platform: str, chat_id: str, user_id: str, alive_at: datetime) -> PromptOwner | None:
        """The worker, alive at `alive_at`, that owns this account's open prompt in this chat, if any."""
        row = await self.db.fetchone(
            "SELECT p.worker, p.expires_at FROM prompt_owners p JOIN workers_alive w ON w.worker = p.worker"
            " WHERE p.platform = ? AND p.chat_id = ? AND p.user_id = ? AND w.seen_until > ?",
            (platform, chat_id, user_id, to_iso(alive_at)))
        return None if row is None else PromptOwner(row["worker"], datetime.fromisoformat(row["expires_at"]))

    # -------------------------------------------------------------------------------------- handoffs

    async def hand_off(self, worker: str, platform: str, payload: str, now: datetime) -> None:
        """Hand `payload` to `worker`; on PostgreSQL it is woken at once (HandoffSignal)."""
        await self.db.execute("INSERT INTO handoffs (worker, platform, payload, created_at) VALUES (?, ?, ?, ?)",
                              (worker, platform, payload, to_iso(now)))
        if self.db.dialect == "postgresql":
            await self.db.execute("SELECT pg_notify(?, ?)", (HANDOFF_CHANNEL, worker))

    async def take_handoffs(self, worker: str) -> list[Handoff]:
        """What was handed to `worker`, in the order handed, removed as it is taken."""
        rows = await self.db.fetchall("DELETE FROM handoffs WHERE worker = ? RETURNING id, platform, payload",
                                      (worker,))
        return sorted((Handoff(r["id"], r["platform"], r["payload"]) for r in rows), key=lambda h: h.id)

    # ------------------------------------------------------------------------------------------ rate

    async def rate_hits(self, person_id: int) -> tuple[list[float], bool]:
        """A person's recent hit times and whether they were told; locked until the transaction ends (PostgreSQL)."""
        select = "SELECT hits, told FROM person_rates WHERE person_id = ?" + (
            " FOR UPDATE" if self.db.dialect == "postgresql" else "")
        row = await self.db.fetchone(select, (person_id,))
        if row is None:  # their first line: a row to lock (two processes may insert it at once)
            await self.db.execute("INSERT INTO person_rates (person_id, hits, told) VALUES (?, '', 0)"
                                  " ON CONFLICT (person_id) DO NOTHING", (person_id,))
            row = await self.db.fetchone(select, (person_id,))
            assert row is not None
        return [float(hit) for hit in row["hits"].split()], bool(row["told"])

    async def set_rate_hits(self, person_id: int, hits: list[float], told: bool) -> None:
        await self.db.execute("UPDATE person_rates SET hits = ?, told = ? WHERE person_id = ?",
                              (" ".join(repr(hit) for hit in hits), int(told), person_id))


class HandoffSignal:
    """PostgreSQL LISTEN on a connection of its own: `heard` is set when something is handed to `worker`."""

    def __init__(self, url: str, worker: str) -> None:
        self.url, self.worker = url, worker
        self.heard = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def listen(self) -> None:
        """Start listening (again, after a lost connection)."""
        await self.close()
        self._conn = await asyncpg.connect(self.url, server_settings={"application_name": "humako-bot handoffs"})
        await self._conn.add_listener(HANDOFF_CHANNEL, self._notified)
        self.heard.set()  # what was handed while nobody listened is taken now

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == self.worker:
            self.heard.set()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=5)
