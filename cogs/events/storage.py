"""Queries for events, RSVPs with their waiting list, and feedback (tables from cogs/events/migrations/).

The waiting-list rules that must hold under concurrent presses (capacity never exceeded, places offered in
order) run inside one transaction each, here; the cog decides what to tell people about the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, from_iso, to_iso

__all__ = ["Counts", "Event", "EventQueries", "Merged", "Rated", "RsvpChange"]

# Answers that hold a place (an offered place is held until it is taken or passes on).
HOLDS_PLACE = ("yes", "offered")
# People told about edits and cancellations.
INTERESTED = ("yes", "maybe", "waiting", "offered")
# Which of two answers of one person (after /link) stays: a held place first, then the earlier arrival.
_KEEP_FIRST = {"yes": 0, "offered": 1, "waiting": 2, "maybe": 3, "no": 4}

# The next arrival number: one statement reads and writes it, and SQLite runs one writer at a time.
_NEXT_SEQ = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM event_rsvps)"

_EDITABLE = {"title", "description", "starts_at", "ends_at", "campus", "link", "capacity", "language",
             "repeat_until", "series_end_at"}


@dataclass(frozen=True)
class Event:
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    campus: str | None  # None: online
    link: str | None
    capacity: int | None
    language: str | None  # fi | en | both
    repeat_weeks: int  # 0: one-off, 1: weekly, 2: every other week
    repeat_until: str | None  # local date 'YYYY-MM-DD'
    timezone: str
    series_end_at: datetime
    organiser_id: int | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    updated_at: datetime | None = None  # the calendar entry's LAST-MODIFIED
    sequence: int = 0  # the calendar entry's SEQUENCE: one more per edit
    skipped: frozenset[datetime] = frozenset()  # starts (UTC) of occurrences cancelled alone

    @property
    def online(self) -> bool:
        return self.campus is None

    @classmethod
    def from_row(cls, row: Row) -> Event:
        def when(name: str) -> datetime | None:
            return from_iso(row[name]) if row[name] else None

        return cls(
            row["id"], row["title"], row["description"], from_iso(row["starts_at"]), when("ends_at"),
            row["campus"], row["link"], row["capacity"], row["language"], row["repeat_weeks"],
            row["repeat_until"], row["timezone"], from_iso(row["series_end_at"]), row["organiser_id"],
            when("cancelled_at"), row["cancel_reason"], when("updated_at"), row["sequence"],
            frozenset(from_iso(s) for s in (row["skipped"] or "").split()),
        )


@dataclass(frozen=True)
class Counts:
    yes: int = 0
    maybe: int = 0
    no: int = 0
    waiting: int = 0  # on the waiting list (an offered place is held: it counts in `offered`)
    offered: int = 0  # places offered from the waiting list and not yet taken

    @property
    def taken(self) -> int:
        """Places nobody else can take: going, and offered (held until taken or passed on)."""
        return self.yes + self.offered


@dataclass(frozen=True)
class RsvpChange:
    before: str | None
    after: str
    position: int | None = None  # place on the waiting list, when waiting


@dataclass(frozen=True)
class Merged:
    """What merging two people's RSVPs changed, for the cog to act on."""

    touched: list[int]  # events whose RSVPs changed
    freed: list[int]  # events where a held place was let go (both held one): to be offered on
    dropped_offers: list[tuple[int, int]]  # (event, person): offers that no longer stand
    moved_offers: list[tuple[int, datetime]]  # (event, expires): offers now held by the kept person


@dataclass(frozen=True)
class Rated:
    event_id: int
    title: str
    rating: float
    count: int
    comments: list[str]


def _iso(value: datetime | None) -> str | None:
    return to_iso(value) if value is not None else None


class EventQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------- events

    async def create(self, *, title: str, description: str, starts_at: datetime, ends_at: datetime | None,
                     campus: str | None, link: str | None, capacity: int | None, language: str | None,
                     repeat_weeks: int, repeat_until: str | None, timezone: str, series_end_at: datetime,
                     organiser_id: int, now: datetime) -> int:
        return await self.db.fetchval(
            "INSERT INTO events (title, description, starts_at, ends_at, campus, link, capacity, language,"
            " repeat_weeks, repeat_until, timezone, series_end_at, organiser_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (title, description, to_iso(starts_at), _iso(ends_at), campus, link, capacity, language,
             repeat_weeks, repeat_until, timezone, to_iso(series_end_at), organiser_id, to_iso(now), to_iso(now)),
        )

    async def get(self, event_id: int) -> Event | None:
        row = await self.db.fetchone("SELECT * FROM events WHERE id = ?", (event_id,))
        return None if row is None else Event.from_row(row)

    async def update(self, event_id: int, now: datetime, **changes: Any) -> None:
        """Every edit grows the calendar entry's SEQUENCE, so calendars take the new version over."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        values = {k: to_iso(v) if isinstance(v, datetime) else v for k, v in changes.items()}
        sets = ", ".join(f"{name} = ?" for name in values)
        await self.db.execute(f"UPDATE events SET {sets}, updated_at = ?, sequence = sequence + 1"
                              " WHERE id = ?",
                              (*values.values(), to_iso(now), event_id))

    async def cancel(self, event_id: int, reason: str | None, now: datetime) -> bool:
        return bool(await self.db.execute(
            "UPDATE events SET cancelled_at = ?, cancel_reason = ?, updated_at = ?, sequence = sequence + 1"
            " WHERE id = ? AND cancelled_at IS NULL",
            (to_iso(now), reason, to_iso(now), event_id),
        ))

    async def skip(self, event_id: int, start: datetime, now: datetime) -> bool:
        """Cancel one occurrence of a series; False when it was cancelled already."""
        key = to_iso(start)
        return bool(await self.db.execute(
            "UPDATE events SET skipped = TRIM(skipped || ' ' || ?), sequence = sequence + 1, updated_at = ?"
            " WHERE id = ? AND cancelled_at IS NULL AND ' ' || skipped || ' ' NOT LIKE '% ' || ? || ' %'",
            (key, to_iso(now), event_id, key),
        ))

    async def save_cancel_draft(self, event_id: int, person_id: int, reason: str | None) -> None:
        await self.db.execute(
            "INSERT INTO event_cancel_drafts (event_id, person_id, reason) VALUES (?, ?, ?)"
            " ON CONFLICT (event_id, person_id) DO UPDATE SET reason = excluded.reason",
            (event_id, person_id, reason),
        )

    async def take_cancel_draft(self, event_id: int, person_id: int) -> str | None:
        reason = await self.db.fetchval(
            "SELECT reason FROM event_cancel_drafts WHERE event_id = ? AND person_id = ?", (event_id, person_id))
        await self.db.execute("DELETE FROM event_cancel_drafts WHERE event_id = ? AND person_id = ?",
                              (event_id, person_id))
        return reason

    async def upcoming(self, now: datetime) -> list[Event]:
        """Events not cancelled whose last occurrence has not ended, first start first."""
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE cancelled_at IS NULL AND series_end_at > ? ORDER BY starts_at, id",
            (to_iso(now),),
        )
        return [Event.from_row(r) for r in rows]

    async def started_between(self, since: datetime, until: datetime) -> list[Event]:
        """Events (recurring ones included) with an occurrence that may fall in the period."""
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE starts_at < ? AND series_end_at > ? ORDER BY starts_at, id",
            (to_iso(until), to_iso(since)),
        )
        return [Event.from_row(r) for r in rows]

    async def search(self, partial: str, now: datetime, *, include_past: bool = False,
                     limit: int = 25) -> list[Event]:
        """Title matches for autocomplete. Matching folds case in Python: SQLite's LIKE folds only ASCII."""
        where = "" if include_past else "WHERE cancelled_at IS NULL AND series_end_at > ?"
        params: tuple[Any, ...] = () if include_past else (to_iso(now),)
        order = "ORDER BY starts_at DESC" if include_past else "ORDER BY starts_at"
        rows = await self.db.fetchall(f"SELECT * FROM events {where} {order}, id LIMIT 500", params)
        wanted = partial.strip().casefold()
        found = [Event.from_row(r) for r in rows if wanted in r["title"].casefold()]
        exact = [e for e in found if e.title.casefold() == wanted]
        return (exact or found)[:limit]

    # -------------------------------------------------------------------------------------- RSVPs

    async def counts(self, event_id: int) -> Counts:
        rows = await self.db.fetchall(
            "SELECT answer, COUNT(*) AS n FROM event_rsvps WHERE event_id = ? GROUP BY answer", (event_id,)
        )
        by = {r["answer"]: r["n"] for r in rows}
        return Counts(by.get("yes", 0), by.get("maybe", 0), by.get("no", 0), by.get("waiting", 0),
                      by.get("offered", 0))

    async def answer_of(self, event_id: int, person_id: int) -> str | None:
        return await self.db.fetchval(
            "SELECT answer FROM event_rsvps WHERE event_id = ? AND person_id = ?", (event_id, person_id)
        )

    async def waiting_position(self, event_id: int, person_id: int) -> int | None:
        """1 for the first in line; in arrival order (`seq`), never by the clock."""
        position = await self.db.fetchval(
            "SELECT COUNT(*) FROM event_rsvps w JOIN event_rsvps me"
            " ON me.event_id = w.event_id AND me.person_id = ? AND me.answer = 'waiting'"
            " WHERE w.event_id = ? AND w.answer = 'waiting' AND w.seq <= me.seq",
            (person_id, event_id),
        )
        return int(position) or None

    async def _held(self, event_id: int) -> int:
        return int(await self.db.fetchval(
            "SELECT COUNT(*) FROM event_rsvps WHERE event_id = ? AND answer IN ('yes', 'offered')", (event_id,)
        ))

    async def _put(self, event_id: int, person_id: int, answer: str, now: datetime, *,
                   keep_since: bool = False) -> None:
        kept = "since = since, seq = seq" if keep_since else "since = excluded.since, seq = excluded.seq"
        await self.db.execute(
            f"INSERT INTO event_rsvps (event_id, person_id, answer, since, seq) VALUES (?, ?, ?, ?, {_NEXT_SEQ})"
            f" ON CONFLICT (event_id, person_id) DO UPDATE SET answer = excluded.answer, {kept},"
            " offer_expires = NULL",
            (event_id, person_id, answer, to_iso(now)),
        )

    async def answer(self, event_id: int, person_id: int, wanted: str, capacity: int | None,
                     now: datetime) -> RsvpChange:
        """Record going/maybe/not going. "Going" beyond the capacity joins the waiting list (at its end)."""
        async with self.db.transaction():
            before = await self.answer_of(event_id, person_id)
            after = wanted
            full = capacity is not None and (before == "waiting" or await self._held(event_id) >= capacity)
            if wanted == "yes" and before not in HOLDS_PLACE and full:
                after = "waiting"
            if after != before:
                # Staying on the waiting list keeps one's place in it; joining it goes to the end.
                await self._put(event_id, person_id, after, now, keep_since=before == after)
            # Counted in the same transaction: the place told is the place held.
            position = await self.waiting_position(event_id, person_id) if after == "waiting" else None
        return RsvpChange(before, after, position)

    async def offer_free_places(self, event_id: int, capacity: int | None, now: datetime,
                                expires: datetime) -> list[int]:
        """Offer every free place to the next on the waiting list, in order; returns who got an offer."""
        if capacity is None:
            # No limit any more (an edit removed it): everyone waiting is simply going.
            await self.db.execute(
                "UPDATE event_rsvps SET answer = 'yes', offer_expires = NULL"
                " WHERE event_id = ? AND answer IN ('waiting', 'offered')", (event_id,))
            return []
        offered: list[int] = []
        async with self.db.transaction():
            free = capacity - await self._held(event_id)
            if free <= 0:
                return []
            rows = await self.db.fetchall(
                "SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer = 'waiting'"
                " ORDER BY seq LIMIT ?", (event_id, free),
            )
            for row in rows:
                await self.db.execute(
                    "UPDATE event_rsvps SET answer = 'offered', offer_expires = ? WHERE event_id = ? AND person_id = ?",
                    (to_iso(expires), event_id, row["person_id"]),
                )
                offered.append(row["person_id"])
        return offered

    async def take_offer(self, event_id: int, person_id: int, now: datetime) -> bool:
        return bool(await self.db.execute(
            f"UPDATE event_rsvps SET answer = 'yes', offer_expires = NULL, since = ?, seq = {_NEXT_SEQ}"
            " WHERE event_id = ? AND person_id = ? AND answer = 'offered' AND offer_expires > ?",
            (to_iso(now), event_id, person_id, to_iso(now)),
        ))

    async def expire_offer(self, event_id: int, person_id: int, now: datetime) -> bool:
        """An offer not taken in time: the person is no longer waiting, the place passes on."""
        return bool(await self.db.execute(
            f"UPDATE event_rsvps SET answer = 'no', offer_expires = NULL, since = ?, seq = {_NEXT_SEQ}"
            " WHERE event_id = ? AND person_id = ? AND answer = 'offered'",
            (to_iso(now), event_id, person_id),
        ))

    async def people(self, event_id: int, answers: tuple[str, ...]) -> list[int]:
        marks = ", ".join("?" for _ in answers)
        rows = await self.db.fetchall(
            f"SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer IN ({marks})"
            " ORDER BY seq", (event_id, *answers),
        )
        return [r["person_id"] for r in rows]

    async def attendees(self, event_id: int) -> list[Row]:
        """Everyone who answered, with their name: going and offered, maybe, waiting, not going; each in
        arrival order (so the waiting rows are the waiting list in its order)."""
        return await self.db.fetchall(
            "SELECT r.person_id, p.display_name, r.answer, r.since FROM event_rsvps r"
            " JOIN people p ON p.id = r.person_id WHERE r.event_id = ?"
            " ORDER BY CASE r.answer WHEN 'yes' THEN 0 WHEN 'offered' THEN 1 WHEN 'maybe' THEN 2"
            " WHEN 'waiting' THEN 3 ELSE 4 END, r.seq", (event_id,))

    async def mine(self, person_id: int, now: datetime) -> list[tuple[Event, str]]:
        rows = await self.db.fetchall(
            "SELECT e.*, r.answer AS my_answer FROM event_rsvps r JOIN events e ON e.id = r.event_id"
            " WHERE r.person_id = ? AND r.answer IN ('yes', 'waiting', 'offered')"
            " AND e.cancelled_at IS NULL AND e.series_end_at > ? ORDER BY e.starts_at, e.id",
            (person_id, to_iso(now)),
        )
        return [(Event.from_row(r), r["my_answer"]) for r in rows]

    # ----------------------------------------------------------------------------------- feedback

    async def rate(self, event_id: int, occurrence: int, person_id: int, rating: int, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO event_feedback (event_id, occurrence, person_id, rating, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, occurrence, person_id)"
            " DO UPDATE SET rating = excluded.rating",
            (event_id, occurrence, person_id, rating, to_iso(now)),
        )

    async def comment(self, event_id: int, person_id: int, text: str) -> bool:
        """The comment goes with the person's latest rating of the event."""
        return bool(await self.db.execute(
            "UPDATE event_feedback SET comment = ? WHERE event_id = ? AND person_id = ? AND occurrence ="
            " (SELECT MAX(occurrence) FROM event_feedback WHERE event_id = ? AND person_id = ?)",
            (text, event_id, person_id, event_id, person_id),
        ))

    async def feedback(self, event_ids: list[int]) -> list[Rated]:
        if not event_ids:
            return []
        marks = ", ".join("?" for _ in event_ids)
        rows = await self.db.fetchall(
            "SELECT e.id, e.title, f.rating, f.comment FROM event_feedback f JOIN events e ON e.id = f.event_id"
            f" WHERE f.event_id IN ({marks}) ORDER BY e.starts_at, e.id, f.created_at", tuple(event_ids),
        )
        grouped: dict[int, tuple[str, list[int], list[str]]] = {}
        for row in rows:
            _title, ratings, comments = grouped.setdefault(row["id"], (row["title"], [], []))
            ratings.append(row["rating"])
            if row["comment"]:
                comments.append(row["comment"])
        return [Rated(event_id, title, sum(ratings) / len(ratings), len(ratings), comments)
                for event_id, (title, ratings, comments) in grouped.items()]

    # ------------------------------------------------------------------------------ personal data

    async def export_person(self, person_id: int) -> dict[str, Any]:
        rsvps = await self.db.fetchall(
            "SELECT r.event_id, e.title, r.answer, r.since FROM event_rsvps r JOIN events e ON e.id = r.event_id"
            " WHERE r.person_id = ? ORDER BY r.seq", (person_id,))
        feedback = await self.db.fetchall(
            "SELECT f.event_id, e.title, f.occurrence, f.rating, f.comment, f.created_at FROM event_feedback f"
            " JOIN events e ON e.id = f.event_id WHERE f.person_id = ? ORDER BY f.created_at", (person_id,))
        created = await self.db.fetchall(
            "SELECT id, title, starts_at FROM events WHERE organiser_id = ? ORDER BY id", (person_id,))
        drafts = await self.db.fetchall(
            "SELECT event_id, reason FROM event_cancel_drafts WHERE person_id = ? ORDER BY event_id", (person_id,))
        return {
            "cancel_reasons_awaiting_confirmation": [dict(r) for r in drafts],
            "rsvps": [dict(r) for r in rsvps],
            "feedback": [dict(r) for r in feedback],
            "events_created": [dict(r) for r in created],
        }

    async def merge_people(self, keep_id: int, gone_id: int) -> Merged:
        """Every RSVP of `gone_id` becomes `keep_id`'s. Where both answered one event, the better answer stays
        (a held place, then the earlier arrival); the other is let go."""
        touched: list[int] = []
        freed: list[int] = []
        dropped: list[tuple[int, int]] = []
        moved: list[tuple[int, datetime]] = []
        async with self.db.transaction():
            # A cancel reason awaiting confirmation is a moment's draft: the merged account's goes.
            await self.db.execute("DELETE FROM event_cancel_drafts WHERE person_id = ?", (gone_id,))
            rows = await self.db.fetchall(
                "SELECT event_id, person_id, answer, seq, offer_expires FROM event_rsvps WHERE person_id IN (?, ?)"
                " ORDER BY event_id, seq", (keep_id, gone_id))
            by_event: dict[int, list[Row]] = {}
            for row in rows:
                by_event.setdefault(row["event_id"], []).append(row)
            for event_id, answers in by_event.items():
                winner = min(answers, key=lambda r: (_KEEP_FIRST[r["answer"]], r["seq"]))
                for loser in (r for r in answers if r is not winner):
                    await self.db.execute("DELETE FROM event_rsvps WHERE event_id = ? AND person_id = ?",
                                          (event_id, loser["person_id"]))
                    if loser["answer"] in HOLDS_PLACE:
                        freed.append(event_id)
                    if loser["answer"] == "offered":
                        dropped.append((event_id, loser["person_id"]))
                if winner["person_id"] == gone_id or len(answers) > 1:
                    touched.append(event_id)
                if winner["person_id"] == gone_id and winner["answer"] == "offered":
                    moved.append((event_id, from_iso(winner["offer_expires"])))
            await self.db.execute("UPDATE event_rsvps SET person_id = ? WHERE person_id = ?", (keep_id, gone_id))
        return Merged(touched, freed, dropped, moved)

    async def forget_person(self, person_id: int) -> list[int]:
        """Delete the person's RSVPs and feedback; events they created stay, without an organiser.

        Returns the events whose RSVPs changed, so the cog can pass freed places on and refresh cards."""
        async with self.db.transaction():
            touched = [r["event_id"] for r in await self.db.fetchall(
                "SELECT event_id FROM event_rsvps WHERE person_id = ?", (person_id,))]
            await self.db.execute("DELETE FROM event_rsvps WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM event_feedback WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM event_cancel_drafts WHERE person_id = ?", (person_id,))
            await self.db.execute("UPDATE events SET organiser_id = NULL WHERE organiser_id = ?", (person_id,))
        return touched
