"""The stored state /metrics and /healthz read (bot/metrics.py, bot/web.py): outbox, scheduler, live copies."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.db import Database, from_iso, to_iso

__all__ = ["MetricsQueries", "probe_write"]


class MetricsQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def outbox_by_status(self) -> list[tuple[str, str, int]]:
        rows = await self.db.fetchall("SELECT platform, status, COUNT(*) AS n FROM outbox GROUP BY platform, status")
        return [(r["platform"], r["status"], r["n"]) for r in rows]

    async def oldest_pending(self) -> datetime | None:
        oldest = await self.db.fetchval("SELECT MIN(created_at) FROM outbox WHERE status = 'pending'")
        return from_iso(oldest) if oldest else None

    async def latest_lateness(self, since: datetime) -> int:
        """The largest lateness (seconds) of scheduled rows finished since `since`."""
        late = await self.db.fetchval("SELECT MAX(late_seconds) FROM scheduled WHERE done_at >= ?", (to_iso(since),))
        return int(late or 0)

    async def scheduled_by_status(self) -> list[tuple[str, int]]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM scheduled GROUP BY status")
        return [(r["status"], r["n"]) for r in rows]

    async def live_copies(self) -> list[tuple[str, int]]:
        rows = await self.db.fetchall("SELECT platform, COUNT(*) AS n FROM live_copies GROUP BY platform")
        return [(r["platform"], r["n"]) for r in rows]

    async def answers(self) -> bool:
        return await self.db.fetchval("SELECT 1") == 1


def probe_write(path: str, timeout: float) -> None:
    """Take and release the write lock on a connection of our own (so a probe never queues behind the bot's
    own work); raises sqlite3.OperationalError ("database is locked") when another holds it past `timeout`."""
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    finally:
        connection.close()
