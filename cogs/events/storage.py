"""Queries for events, RSVPs with their waiting list, and feedback (tables from cogs/events/migrations/).

The waiting-list rules that must hold under concurrent presses (capacity never exceeded, places offered in
order) run inside one transaction each, here; the cog decides what to tell people about the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.i18n import Translated
from storage.db import Database, Row, from_iso, to_iso

__all__ = ["EVERY", "Answer", "Counts", "Event", "EventQueries", "ListState", "Merged", "Offer", "Rated", "RsvpChange",
           "effective"]

# Answers that hold a place (an offered place is held until it is taken or passes on).
HOLDS_PLACE = ("yes", "offered")
# People told about edits and cancellations.
INTERESTED = ("yes", "maybe", "waiting", "offered")
# Which of two answers of one person (after /link) stays: a held place first, then the earlier arrival.
_KEEP_FIRST = {"yes": 0, "offered": 1, "waiting": 2, "maybe": 3, "no": 4}

# The occurrence of an every-time answer: a series' "every week", and a one-off event's only answer.
EVERY = -1
# The rows that give the answers to one time (alias r): its own, else the every-time row. Params: event, time, time.
_EFFECTIVE = ("r.event_id = ? AND (r.occurrence = ? OR (r.occurrence = -1 AND NOT EXISTS (SELECT 1 FROM event_rsvps o"
              " WHERE o.event_id = r.event_id AND o.person_id = r.person_id AND o.occurrence = ?)))")

# The next arrival number: one statement reads and writes it, and SQLite runs one writer at a time.
_NEXT_SEQ = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM event_rsvps)"

_EDITABLE = {"title", "description", "starts_at", "ends_at", "campus", "link", "capacity", "language",
             "repeat_until", "series_end_at", "title_en", "description_en", "feedback_each"}


@dataclass(frozen=True)
class Event:
    id: int
    title_fi: str  # the `title` column: the Finnish (or only) title
    description_fi: str
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
    title_en: str | None = None  # the English title, when given (readers see theirs, else the other)
    description_en: str | None = None
    feedback_each: bool = False  # a series asks for feedback after every time (else once, after the last)
    next_start: datetime | None = None  # the stored next occurrence (see current_next); None: not known or none

    @property
    def title(self) -> Translated:
        """The title in the reader's language: English where one was given, else the Finnish one."""
        return Translated({"fi": self.title_fi, "en": self.title_en})

    @property
    def description(self) -> Translated:
        return Translated({"fi": self.description_fi, "en": self.description_en})

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
            frozenset(from_iso(s) for s in (row["skipped"] or "").split()), row["title_en"], row["description_en"],
            bool(row["feedback_each"]),
            # Stored only while current: a row marked ('') or passed is computed again before a list reads it.
            when("next_start") if row["next_end"] else None,
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
class Answer:
    """One stored answer of a person: for one time (`occurrence`), or for every time (EVERY)."""

    occurrence: int
    answer: str
    since: str
    seq: int


def effective(answers: dict[int, Answer], occurrence: int) -> Answer | None:
    """The answer that holds for one time: the one for it alone, else the every-time one."""
    return answers.get(occurrence, answers.get(EVERY))


@dataclass(frozen=True)
class RsvpChange:
    """What an answer changed; `before`, `after` and `position` are for the first time answered."""

    before: str | None
    after: str
    position: int | None = None  # place on the waiting list, when waiting
    waiting_at: tuple[int, ...] = ()  # the times they are on the waiting list for (full)
    going_at: tuple[int, ...] = ()  # the times they are now going to and were not before
    freed: bool = False  # a held place was let go: to be offered on
    unoffered: tuple[int, ...] = ()  # occurrences whose offer to them no longer stands (its expiry goes)


@dataclass(frozen=True)
class Offer:
    person_id: int
    occurrence: int  # EVERY: a place for every time left
    expires: datetime


@dataclass(frozen=True)
class Merged:
    """What merging two people's RSVPs changed, for the cog to act on."""

    touched: list[int]  # events whose RSVPs changed
    freed: list[int]  # events where a held place was let go (both held one): to be offered on
    dropped_offers: list[tuple[int, int, int]]  # (event, person, occurrence): offers that no longer stand
    moved_offers: list[tuple[int, int, datetime]]  # (event, occurrence, expires): offers now the kept person's


@dataclass(frozen=True)
class Rated:
    event_id: int
    title: str
    rating: float
    count: int
    comments: list[str]


@dataclass(frozen=True)
class ListState:
    kept: int | None  # the list's count as kept (migration 0009); None: to be counted again
    due: bool  # some stored next occurrence is marked or has passed: current_next before reading


# Raised after every write that can change what /event list counts: the counts kept before are not used again.
# An upsert: the row is made again if it went (a test database emptied between tests keeps no rows).
_NEW_COUNTS = ("INSERT INTO event_list_version (name, version) VALUES ('list', 1)"
               " ON CONFLICT (name) DO UPDATE SET version = event_list_version.version + 1")
_VERSION = "COALESCE((SELECT version FROM event_list_version WHERE name = 'list'), 0)"


def _filters_key(where: str | None, language: str | None) -> str:
    return f"{where or '-'}|{language or '-'}"


def _iso(value: datetime | None) -> str | None:
    return to_iso(value) if value is not None else None


def _listed(where: str | None, language: str | None) -> tuple[str, tuple[Any, ...]]:
    """/event list's filters. "Finnish" also lists bilingual events; events without a language match no language
    filter. `next_start IS NOT NULL`: an occurrence is left (after current_next, only current ones are stored)."""
    conditions = ["cancelled_at IS NULL", "next_start IS NOT NULL"]
    params: list[Any] = []
    if where == "online":
        conditions.append("campus IS NULL")
    elif where is not None:
        conditions.append("campus = ?")
        params.append(where)
    if language == "both":
        conditions.append("language = 'both'")
    elif language is not None:
        conditions.append("language IN (?, 'both')")
        params.append(language)
    return " AND ".join(conditions), tuple(params)


class EventQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------- events

    async def create(self, *, title: str, description: str, starts_at: datetime, ends_at: datetime | None,
                     campus: str | None, link: str | None, capacity: int | None, language: str | None,
                     repeat_weeks: int, repeat_until: str | None, timezone: str, series_end_at: datetime,
                     organiser_id: int, now: datetime, title_en: str | None = None,
                     description_en: str | None = None, feedback_each: bool = False) -> int:
        return int(await self.db.fetchval(
            "INSERT INTO events (title, description, starts_at, ends_at, campus, link, capacity, language,"
            " repeat_weeks, repeat_until, timezone, series_end_at, organiser_id, created_at, updated_at,"
            " title_en, description_en, feedback_each)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (title, description, to_iso(starts_at), _iso(ends_at), campus, link, capacity, language,
             repeat_weeks, repeat_until, timezone, to_iso(series_end_at), organiser_id, to_iso(now), to_iso(now),
             title_en, description_en, int(feedback_each)),
        ))

    # ------------------------------------------------------------------------------------- drafts

    async def save_draft(self, organiser_id: int, fields: str, now: datetime) -> int:
        """A previewed event, not yet published: `fields` is its validated values as JSON."""
        return int(await self.db.fetchval(
            "INSERT INTO event_drafts (organiser_id, fields, created_at) VALUES (?, ?, ?) RETURNING id",
            (organiser_id, fields, to_iso(now))))

    async def draft(self, draft_id: int) -> Row | None:
        return await self.db.fetchone("SELECT * FROM event_drafts WHERE id = ?", (draft_id,))

    async def drop_draft(self, draft_id: int) -> bool:
        """False when it was gone already (published, discarded or expired)."""
        return bool(await self.db.execute("DELETE FROM event_drafts WHERE id = ?", (draft_id,)))

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
        # next_end = '': the next occurrence is computed again (current_next) before a list shows the event.
        await self.db.execute(f"UPDATE events SET {sets}, updated_at = ?, sequence = sequence + 1, next_end = ''"
                              " WHERE id = ?",
                              (*values.values(), to_iso(now), event_id))

    async def cancel(self, event_id: int, reason: str | None, now: datetime) -> bool:
        cancelled = bool(await self.db.execute(
            "UPDATE events SET cancelled_at = ?, cancel_reason = ?, updated_at = ?, sequence = sequence + 1"
            " WHERE id = ? AND cancelled_at IS NULL",
            (to_iso(now), reason, to_iso(now), event_id),
        ))
        if cancelled:
            await self.db.execute(_NEW_COUNTS)  # after the write: a count read before it is then never used
        return cancelled

    async def skip(self, event_id: int, start: datetime, now: datetime) -> bool:
        """Cancel one occurrence of a series; False when it was cancelled already."""
        key = to_iso(start)
        return bool(await self.db.execute(
            "UPDATE events SET skipped = TRIM(skipped || ' ' || ?), sequence = sequence + 1, updated_at = ?,"
            " next_end = '' WHERE id = ? AND cancelled_at IS NULL"
            " AND ' ' || skipped || ' ' NOT LIKE '% ' || ? || ' %'",
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

    # The stored next occurrence (migration 0008): the cog computes it (cogs/events/common.py current_next) for
    # the rows `stale` gives, and lists sort and page on it.

    async def stale(self, now: datetime) -> list[Event]:
        """Events not cancelled whose stored next occurrence is marked ('') or has ended."""
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE cancelled_at IS NULL AND next_end <= ? ORDER BY id", (to_iso(now),))
        return [Event.from_row(r) for r in rows]

    async def set_next(self, found: list[tuple[Event, tuple[datetime, datetime] | None]]) -> None:
        """Store each event's next occurrence (start, end), None when none is left. An event edited since it was
        read (its sequence grew) keeps its mark: the next read computes it from the new times."""
        await self.db.executemany(
            "UPDATE events SET next_start = ?, next_end = ? WHERE id = ? AND sequence = ?",
            [(_iso(nxt[0]) if nxt else None, _iso(nxt[1]) if nxt else None, event.id, event.sequence)
             for event, nxt in found])
        if found:
            await self.db.execute(_NEW_COUNTS)

    async def list_state(self, where: str | None, language: str | None, now: datetime) -> ListState:
        """The one read a list page needs before its rows: the kept count for these filters, and whether a
        stored next occurrence is due to be computed again (both bounded by an index, whatever the size)."""
        row = await self.db.fetchone(
            f"SELECT (SELECT listed FROM event_list_counts WHERE filters = ? AND version = {_VERSION}) AS listed,"
            # The earliest stored end: with EXISTS, PostgreSQL's generic plan (a parameter for `now`) may scan the
            # table expecting an early match; MIN reads the first entry of events_due.
            " (SELECT MIN(next_end) FROM events WHERE cancelled_at IS NULL) <= ? AS due",
            (_filters_key(where, language), to_iso(now)))
        assert row is not None
        return ListState(row["listed"], bool(row["due"]))

    async def listed_count(self, where: str | None, language: str | None) -> int:
        """How many upcoming events the list shows with these filters (next occurrences current), counted and
        kept under the current version in one statement (so the count and the version it names agree)."""
        conditions, params = _listed(where, language)
        return int(await self.db.fetchval(
            f"INSERT INTO event_list_counts (filters, version, listed) SELECT ?, {_VERSION},"
            # WHERE 1 = 1: so SQLite's parser takes ON CONFLICT for the upsert.
            f" (SELECT COUNT(*) FROM events WHERE {conditions}) WHERE 1 = 1"
            " ON CONFLICT (filters) DO UPDATE SET version = excluded.version, listed = excluded.listed"
            " RETURNING listed", (_filters_key(where, language), *params)))

    async def listed(self, where: str | None, language: str | None, offset: int, limit: int) -> list[Event]:
        """One page of the list: by next occurrence, then id. The page's ids come from the list's covering index
        (events_next), so the rows skipped by OFFSET are index entries, not whole rows read and dropped."""
        conditions, params = _listed(where, language)
        rows = await self.db.fetchall(
            f"SELECT * FROM events WHERE id IN (SELECT id FROM events WHERE {conditions}"
            " ORDER BY next_start, id LIMIT ? OFFSET ?) ORDER BY next_start, id", (*params, limit, offset))
        return [Event.from_row(r) for r in rows]

    async def in_week(self, until: datetime) -> list[Event]:
        """Events whose next occurrence starts before `until`: the only ones with an occurrence before it."""
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE cancelled_at IS NULL AND next_start IS NOT NULL AND next_start < ?"
            " ORDER BY next_start, id", (to_iso(until),))
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
        found = [Event.from_row(r) for r in rows
                 if wanted in r["title"].casefold() or wanted in (r["title_en"] or "").casefold()]
        exact = [e for e in found if wanted in (e.title_fi.casefold(), (e.title_en or "").casefold())]
        return (exact or found)[:limit]

    # -------------------------------------------------------------------------------------- RSVPs
    # A person's answer to one time of an event is their row for that occurrence, else their every-time row
    # (occurrence EVERY; a one-off event has only that). See migration 0007.

    async def counts(self, event_id: int, occurrence: int) -> Counts:
        rows = await self.db.fetchall(
            f"SELECT r.answer, COUNT(*) AS n FROM event_rsvps r WHERE {_EFFECTIVE} GROUP BY r.answer",
            (event_id, occurrence, occurrence),
        )
        by = {r["answer"]: r["n"] for r in rows}
        return Counts(by.get("yes", 0), by.get("maybe", 0), by.get("no", 0), by.get("waiting", 0),
                      by.get("offered", 0))

    async def answers_of(self, event_id: int, person_id: int) -> dict[int, Answer]:
        """The person's rows for the event by occurrence (EVERY: the every-time answer)."""
        rows = await self.db.fetchall(
            "SELECT occurrence, answer, since, seq FROM event_rsvps WHERE event_id = ? AND person_id = ?",
            (event_id, person_id))
        return {r["occurrence"]: Answer(r["occurrence"], r["answer"], r["since"], r["seq"]) for r in rows}

    async def answer_of(self, event_id: int, person_id: int, occurrence: int) -> str | None:
        found = effective(await self.answers_of(event_id, person_id), occurrence)
        return found.answer if found else None

    async def waiting_position(self, event_id: int, person_id: int, occurrence: int) -> int | None:
        """1 for the first in line for that time; in arrival order (`seq`), never by the clock."""
        mine = effective(await self.answers_of(event_id, person_id), occurrence)
        if mine is None or mine.answer != "waiting":
            return None
        return int(await self.db.fetchval(
            f"SELECT COUNT(*) FROM event_rsvps r WHERE {_EFFECTIVE} AND r.answer = 'waiting' AND r.seq <= ?",
            (event_id, occurrence, occurrence, mine.seq)))

    async def _held(self, event_id: int, occurrence: int) -> int:
        return int(await self.db.fetchval(
            f"SELECT COUNT(*) FROM event_rsvps r WHERE {_EFFECTIVE} AND r.answer IN ('yes', 'offered')",
            (event_id, occurrence, occurrence)))

    async def _put(self, event_id: int, occurrence: int, person_id: int, answer: str, now: datetime, *,
                   keep: Answer | None = None, offer_expires: datetime | None = None) -> None:
        """Write one row; `keep`: the row whose place in line (since, seq) it carries on."""
        since = keep.since if keep else to_iso(now)
        await self.db.execute(
            "INSERT INTO event_rsvps (event_id, occurrence, person_id, answer, since, seq, offer_expires)"
            f" VALUES (?, ?, ?, ?, ?, {'?' if keep else _NEXT_SEQ}, ?)"
            " ON CONFLICT (event_id, occurrence, person_id) DO UPDATE SET answer = excluded.answer,"
            " since = excluded.since, seq = excluded.seq, offer_expires = excluded.offer_expires",
            (event_id, occurrence, person_id, answer, since, *((keep.seq,) if keep else ()), _iso(offer_expires)),
        )

    async def _drop(self, event_id: int, occurrence: int, person_id: int) -> None:
        await self.db.execute("DELETE FROM event_rsvps WHERE event_id = ? AND occurrence = ? AND person_id = ?",
                              (event_id, occurrence, person_id))

    async def answer(self, event_id: int, person_id: int, wanted: str, capacity: int | None, now: datetime, *,
                     times: Sequence[int] = (0,), every: bool = True,
                     ended: Sequence[tuple[int, datetime]] = ()) -> RsvpChange:
        """Record going/maybe/not going for `times` (occurrence indexes not yet over, soonest first). `every`:
        as the every-time answer, `times` being all those left (an answer for one of them alone gives way to it);
        else for those times alone. Going to a full time joins its waiting list (at its end); staying on it
        keeps one's place. `ended`: (index, end) of the times over, which keep an every-time "going" given
        before them (so a change of mind later does not rewrite who went). The defaults: a one-off event."""
        async with self.db.transaction():
            mine = await self.answers_of(event_id, person_id)
            befores = {i: effective(mine, i) for i in times}
            was = {i: row.answer if row else None for i, row in befores.items()}
            targets: dict[int, str] = {}
            for i in times:
                full = capacity is not None and (was[i] == "waiting" or await self._held(event_id, i) >= capacity)
                targets[i] = "waiting" if wanted == "yes" and was[i] not in HOLDS_PLACE and full else wanted
            if every:
                await self._answer_every(event_id, person_id, wanted, now, mine, befores, targets, ended)
            else:
                for i in times:
                    if was[i] != targets[i]:
                        await self._put(event_id, i, person_id, targets[i], now)
            after = await self.answers_of(event_id, person_id)
            first = times[0]
            position = await self.waiting_position(event_id, person_id, first) \
                if targets[first] == "waiting" else None
        return RsvpChange(
            before=was[first], after=targets[first], position=position,
            waiting_at=tuple(i for i in times if targets[i] == "waiting"),
            going_at=tuple(i for i in times if targets[i] == "yes" and was[i] != "yes"),
            freed=any(was[i] in HOLDS_PLACE and targets[i] not in HOLDS_PLACE for i in times),
            unoffered=tuple(o for o, row in mine.items()
                            if row.answer == "offered" and (o not in after or after[o].answer != "offered")),
        )

    async def _answer_every(self, event_id: int, person_id: int, wanted: str, now: datetime,
                            mine: dict[int, Answer], befores: dict[int, Answer | None], targets: dict[int, str],
                            ended: Sequence[tuple[int, datetime]]) -> None:
        series = mine.get(EVERY)
        # Going where there is room; waiting everywhere only when every time left is full.
        series_after = "waiting" if wanted == "yes" and "yes" not in targets.values() else wanted
        if series is None or series.answer != series_after:
            if series is not None and series.answer == "yes":
                for i, end in ended:  # the times they went to stay theirs
                    if i not in mine and from_iso(series.since) <= end:
                        await self._put(event_id, i, person_id, "yes", now, keep=series)
            await self._put(event_id, EVERY, person_id, series_after, now)
        for i, target in targets.items():
            before = befores[i]
            if target == series_after:
                if i in mine:
                    await self._drop(event_id, i, person_id)
            elif before is None or before.answer != target:
                await self._put(event_id, i, person_id, target, now)
            elif before.occurrence != i:  # waiting there already through the every-time row: same place in line
                await self._put(event_id, i, person_id, target, now, keep=before)

    async def offer_free_places(self, event_id: int, capacity: int | None, now: datetime,
                                expiries: dict[int, datetime]) -> list[Offer]:
        """Offer every free place of the times in `expiries` (index: when an offer would expire, soonest
        first) to the first on that time's waiting list. Someone first in line for every one of those times
        through their every-time answer gets one offer for every time."""
        if capacity is None:
            # No limit any more (an edit removed it): everyone waiting is simply going.
            await self.db.execute(
                "UPDATE event_rsvps SET answer = 'yes', offer_expires = NULL"
                " WHERE event_id = ? AND answer IN ('waiting', 'offered')", (event_id,))
            return []
        offers: list[Offer] = []
        async with self.db.transaction():
            planned: dict[int, list[int]] = {}
            for i in expiries:
                free = capacity - await self._held(event_id, i)
                if free <= 0:
                    continue
                rows = await self.db.fetchall(
                    f"SELECT r.person_id FROM event_rsvps r WHERE {_EFFECTIVE} AND r.answer = 'waiting'"
                    " ORDER BY r.seq LIMIT ?", (event_id, i, i, free))
                for row in rows:
                    planned.setdefault(row["person_id"], []).append(i)
            for person_id, times in planned.items():
                mine = await self.answers_of(event_id, person_id)
                series = mine.get(EVERY)
                if times == list(expiries) and series is not None and series.answer == "waiting" and \
                        not set(mine) & set(times):
                    expires = expiries[times[0]]
                    await self._put(event_id, EVERY, person_id, "offered", now, keep=series,
                                    offer_expires=expires)
                    offers.append(Offer(person_id, EVERY, expires))
                    continue
                for i in times:
                    await self._put(event_id, i, person_id, "offered", now, keep=effective(mine, i),
                                    offer_expires=expiries[i])
                    offers.append(Offer(person_id, i, expiries[i]))
        return offers

    async def take_offer(self, event_id: int, person_id: int, occurrence: int, now: datetime) -> bool:
        return bool(await self.db.execute(
            f"UPDATE event_rsvps SET answer = 'yes', offer_expires = NULL, since = ?, seq = {_NEXT_SEQ}"
            " WHERE event_id = ? AND occurrence = ? AND person_id = ? AND answer = 'offered' AND offer_expires > ?",
            (to_iso(now), event_id, occurrence, person_id, to_iso(now)),
        ))

    async def expire_offer(self, event_id: int, person_id: int, occurrence: int, now: datetime) -> bool:
        """An offer not taken in time: the person is no longer waiting for that time (or, for an every-time
        offer, at all); the place passes on."""
        return bool(await self.db.execute(
            f"UPDATE event_rsvps SET answer = 'no', offer_expires = NULL, since = ?, seq = {_NEXT_SEQ}"
            " WHERE event_id = ? AND occurrence = ? AND person_id = ? AND answer = 'offered'",
            (to_iso(now), event_id, occurrence, person_id),
        ))

    async def drop_time(self, event_id: int, occurrence: int) -> list[int]:
        """A time cancelled alone: the answers for it alone go (its places with them); returns whose offer for
        it went."""
        async with self.db.transaction():
            offered = [r["person_id"] for r in await self.db.fetchall(
                "SELECT person_id FROM event_rsvps WHERE event_id = ? AND occurrence = ? AND answer = 'offered'",
                (event_id, occurrence))]
            await self.db.execute("DELETE FROM event_rsvps WHERE event_id = ? AND occurrence = ?",
                                  (event_id, occurrence))
        return offered

    async def people(self, event_id: int, answers: tuple[str, ...], occurrence: int | None = None, *,
                     answered_by: datetime | None = None) -> list[int]:
        """Who answered one of `answers`: for one time (`occurrence`), else for any time, each once.
        `answered_by`: only answers given by then (who went: not an every-time "going" given afterwards)."""
        marks = ", ".join("?" for _ in answers)
        if occurrence is None:
            rows = await self.db.fetchall(
                f"SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer IN ({marks})"
                " GROUP BY person_id ORDER BY MIN(seq)", (event_id, *answers))
            return [r["person_id"] for r in rows]
        by = " AND r.since <= ?" if answered_by is not None else ""
        rows = await self.db.fetchall(
            f"SELECT r.person_id FROM event_rsvps r WHERE {_EFFECTIVE} AND r.answer IN ({marks}){by} ORDER BY r.seq",
            (event_id, occurrence, occurrence, *answers, *((to_iso(answered_by),) if answered_by else ())))
        return [r["person_id"] for r in rows]

    async def attendees(self, event_id: int, occurrence: int) -> list[Row]:
        """Everyone who answered for one time, with their name: going and offered, maybe, waiting, not going;
        each in arrival order (so the waiting rows are that time's waiting list in its order). `occurrence` is
        -1 on a row that is their every-time answer."""
        return await self.db.fetchall(
            "SELECT r.person_id, p.display_name, r.answer, r.since, r.occurrence FROM event_rsvps r"
            f" JOIN people p ON p.id = r.person_id WHERE {_EFFECTIVE}"
            " ORDER BY CASE r.answer WHEN 'yes' THEN 0 WHEN 'offered' THEN 1 WHEN 'maybe' THEN 2"
            " WHEN 'waiting' THEN 3 ELSE 4 END, r.seq", (event_id, occurrence, occurrence))

    async def mine(self, person_id: int, now: datetime) -> list[tuple[Event, dict[int, Answer]]]:
        """Upcoming events the person is going to (or waiting for, or offered) at some time, with all their
        answers to each by occurrence."""
        rows = await self.db.fetchall(
            "SELECT e.*, r.occurrence AS my_occurrence, r.answer AS my_answer, r.since AS my_since,"
            " r.seq AS my_seq FROM event_rsvps r JOIN events e ON e.id = r.event_id"
            " WHERE r.person_id = ? AND e.cancelled_at IS NULL AND e.series_end_at > ? AND e.id IN"
            " (SELECT event_id FROM event_rsvps WHERE person_id = ? AND answer IN ('yes', 'waiting', 'offered'))"
            " ORDER BY e.starts_at, e.id",
            (person_id, to_iso(now), person_id),
        )
        found: dict[int, tuple[Event, dict[int, Answer]]] = {}
        for r in rows:
            _event, answers = found.setdefault(r["id"], (Event.from_row(r), {}))
            answers[r["my_occurrence"]] = Answer(r["my_occurrence"], r["my_answer"], r["my_since"], r["my_seq"])
        return list(found.values())

    _MINE = (" FROM events e WHERE e.cancelled_at IS NULL AND e.next_start IS NOT NULL AND e.id IN"
             " (SELECT event_id FROM event_rsvps WHERE person_id = ? AND answer IN ('yes', 'waiting', 'offered'))")

    async def mine_count(self, person_id: int) -> int:
        """How many upcoming events the person holds or waits for a place at, at some time (next occurrences
        current)."""
        return int(await self.db.fetchval(f"SELECT COUNT(*){self._MINE}", (person_id,)))

    async def mine_page(self, person_id: int, offset: int, limit: int) -> list[tuple[Event, dict[int, Answer]]]:
        """One page of them, by next occurrence, with all the person's answers to each by occurrence."""
        rows = await self.db.fetchall(
            f"SELECT e.*{self._MINE} ORDER BY e.next_start, e.id LIMIT ? OFFSET ?", (person_id, limit, offset))
        found: dict[int, tuple[Event, dict[int, Answer]]] = {r["id"]: (Event.from_row(r), {}) for r in rows}
        if not found:
            return []
        marks = ", ".join("?" * len(found))
        for r in await self.db.fetchall(
                "SELECT event_id, occurrence, answer, since, seq FROM event_rsvps"
                f" WHERE person_id = ? AND event_id IN ({marks})", (person_id, *found)):
            found[r["event_id"]][1][r["occurrence"]] = Answer(r["occurrence"], r["answer"], r["since"], r["seq"])
        return list(found.values())

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

    async def feedback_times(self, event_id: int) -> list[tuple[int, float, int]]:
        """(occurrence, mean rating, how many) per time rated; EVERY: the series as a whole."""
        rows = await self.db.fetchall(
            "SELECT occurrence, AVG(rating) AS mean, COUNT(*) AS n FROM event_feedback WHERE event_id = ?"
            " GROUP BY occurrence ORDER BY occurrence", (event_id,))
        return [(r["occurrence"], float(r["mean"]), int(r["n"])) for r in rows]

    # ------------------------------------------------------------------------------ personal data

    async def export_person(self, person_id: int) -> dict[str, Any]:
        rsvps = await self.db.fetchall(
            "SELECT r.event_id, e.title, r.occurrence, r.answer, r.since FROM event_rsvps r"
            " JOIN events e ON e.id = r.event_id WHERE r.person_id = ? ORDER BY r.seq", (person_id,))
        feedback = await self.db.fetchall(
            "SELECT f.event_id, e.title, f.occurrence, f.rating, f.comment, f.created_at FROM event_feedback f"
            " JOIN events e ON e.id = f.event_id WHERE f.person_id = ? ORDER BY f.created_at", (person_id,))
        created = await self.db.fetchall(
            "SELECT id, title, starts_at FROM events WHERE organiser_id = ? ORDER BY id", (person_id,))
        drafts = await self.db.fetchall(
            "SELECT event_id, reason FROM event_cancel_drafts WHERE person_id = ? ORDER BY event_id", (person_id,))
        previews = await self.db.fetchall(
            "SELECT id, fields, created_at FROM event_drafts WHERE organiser_id = ? ORDER BY id", (person_id,))
        return {
            "event_previews_not_published": [dict(r) for r in previews],
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
        dropped: list[tuple[int, int, int]] = []
        moved: list[tuple[int, int, datetime]] = []
        async with self.db.transaction():
            # A cancel reason awaiting confirmation is a moment's draft: the merged account's goes.
            await self.db.execute("DELETE FROM event_cancel_drafts WHERE person_id = ?", (gone_id,))
            await self.db.execute("UPDATE event_drafts SET organiser_id = ? WHERE organiser_id = ?",
                                  (keep_id, gone_id))
            rows = await self.db.fetchall(
                "SELECT event_id, occurrence, person_id, answer, seq, offer_expires FROM event_rsvps"
                " WHERE person_id IN (?, ?) ORDER BY event_id, occurrence, seq", (keep_id, gone_id))
            by_time: dict[tuple[int, int], list[Row]] = {}
            for row in rows:
                by_time.setdefault((row["event_id"], row["occurrence"]), []).append(row)
            for (event_id, occurrence), answers in by_time.items():
                winner = min(answers, key=lambda r: (_KEEP_FIRST[r["answer"]], r["seq"]))
                for loser in (r for r in answers if r is not winner):
                    await self._drop(event_id, occurrence, loser["person_id"])
                    if loser["answer"] in HOLDS_PLACE:
                        freed.append(event_id)
                    if loser["answer"] == "offered":
                        dropped.append((event_id, loser["person_id"], occurrence))
                if winner["person_id"] == gone_id or len(answers) > 1:
                    touched.append(event_id)
                if winner["person_id"] == gone_id and winner["answer"] == "offered":
                    moved.append((event_id, occurrence, from_iso(winner["offer_expires"])))
            await self.db.execute("UPDATE event_rsvps SET person_id = ? WHERE person_id = ?", (keep_id, gone_id))
        return Merged(list(dict.fromkeys(touched)), list(dict.fromkeys(freed)), dropped, moved)

    async def forget_person(self, person_id: int) -> list[int]:
        """Delete the person's RSVPs and feedback; events they created stay, without an organiser.

        Returns the events whose RSVPs changed, so the cog can pass freed places on and refresh cards."""
        async with self.db.transaction():
            touched = [r["event_id"] for r in await self.db.fetchall(
                "SELECT DISTINCT event_id FROM event_rsvps WHERE person_id = ?", (person_id,))]
            await self.db.execute("DELETE FROM event_rsvps WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM event_feedback WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM event_cancel_drafts WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM event_drafts WHERE organiser_id = ?", (person_id,))
            await self.db.execute("UPDATE events SET organiser_id = NULL WHERE organiser_id = ?", (person_id,))
        return touched
