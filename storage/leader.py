"""A PostgreSQL session-level advisory lock on a connection of its own: held while the session lives, dropped by
the server when the process holding it dies (its connection goes), whatever way it dies."""

from __future__ import annotations

import contextlib
import hashlib

import asyncpg

__all__ = ["AdvisoryLock", "lock_key"]


def lock_key(name: str) -> int:
    """A stable 63-bit key for a named lock (pg_try_advisory_lock takes a bigint)."""
    return int.from_bytes(hashlib.sha256(f"humako:{name}".encode()).digest()[:8], "big") >> 1


class AdvisoryLock:
    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.key = lock_key(name)
        self._conn: asyncpg.Connection | None = None

    async def try_acquire(self) -> bool:
        """True when this session holds the lock now (taken now, or held already)."""
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.url, server_settings={"application_name": "humako-bot leader"})
        return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key))

    async def held(self) -> bool:
        """Whether the session that took the lock is still there (a lost connection lost the lock)."""
        if self._conn is None or self._conn.is_closed():
            return False
        try:  # a session-level lock lasts as long as its session: a session that answers still holds it
            return await self._conn.fetchval("SELECT 1", timeout=10) == 1
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

    async def release(self) -> None:
        """Closing the session frees the lock."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=5)
