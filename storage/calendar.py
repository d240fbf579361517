"""Queries of the platforms' calendar mirrors (table from 0006_discord.sql): which Discord guild scheduled event
shows which calendar entry uid ("event:42") in which guild (bot/frontends/discord_calendar.py)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

__all__ = ["GuildEventQueries", "MirroredEvent"]


@dataclass(frozen=True)
class MirroredEvent:
    event_id: str  # the Discord scheduled event's id
    cancelled: bool


class GuildEventQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: str, uid: str) -> MirroredEvent | None:
        row = await self.db.fetchone(
            "SELECT event_id, cancelled FROM discord_scheduled_events WHERE guild_id = ? AND uid = ?", (guild_id, uid))
        return None if row is None else MirroredEvent(row["event_id"], bool(row["cancelled"]))

    async def put(self, guild_id: str, uid: str, event_id: str) -> None:
        await self.db.execute(
            "INSERT INTO discord_scheduled_events (guild_id, uid, event_id) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, uid) DO UPDATE SET event_id = excluded.event_id", (guild_id, uid, event_id))

    async def mark_cancelled(self, guild_id: str, uid: str) -> None:
        await self.db.execute("UPDATE discord_scheduled_events SET cancelled = 1 WHERE guild_id = ? AND uid = ?",
                              (guild_id, uid))
