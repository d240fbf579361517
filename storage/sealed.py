"""Queries of sealed routes and of the outbox rows that deliver through them (0017_sealed_routes.sql)."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Database

SEALED = "sealed"  # the outbox's platform and target_kind of a sealed delivery; its target_id is the handle


class SealedQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, handle: str, route: str, language: str) -> None:
        await self.db.execute("INSERT INTO sealed_routes (handle, route, language) VALUES (?, ?, ?)",
                              (handle, route, language))

    async def get(self, handle: str) -> tuple[str, str] | None:
        """The route's ciphertext and language."""
        row = await self.db.fetchone("SELECT route, language FROM sealed_routes WHERE handle = ?", (handle,))
        return (row["route"], row["language"]) if row is not None else None

    async def all(self) -> list[tuple[str, str]]:
        """(handle, ciphertext) of every route: for rotation and for /forgetme, which must open each one."""
        rows = await self.db.fetchall("SELECT handle, route FROM sealed_routes ORDER BY handle")
        return [(r["handle"], r["route"]) for r in rows]

    async def replace(self, routes: Iterable[tuple[str, str]]) -> None:
        """New ciphertexts for existing handles (rotation), in one transaction."""
        await self.db.executemany("UPDATE sealed_routes SET route = ? WHERE handle = ?",
                                  [(route, handle) for handle, route in routes])

    async def drop(self, handles: Iterable[str]) -> None:
        """The routes gone, and whatever was still waiting to go through them."""
        async with self.db.transaction():
            for handle in handles:
                await self.db.execute(f"DELETE FROM outbox WHERE target_kind = '{SEALED}' AND target_id = ?",
                                      (handle,))
                await self.db.execute("DELETE FROM sealed_routes WHERE handle = ?", (handle,))

    async def delivered(self, row_id: int) -> None:
        """A sealed outbox row leaves no trace once delivered or given up."""
        await self.db.execute(f"DELETE FROM outbox WHERE id = ? AND target_kind = '{SEALED}'", (row_id,))
