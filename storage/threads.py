"""Queries of private conversation threads (tables from 0007_threads.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, to_iso


@dataclass(frozen=True)
class ThreadMember:
    person_id: int
    platform: str | None  # the hosting platform whose thread they are in; None: they get DMs
    platform_user_id: str | None


@dataclass(frozen=True)
class ThreadRef:
    platform: str
    parent_chat_id: str
    chat_id: str | None  # None until the platform's thread is opened
    refused: bool = False  # the platform could not open it: its members get DMs


@dataclass(frozen=True)
class Thread:
    id: int
    destination: str
    titles: dict[str, str]  # language -> title
    members: list[ThreadMember]
    refs: list[ThreadRef]

    def title(self, language: str) -> str:
        return self.titles.get(language) or next(iter(self.titles.values()), "")


class ThreadQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, *, destination: str, titles: dict[str, str], now: datetime,
                     members: list[ThreadMember], hosts: dict[str, str]) -> int:
        """The thread, its members and the platforms hosting it (platform -> parent chat), in one go."""
        async with self.db.transaction():
            thread_id = await self.db.execute(
                "INSERT INTO threads (destination, title, created_at) VALUES (?, ?, ?)",
                (destination, json.dumps(titles, ensure_ascii=False), to_iso(now)),
            )
            for member in members:
                await self.db.execute(
                    "INSERT INTO thread_members (thread_id, person_id, platform, platform_user_id)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (thread_id, member.person_id, member.platform, member.platform_user_id),
                )
            for platform, parent in hosts.items():
                await self.db.execute(
                    "INSERT INTO thread_refs (thread_id, platform, parent_chat_id) VALUES (?, ?, ?)",
                    (thread_id, platform, parent),
                )
        return thread_id

    async def get(self, thread_id: int) -> Thread | None:
        row = await self.db.fetchone("SELECT id, destination, title FROM threads WHERE id = ?", (thread_id,))
        if row is None:
            return None
        members = await self.db.fetchall(
            "SELECT person_id, platform, platform_user_id FROM thread_members WHERE thread_id = ?"
            " ORDER BY rowid", (thread_id,))
        refs = await self.db.fetchall(
            "SELECT platform, parent_chat_id, chat_id, refused FROM thread_refs WHERE thread_id = ?"
            " ORDER BY platform",
            (thread_id,))
        return Thread(row["id"], row["destination"], json.loads(row["title"]),
                      [ThreadMember(r["person_id"], r["platform"], r["platform_user_id"]) for r in members],
                      [ThreadRef(r["platform"], r["parent_chat_id"], r["chat_id"], bool(r["refused"])) for r in refs])

    async def set_chat(self, thread_id: int, platform: str, chat_id: str) -> None:
        await self.db.execute("UPDATE thread_refs SET chat_id = ? WHERE thread_id = ? AND platform = ?",
                              (chat_id, thread_id, platform))

    async def refuse(self, thread_id: int, platform: str) -> None:
        """The platform could not host the thread: its members get DMs from now on."""
        await self.db.execute("UPDATE thread_refs SET refused = 1 WHERE thread_id = ? AND platform = ?",
                              (thread_id, platform))
