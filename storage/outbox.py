"""Queries of the outbox and of the live copies (tables from 0002_outbox.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.claims import Statistics, claim_sql, claimable
from storage.db import Database
from storage.db import to_iso as iso  # the one stored form of an instant (kept under this name for its users)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    person_id: int | None
    destination: str | None
    platform: str
    target_kind: str
    target_id: str
    language: str
    body: dict[str, Any]
    shows: tuple[str, int] | None
    attempts: int
    requested_by: int | None = None  # who asked for a destination post (told if it fails)


def _row(row: Any) -> OutboxRow:
    shows = (row["shows_kind"], row["shows_id"]) if row["shows_kind"] else None
    return OutboxRow(row["id"], row["person_id"], row["destination"], row["platform"], row["target_kind"],
                     row["target_id"], row["language"], json.loads(row["body"]), shows, row["attempts"],
                     row["requested_by"])


# A row whose dedupe key exists already is skipped (the unique index of 0008_fanout.sql).
_INSERT = (
    "INSERT INTO outbox (created_at, person_id, destination, platform, target_kind, target_id, language, body,"
    " shows_kind, shows_id, urgent, status, next_attempt_at, dedupe, requested_by)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _values(now: datetime, person_id: int | None, destination: str | None, platform: str, target_kind: str,
            target_id: str, language: str, body: dict[str, Any], shows: tuple[str, int] | None, urgent: bool,
            not_before: datetime | None = None, dedupe: str | None = None,
            requested_by: int | None = None) -> tuple[Any, ...]:
    return (iso(now), person_id, destination, platform, target_kind, target_id, language, json.dumps(body),
            shows[0] if shows else None, shows[1] if shows else None, int(urgent), iso(not_before or now), dedupe,
            requested_by)


# A row waits behind an earlier pending row to the same chat that is due or was tried already (a row held
# back by the reader's quiet hours does not hold up an urgent one).
_NOT_BEHIND = (
    "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.status = 'pending' AND e.platform = o.platform"
    " AND e.target_kind = o.target_kind AND e.target_id = o.target_id AND e.id < o.id"
    " AND (e.attempts > 0 OR e.next_attempt_at <= ?))"
)


class OutboxQueries:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.statistics = Statistics(db, "outbox")

    async def add(self, *, now: datetime, person_id: int | None, destination: str | None, platform: str,
                  target_kind: str, target_id: str, language: str, body: dict[str, Any],
                  shows: tuple[str, int] | None, urgent: bool, not_before: datetime | None = None,
                  dedupe: str | None = None, requested_by: int | None = None) -> int:
        """A new row's id; 0 when `dedupe` was queued before (a scheduled task run again)."""
        new_id = await self.db.fetchval(_INSERT + " RETURNING id", _values(
            now, person_id, destination, platform, target_kind, target_id, language, body, shows, urgent,
            not_before, dedupe, requested_by))
        return int(new_id or 0)

    async def add_many(self, rows: list[dict[str, Any]]) -> int:
        """Rows (the keyword arguments of `add`) in one transaction; returns how many were new."""
        if not rows:
            return 0
        added = await self.db.executemany(_INSERT, [_values(**row) for row in rows])
        await self.statistics.added(added)
        return added

    async def claim(self, now: datetime, platforms: list[str], worker: str, lease_now: datetime,
                    lease_until: datetime, limit: int = 100) -> list[OutboxRow]:
        """Claim rows to send now for `worker` (storage/claims.py), at most one per recipient: a later row waits
        while an earlier one to the same chat is due, being sent (by any worker) or being retried, so each
        recipient gets their messages in order, also after errors and whichever worker sends them. `now` is the
        bot's clock (what is due), `lease_now` lease time (what lapsed)."""
        if not platforms:
            return []
        marks = ", ".join("?" for _ in platforms)
        sql, params = claim_sql(
            self.db, "outbox", "claimed_by = ?, lease_until = ?", (worker, iso(lease_until)),
            f"SELECT id FROM outbox o WHERE status = 'pending' AND next_attempt_at <= ? AND platform IN ({marks})"
            f" AND {claimable('o')} AND {_NOT_BEHIND} ORDER BY next_attempt_at, id LIMIT ?",
            (iso(now), *platforms, worker, iso(lease_now), iso(now), limit))
        rows = await self.db.fetchall(sql, params)  # one statement: atomic alone (no BEGIN/COMMIT round trips)
        found = [_row(r) for r in sorted(rows, key=lambda r: (r["next_attempt_at"], r["id"]))]
        return found

    async def next_attempt(self, platforms: list[str], now: datetime, worker: str) -> tuple[str | None, str | None]:
        """When a row of these platforms may be claimed next: the next attempt of a free row (the bot's clock), and
        the earliest lease end of a row another worker holds (lease time: a worker that died leaves it then)."""
        if not platforms:
            return None, None
        marks = ", ".join("?" for _ in platforms)
        # Two subqueries, one round trip. The first walks the pending rows in next-attempt order (the claim index)
        # and stops at the first free one not waiting behind another; the second starts from the few rows other
        # workers hold (their index; CROSS JOIN keeps SQLite's join in that order). One MIN(CASE ...) over both read
        # every pending row, each with its NOT EXISTS, on every wake-up.
        mine = f"o.status = 'pending' AND o.platform IN ({marks})"
        row = await self.db.fetchone(
            f"SELECT (SELECT o.next_attempt_at FROM outbox o WHERE {mine}"
            "  AND (o.claimed_by IS NULL OR (o.claimed_by <> ? AND o.lease_until IS NULL))"
            f"  AND {_NOT_BEHIND} ORDER BY o.next_attempt_at LIMIT 1),"
            " (SELECT MIN(o.lease_until) FROM outbox c CROSS JOIN outbox o"
            f"  WHERE c.claimed_by IS NOT NULL AND c.claimed_by <> ? AND o.id = c.id AND {mine} AND {_NOT_BEHIND})",
            (*platforms, worker, iso(now), worker, *platforms, iso(now)),
        )
        return (None, None) if row is None else (row[0], row[1])

    async def release(self, worker: str, row_id: int | None = None) -> int:
        """The worker's claims (or its claim of one row) are given up: the rows are free for any worker now."""
        one = "" if row_id is None else " AND id = ?"
        return await self.db.execute(
            f"UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?{one}",
            (worker,) if row_id is None else (worker, row_id))

    async def mark_sent(self, row_id: int, now: datetime, message_id: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1,"
            " body = '{}', claimed_by = NULL, lease_until = NULL WHERE id = ?",
            (iso(now), message_id, row_id),
        )

    async def mark_final(self, row_id: int, status: str, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1, body = '{}', claimed_by = NULL,"
            " lease_until = NULL WHERE id = ?",
            (status, error[:500], row_id),
        )

    async def retry_at(self, row_id: int, when: datetime, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claimed_by = NULL,"
            " lease_until = NULL WHERE id = ?",
            (iso(when), error[:500], row_id),
        )

    async def of_person(self, person_id: int) -> list[dict[str, Any]]:
        """What was sent to a person (for /mydata): when and how, never the text (not kept after delivery)."""
        rows = await self.db.fetchall(
            "SELECT id, created_at, platform, status, attempts, sent_at FROM outbox WHERE person_id = ?"
            " ORDER BY id",
            (person_id,),
        )
        return [dict(r) for r in rows]

    async def status_counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}


@dataclass(frozen=True)
class LiveCopy:
    id: int
    kind: str
    ref_id: int
    platform: str
    chat_id: str
    message_id: str
    language: str
    wanted: int = 0  # the version of its thing asked for (live_versions); stale while above `shown`
    claimed_by: str | None = None  # the worker editing it now (storage/claims.py)
    lease_until: str | None = None


_COPY_COLUMNS = ("id", "kind", "ref_id", "platform", "chat_id", "message_id", "language", "wanted", "claimed_by",
                 "lease_until")
_COPY = ", ".join(_COPY_COLUMNS)


def _copy_columns(alias: str) -> str:
    """`_COPY` of the table named `alias` in a join."""
    return ", ".join(f"{alias}.{column}" for column in _COPY_COLUMNS)


class LiveQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(self, *, kind: str, ref_id: int, platform: str, chat_id: str, message_id: str,
                       language: str, person_id: int | None, now: datetime, direct: bool = False,
                       expires_at: datetime | None = None, max_direct: int | None = None) -> None:
        """A posted copy; one in a direct chat stops being edited after `expires_at`, and a thing keeps at most
        `max_direct` of those (the oldest retired first)."""
        async with self.db.transaction():
            if person_id is not None:
                # One live copy per person, chat and thing: showing a card again retires the older copy, so a
                # popular event's edits stay bounded by its readers, not by how often they looked.
                await self.db.execute(
                    "DELETE FROM live_copies WHERE kind = ? AND ref_id = ? AND platform = ? AND chat_id = ?"
                    " AND person_id = ? AND message_id <> ?",
                    (kind, ref_id, platform, chat_id, person_id, message_id),
                )
            await self.db.execute(
                "INSERT INTO live_copies (kind, ref_id, platform, chat_id, message_id, language, person_id,"
                " created_at, direct, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform, chat_id, message_id) DO UPDATE SET kind = excluded.kind,"
                " ref_id = excluded.ref_id, language = excluded.language, direct = excluded.direct,"
                " expires_at = excluded.expires_at",
                (kind, ref_id, platform, chat_id, message_id, language, person_id, iso(now), int(direct),
                 iso(expires_at) if expires_at is not None else None),
            )
            if direct and max_direct is not None:
                await self.db.execute(
                    "DELETE FROM live_copies WHERE kind = ? AND ref_id = ? AND direct = 1 AND id NOT IN"
                    " (SELECT id FROM live_copies WHERE kind = ? AND ref_id = ? AND direct = 1"
                    " ORDER BY id DESC LIMIT ?)",
                    (kind, ref_id, kind, ref_id, max_direct),
                )

    async def copies(self, kind: str, ref_id: int, now: datetime | None = None) -> list[LiveCopy]:
        """The copies still kept current; with `now`, every expired copy (of any thing) is retired first."""
        if now is not None:
            await self.forget_expired(now)
        rows = await self.db.fetchall(
            f"SELECT {_COPY} FROM live_copies WHERE kind = ? AND ref_id = ? ORDER BY id", (kind, ref_id))
        return [LiveCopy(*tuple(r)) for r in rows]

    async def want(self, kind: str, ref_id: int) -> int:
        """The thing changed: its version goes up by one (0031_live_versions.sql), and every copy of it is stale
        until an edit rendered after this shows it (in whichever process edits it). The new version."""
        async with self.db.transaction(serialized=False):  # the version's row lock orders concurrent changes
            version = int(await self.db.fetchval(
                "INSERT INTO live_versions (kind, ref_id, version) VALUES (?, ?, 1) ON CONFLICT (kind, ref_id)"
                " DO UPDATE SET version = live_versions.version + 1 RETURNING version", (kind, ref_id)))
            await self.db.execute("UPDATE live_copies SET wanted = ? WHERE kind = ? AND ref_id = ? AND wanted < ?",
                                  (version, kind, ref_id, version))
        return version

    async def stale(self, kind: str, ref_id: int, now: datetime) -> tuple[int, list[LiveCopy]]:
        """The thing's version and the copies whose last edit does not show the latest change (expired ones
        retired first); one read. An edit rendered after this read shows at least that version."""
        await self.forget_expired(now)
        rows = await self.db.fetchall(
            f"SELECT {_copy_columns('c')}, v.version FROM live_copies c JOIN live_versions v"
            " ON v.kind = c.kind AND v.ref_id = c.ref_id"
            " WHERE c.kind = ? AND c.ref_id = ? AND c.wanted > c.shown ORDER BY c.id", (kind, ref_id))
        return (int(rows[0][-1]) if rows else 0), [LiveCopy(*tuple(r)[:-1]) for r in rows]

    async def claim(self, copy_ids: list[int], worker: str, lease_until: datetime, now: datetime,
                    version: int) -> list[LiveCopy]:
        """Of these stale copies, the ones no other worker is editing and that show a version older than
        `version` (an edit at `version` never takes a copy back to an older state), claimed for `worker`: one
        statement for the lot."""
        if not copy_ids:
            return []
        marks = ", ".join("?" for _ in copy_ids)
        sql, params = claim_sql(
            self.db, "live_copies", "claimed_by = ?, lease_until = ?", (worker, iso(lease_until)),
            f"SELECT id FROM live_copies WHERE id IN ({marks}) AND wanted > shown AND shown < ? AND {claimable()}",
            (*copy_ids, version, worker, iso(now)), returning=_COPY)
        rows = await self.db.fetchall(sql, params)  # one statement: atomic alone
        return sorted((LiveCopy(*tuple(r)) for r in rows), key=lambda c: c.id)

    async def done(self, copy_ids: list[int], worker: str, shown: list[int], version: int) -> None:
        """The worker's edits of these copies are over, in one statement: the `shown` ones show `version` now
        (unless a newer one already), the rest are still stale; the worker's claims on all of them end."""
        if not copy_ids:
            return
        marks = ", ".join("?" for _ in copy_ids)
        showing, params = "", tuple[int, ...]()
        if shown:
            showing = (f"shown = CASE WHEN id IN ({', '.join('?' for _ in shown)}) AND shown < ? THEN ? ELSE shown"
                       " END, ")
            params = (*shown, version, version)
        await self.db.execute(
            f"UPDATE live_copies SET {showing}claimed_by = CASE WHEN claimed_by = ? THEN NULL ELSE claimed_by END,"
            " lease_until = CASE WHEN claimed_by = ? THEN NULL ELSE lease_until END"
            f" WHERE id IN ({marks})", (*params, worker, worker, *copy_ids))

    async def forget_expired(self, now: datetime) -> int:
        """Retire every copy past its time (cheap: a partial index holds only the copies that expire)."""
        return await self.db.execute(
            "DELETE FROM live_copies WHERE expires_at IS NOT NULL AND expires_at <= ?", (iso(now),))

    async def forget(self, copy_id: int) -> None:
        await self.db.execute("DELETE FROM live_copies WHERE id = ?", (copy_id,))

    async def shown_at(self, platform: str, chat_id: str, message_id: str) -> tuple[str, int] | None:
        """The thing a posted message is a live copy of, if it is one (a press may re-render only that view)."""
        row = await self.db.fetchone(
            "SELECT kind, ref_id FROM live_copies WHERE platform = ? AND chat_id = ? AND message_id = ?",
            (platform, chat_id, message_id),
        )
        return (row[0], int(row[1])) if row is not None else None
