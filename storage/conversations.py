"""Queries of conversations (tables from 0016_conversations.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from storage.db import Database, to_iso


@dataclass(frozen=True)
class MemberRow:
    id: int
    kind: str  # person | destination | sealed
    person_id: int | None
    ref: str | None  # destination name or sealed handle id
    labels: dict[str, str] | None  # language -> label; None: the sender's own name
    room: str | None  # the platform whose shared thread a person is in; None: DMs


@dataclass(frozen=True)
class RoomRow:
    platform: str
    parent_chat_id: str
    chat_id: str | None  # None until opened
    refused: bool = False


@dataclass(frozen=True)
class ConversationRow:
    id: int
    kind: str
    host: str | None
    titles: dict[str, str]
    status: str
    members: list[MemberRow] = field(default_factory=list)
    rooms: list[RoomRow] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status == "open"

    def title(self, language: str) -> str:
        return self.titles.get(language) or next(iter(self.titles.values()), "")

    def room(self, platform: str) -> RoomRow | None:
        return next((r for r in self.rooms if r.platform == platform), None)

    def person(self, person_id: int) -> MemberRow | None:
        return next((m for m in self.members if m.kind == "person" and m.person_id == person_id), None)


@dataclass(frozen=True)
class NewMember:
    kind: str
    person_id: int | None
    ref: str | None
    labels: dict[str, str] | None
    room: str | None


def _labels(text: str | None) -> dict[str, str] | None:
    return json.loads(text) if text else None


class ConversationQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, *, kind: str, host: str | None, titles: dict[str, str], now: datetime,
                     members: list[NewMember], rooms: dict[str, str]) -> int:
        """The conversation, its members and its rooms (platform -> parent chat), in one transaction."""
        async with self.db.transaction():
            conversation_id = await self.db.fetchval(
                "INSERT INTO conversations (kind, host, title, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                (kind, host, json.dumps(titles, ensure_ascii=False), to_iso(now)),
            )
            for member in members:
                await self._add(conversation_id, member)
            for platform, parent in rooms.items():
                await self.db.execute(
                    "INSERT INTO conversation_rooms (conversation_id, platform, parent_chat_id) VALUES (?, ?, ?)",
                    (conversation_id, platform, parent),
                )
        return conversation_id

    async def _add(self, conversation_id: int, member: NewMember) -> int:
        labels = json.dumps(member.labels, ensure_ascii=False) if member.labels else None
        return await self.db.fetchval(
            "INSERT INTO conversation_members (conversation_id, kind, person_id, ref, label, room)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (conversation_id, member.kind, member.person_id, member.ref, labels, member.room),
        )

    async def get(self, conversation_id: int) -> ConversationRow | None:
        row = await self.db.fetchone("SELECT id, kind, host, title, status FROM conversations WHERE id = ?",
                                     (conversation_id,))
        if row is None:
            return None
        members = await self.db.fetchall(
            "SELECT id, kind, person_id, ref, label, room FROM conversation_members WHERE conversation_id = ?"
            " ORDER BY id", (conversation_id,))
        rooms = await self.db.fetchall(
            "SELECT platform, parent_chat_id, chat_id, refused FROM conversation_rooms WHERE conversation_id = ?"
            " ORDER BY platform", (conversation_id,))
        return ConversationRow(
            row["id"], row["kind"], row["host"], json.loads(row["title"]), row["status"],
            [MemberRow(m["id"], m["kind"], m["person_id"], m["ref"], _labels(m["label"]), m["room"])
             for m in members],
            [RoomRow(r["platform"], r["parent_chat_id"], r["chat_id"], bool(r["refused"])) for r in rooms],
        )

    async def add_member(self, conversation_id: int, member: NewMember) -> int:
        return await self._add(conversation_id, member)

    async def remove_member(self, member_id: int) -> None:
        async with self.db.transaction():
            row = await self.db.fetchone("SELECT conversation_id, person_id FROM conversation_members WHERE id = ?",
                                         (member_id,))
            await self.db.execute("DELETE FROM conversation_members WHERE id = ?", (member_id,))
            if row is not None and row["person_id"] is not None:
                await self.db.execute("DELETE FROM conversation_relays WHERE conversation_id = ? AND person_id = ?",
                                      (row["conversation_id"], row["person_id"]))

    async def transfer(self, member_id: int, conversation_id: int, member: NewMember) -> int:
        async with self.db.transaction():
            await self.remove_member(member_id)
            return await self._add(conversation_id, member)

    async def delete(self, conversation_id: int) -> None:
        """The conversation and everything of it (members, rooms, relays: by cascade), and its queued messages."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM outbox WHERE shows_kind = 'conversation' AND shows_id = ?"
                                  " AND status = 'pending'", (conversation_id,))
            await self.db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    async def set_status(self, conversation_id: int, status: str) -> None:
        # The relays stay: a reply to a closed conversation's message is told so, not sent to another one.
        await self.db.execute("UPDATE conversations SET status = ? WHERE id = ?", (status, conversation_id))

    async def set_room(self, conversation_id: int, platform: str, chat_id: str) -> None:
        await self.db.execute("UPDATE conversation_rooms SET chat_id = ? WHERE conversation_id = ? AND platform = ?",
                              (chat_id, conversation_id, platform))

    async def refuse_room(self, conversation_id: int, platform: str) -> None:
        await self.db.execute("UPDATE conversation_rooms SET refused = 1 WHERE conversation_id = ? AND platform = ?",
                              (conversation_id, platform))

    async def rooms(self) -> list[tuple[str, str, int]]:
        """(platform, chat id, conversation id) of every opened room: the frontends' index of what to read."""
        rows = await self.db.fetchall(
            "SELECT platform, chat_id, conversation_id FROM conversation_rooms WHERE chat_id IS NOT NULL")
        return [(r["platform"], r["chat_id"], r["conversation_id"]) for r in rows]

    async def open_for_person(self, person_id: int) -> list[ConversationRow]:
        """The open conversations the person is a member of, oldest first."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT c.id FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id"
            " WHERE m.person_id = ? AND c.status = 'open' ORDER BY c.id", (person_id,))
        found = [await self.get(r["id"]) for r in rows]
        return [c for c in found if c is not None]

    async def open_sealed(self) -> list[tuple[int, str]]:
        """(conversation id, handle) of every sealed member of an open conversation."""
        rows = await self.db.fetchall(
            "SELECT m.conversation_id, m.ref FROM conversation_members m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE m.kind = 'sealed' AND c.status = 'open' ORDER BY m.id")
        return [(r["conversation_id"], r["ref"]) for r in rows]

    async def remember_relay(self, conversation_id: int, platform: str, person_id: int | None, chat_id: str | None,
                             message_id: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO conversation_relays (conversation_id, platform, person_id, chat_id, message_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (conversation_id, platform, person_id, chat_id, message_id, to_iso(now)),
        )

    async def relayed_to_person(self, platform: str, person_id: int, message_id: str) -> int | None:
        return await self.db.fetchval(
            "SELECT conversation_id FROM conversation_relays WHERE platform = ? AND message_id = ? AND person_id = ?",
            (platform, message_id, person_id))

    async def relayed_in_chat(self, platform: str, chat_id: str, message_id: str) -> int | None:
        return await self.db.fetchval(
            "SELECT conversation_id FROM conversation_relays WHERE platform = ? AND message_id = ? AND chat_id = ?",
            (platform, message_id, chat_id))

    async def of_person(self, person_id: int) -> list[dict[str, object]]:
        """The person's memberships (for /mydata): which conversation, its title and state; never a text."""
        rows = await self.db.fetchall(
            "SELECT c.id, c.title, c.status, c.created_at, m.room FROM conversation_members m"
            " JOIN conversations c ON c.id = m.conversation_id WHERE m.person_id = ? ORDER BY c.id", (person_id,))
        relays = await self.db.fetchval("SELECT COUNT(*) FROM conversation_relays WHERE person_id = ?", (person_id,))
        return [{"conversation": r["id"], "title": json.loads(r["title"]), "status": r["status"],
                 "created_at": r["created_at"], "shared_room_on": r["room"]} for r in rows] + \
            ([{"relayed_message_ids_kept_for_replies": relays}] if relays else [])
