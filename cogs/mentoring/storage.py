"""Queries for the mentor programme (cogs/mentoring/migrations/): programmes, applications, pairs and groups,
agreements and their confirmations, meetings, check-ins and end feedback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Row, from_iso, to_iso

GOALS = ("belonging", "dialogue", "reflection", "reciprocity", "learning")


@dataclass(frozen=True)
class Programme:
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    deadline: datetime
    closed: bool
    coordinator_id: int | None
    kickoff_event: int | None

    @classmethod
    def from_row(cls, row: Row) -> Programme:
        return cls(row["id"], row["name"], from_iso(row["starts_at"]), from_iso(row["ends_at"]),
                   from_iso(row["deadline"]), bool(row["closed"]), row["coordinator_id"], row["kickoff_event"])


@dataclass(frozen=True)
class Application:
    id: int
    programme_id: int
    person_id: int
    side: str
    field: str
    languages: tuple[str, ...]
    mode: str
    campus: str | None
    about: str
    stage: str | None
    team: tuple[int, ...]
    pair_id: int | None

    @classmethod
    def from_row(cls, row: Row) -> Application:
        languages = tuple(x for x in row["languages"].split(",") if x)
        return cls(row["id"], row["programme_id"], row["person_id"], row["side"], row["field"], languages,
                   row["mode"], row["campus"], row["about"], row["stage"], tuple(json.loads(row["team"])),
                   row["pair_id"])


@dataclass(frozen=True)
class Pair:
    id: int
    programme_id: int
    kind: str
    conversation_id: int | None
    state: str
    mentors: tuple[int, ...]
    aktorit: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return self.mentors + self.aktorit


@dataclass(frozen=True)
class Agreement:
    pair_id: int
    goals: str
    rhythm: str
    mode: str
    cost_plan: str | None
    cost_limit: int | None
    version: int
    confirmed: tuple[int, ...]


@dataclass(frozen=True)
class Meeting:
    id: int
    pair_id: int
    at: datetime
    place: str
    state: str
    notes: str | None
    cost: int | None
    cost_what: str | None

    @classmethod
    def from_row(cls, row: Row) -> Meeting:
        return cls(row["id"], row["pair_id"], from_iso(row["at"]), row["place"], row["state"], row["notes"],
                   row["cost"], row["cost_what"])


class MentoringQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---------------------------------------------------------------------------------------- programmes

    async def add_programme(self, name: str, starts: datetime, ends: datetime, deadline: datetime,
                            coordinator_id: int, kickoff_event: int | None, now: datetime) -> int:
        return await self.db.fetchval(
            "INSERT INTO mentoring_programmes (name, starts_at, ends_at, deadline, coordinator_id, kickoff_event,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (name, to_iso(starts), to_iso(ends), to_iso(deadline), coordinator_id, kickoff_event, to_iso(now)))

    async def programme(self, programme_id: int) -> Programme | None:
        row = await self.db.fetchone("SELECT * FROM mentoring_programmes WHERE id = ?", (programme_id,))
        return None if row is None else Programme.from_row(row)

    async def current(self) -> Programme | None:
        """The newest programme not closed."""
        row = await self.db.fetchone("SELECT * FROM mentoring_programmes WHERE closed = 0 ORDER BY id DESC LIMIT 1")
        return None if row is None else Programme.from_row(row)

    async def latest(self) -> Programme | None:
        row = await self.db.fetchone("SELECT * FROM mentoring_programmes ORDER BY id DESC LIMIT 1")
        return None if row is None else Programme.from_row(row)

    async def close_programme(self, programme_id: int) -> None:
        await self.db.execute("UPDATE mentoring_programmes SET closed = 1 WHERE id = ?", (programme_id,))

    # -------------------------------------------------------------------------------------- applications

    async def apply(self, programme_id: int, person_id: int, side: str, field: str, languages: list[str],
                    mode: str, campus: str | None, about: str, stage: str | None, team: list[int],
                    now: datetime) -> int:
        """A new application, or the person's earlier one replaced (while it is not paired)."""
        await self.db.execute(
            "DELETE FROM mentoring_applications WHERE programme_id = ? AND person_id = ? AND pair_id IS NULL",
            (programme_id, person_id))
        return await self.db.fetchval(
            "INSERT INTO mentoring_applications (programme_id, person_id, side, field, languages, mode, campus,"
            " about, stage, team, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (programme_id, person_id, side, field, ",".join(languages), mode, campus, about, stage,
             json.dumps(team), to_iso(now)))

    async def applications(self, programme_id: int) -> list[Application]:
        rows = await self.db.fetchall(
            "SELECT * FROM mentoring_applications WHERE programme_id = ? ORDER BY id", (programme_id,))
        return [Application.from_row(r) for r in rows]

    async def application_of(self, programme_id: int, person_id: int) -> Application | None:
        row = await self.db.fetchone(
            "SELECT * FROM mentoring_applications WHERE programme_id = ? AND person_id = ?",
            (programme_id, person_id))
        return None if row is None else Application.from_row(row)

    async def in_team_of(self, programme_id: int, person_id: int) -> Application | None:
        """The team application that names this person as a member."""
        for app in await self.applications(programme_id):
            if person_id in app.team:
                return app
        return None

    # ------------------------------------------------------------------------------------------- pairs

    async def make_pair(self, programme_id: int, kind: str, mentors: list[int], aktorit: list[int],
                        application_ids: list[int], now: datetime) -> int:
        async with self.db.transaction():
            pair_id = await self.db.fetchval(
                "INSERT INTO mentoring_pairs (programme_id, kind, created_at) VALUES (?, ?, ?) RETURNING id",
                (programme_id, kind, to_iso(now)))
            await self.db.executemany(
                "INSERT INTO mentoring_members (pair_id, person_id, side) VALUES (?, ?, ?)",
                [(pair_id, p, "mentor") for p in mentors] + [(pair_id, p, "aktori") for p in aktorit])
            await self.db.executemany("UPDATE mentoring_applications SET pair_id = ? WHERE id = ?",
                                      [(pair_id, a) for a in application_ids])
        return pair_id

    async def created_at(self, pair_id: int) -> datetime:
        return from_iso(await self.db.fetchval("SELECT created_at FROM mentoring_pairs WHERE id = ?", (pair_id,)))

    async def set_conversation(self, pair_id: int, conversation_id: int) -> None:
        await self.db.execute("UPDATE mentoring_pairs SET conversation_id = ? WHERE id = ?",
                              (conversation_id, pair_id))

    async def pair(self, pair_id: int) -> Pair | None:
        row = await self.db.fetchone("SELECT * FROM mentoring_pairs WHERE id = ?", (pair_id,))
        if row is None:
            return None
        members = await self.db.fetchall(
            "SELECT person_id, side FROM mentoring_members WHERE pair_id = ? ORDER BY person_id", (pair_id,))
        return Pair(row["id"], row["programme_id"], row["kind"], row["conversation_id"], row["state"],
                    tuple(m["person_id"] for m in members if m["side"] == "mentor"),
                    tuple(m["person_id"] for m in members if m["side"] == "aktori"))

    async def pairs(self, programme_id: int | None = None, *, open_only: bool = False) -> list[Pair]:
        where, params = ["TRUE"], []
        if programme_id is not None:
            where.append("programme_id = ?")
            params.append(programme_id)
        if open_only:
            where.append("state = 'open'")
        rows = await self.db.fetchall(
            f"SELECT id FROM mentoring_pairs WHERE {' AND '.join(where)} ORDER BY id", params)
        return [p for r in rows if (p := await self.pair(r["id"])) is not None]

    async def pairs_of(self, person_id: int, *, open_only: bool = True) -> list[Pair]:
        rows = await self.db.fetchall(
            "SELECT p.id FROM mentoring_pairs p JOIN mentoring_members m ON m.pair_id = p.id"
            " WHERE m.person_id = ? AND (? = 0 OR p.state = 'open') ORDER BY p.id", (person_id, int(open_only)))
        return [p for r in rows if (p := await self.pair(r["id"])) is not None]

    async def close_pair(self, pair_id: int, now: datetime) -> bool:
        return await self.db.execute(
            "UPDATE mentoring_pairs SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'",
            (to_iso(now), pair_id)) > 0

    async def set_fit(self, pair_id: int, person_id: int, fit: str) -> None:
        await self.db.execute("UPDATE mentoring_members SET fit = ? WHERE pair_id = ? AND person_id = ?",
                              (fit, pair_id, person_id))

    # -------------------------------------------------------------------------------------- agreements

    async def set_agreement(self, pair_id: int, goals: str, rhythm: str, mode: str, cost_plan: str | None,
                            cost_limit: int | None, now: datetime) -> int:
        """Records (or changes) the agreement; returns its version, which every member confirms anew."""
        version = int(await self.db.fetchval(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM mentoring_agreements WHERE pair_id = ?", (pair_id,)))
        await self.db.execute(
            "INSERT INTO mentoring_agreements (pair_id, goals, rhythm, mode, cost_plan, cost_limit,"
            " version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pair_id) DO UPDATE SET"
            " goals = excluded.goals, rhythm = excluded.rhythm, mode = excluded.mode, cost_plan = excluded.cost_plan,"
            " cost_limit = excluded.cost_limit, version = excluded.version, created_at = excluded.created_at",
            (pair_id, goals, rhythm, mode, cost_plan, cost_limit, version, to_iso(now)))
        return version

    async def agreement(self, pair_id: int) -> Agreement | None:
        row = await self.db.fetchone("SELECT * FROM mentoring_agreements WHERE pair_id = ?", (pair_id,))
        if row is None:
            return None
        confirmed = await self.db.fetchall(
            "SELECT person_id FROM mentoring_confirmations WHERE pair_id = ? AND version = ?",
            (pair_id, row["version"]))
        return Agreement(pair_id, row["goals"], row["rhythm"], row["mode"], row["cost_plan"], row["cost_limit"],
                         row["version"], tuple(r["person_id"] for r in confirmed))

    async def confirm(self, pair_id: int, person_id: int, version: int, now: datetime) -> bool:
        return await self.db.execute(
            "INSERT INTO mentoring_confirmations (pair_id, person_id, version, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING", (pair_id, person_id, version, to_iso(now))) > 0

    # ---------------------------------------------------------------------------------------- meetings

    async def plan_meeting(self, pair_id: int, at: datetime, place: str) -> int:
        return await self.db.fetchval(
            "INSERT INTO mentoring_meetings (pair_id, at, place) VALUES (?, ?, ?) RETURNING id",
            (pair_id, to_iso(at), place))

    async def log_meeting(self, pair_id: int, meeting_id: int | None, at: datetime, place: str, notes: str | None,
                          cost: int | None, cost_what: str | None, claimant: int | None, now: datetime) -> int:
        """Marks a planned meeting held, or records one that was not planned here."""
        if meeting_id is None:
            meeting_id = await self.plan_meeting(pair_id, at, place)
        await self.db.execute(
            "UPDATE mentoring_meetings SET state = 'held', notes = ?, cost = ?, cost_what = ?, claimant_id = ?,"
            " logged_at = ? WHERE id = ?", (notes, cost, cost_what, claimant, to_iso(now), meeting_id))
        return meeting_id

    async def meeting(self, meeting_id: int) -> Meeting | None:
        row = await self.db.fetchone("SELECT * FROM mentoring_meetings WHERE id = ?", (meeting_id,))
        return None if row is None else Meeting.from_row(row)

    async def meetings(self, pair_id: int) -> list[Meeting]:
        rows = await self.db.fetchall("SELECT * FROM mentoring_meetings WHERE pair_id = ? ORDER BY at, id",
                                      (pair_id,))
        return [Meeting.from_row(r) for r in rows]

    async def claims(self, programme_id: int) -> list[tuple[Meeting, int | None]]:
        rows = await self.db.fetchall(
            "SELECT m.*, m.claimant_id AS claimant FROM mentoring_meetings m JOIN mentoring_pairs p"
            " ON p.id = m.pair_id WHERE p.programme_id = ? AND m.cost IS NOT NULL ORDER BY m.at, m.id",
            (programme_id,))
        return [(Meeting.from_row(r), r["claimant"]) for r in rows]

    # ---------------------------------------------------------------------------------------- check-ins

    async def add_checkin(self, pair_id: int, person_id: int, answer: str, now: datetime) -> None:
        await self.db.execute("INSERT INTO mentoring_checkins (pair_id, person_id, answer, at) VALUES (?, ?, ?, ?)",
                              (pair_id, person_id, answer, to_iso(now)))

    async def last_checkin(self, pair_id: int) -> tuple[str, datetime] | None:
        row = await self.db.fetchone(
            "SELECT answer, at FROM mentoring_checkins WHERE pair_id = ? ORDER BY at DESC, id DESC LIMIT 1",
            (pair_id,))
        return None if row is None else (row["answer"], from_iso(row["at"]))

    # ---------------------------------------------------------------------------------------- feedback

    async def add_feedback(self, pair_id: int, person_id: int, side: str, scores: dict[str, int],
                           comment: str | None, now: datetime) -> bool:
        return await self.db.execute(
            "INSERT INTO mentoring_feedback (pair_id, person_id, side, belonging, dialogue, reflection,"
            " reciprocity, learning, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (pair_id, person_id, side, *(scores[g] for g in GOALS), comment, to_iso(now))) > 0

    async def feedback(self, programme_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT f.* FROM mentoring_feedback f JOIN mentoring_pairs p ON p.id = f.pair_id"
            " WHERE p.programme_id = ? ORDER BY f.at", (programme_id,))
        return [dict(r) for r in rows]

    # ---------------------------------------------------------------------------------------- people

    async def export_person(self, person_id: int) -> dict[str, Any]:
        apps = await self.db.fetchall("SELECT * FROM mentoring_applications WHERE person_id = ?", (person_id,))
        pairs = await self.db.fetchall("SELECT pair_id, side, fit FROM mentoring_members WHERE person_id = ?",
                                       (person_id,))
        checkins = await self.db.fetchall("SELECT pair_id, answer, at FROM mentoring_checkins WHERE person_id = ?",
                                          (person_id,))
        feedback = await self.db.fetchall("SELECT * FROM mentoring_feedback WHERE person_id = ?", (person_id,))
        claims = await self.db.fetchall(
            "SELECT pair_id, at, cost, cost_what FROM mentoring_meetings WHERE claimant_id = ?", (person_id,))
        strip = {"person_id", "claimant_id"}
        return {name: [{k: v for k, v in dict(r).items() if k not in strip} for r in rows]
                for name, rows in (("applications", apps), ("pairs", pairs), ("checkins", checkins),
                                   ("feedback", feedback), ("cost_claims", claims))}

    async def forget_person(self, person_id: int) -> None:
        """Their applications, memberships and confirmations go (cascade with the person too); check-ins and
        feedback stay without a name for the programme's figures, with the free text dropped."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM mentoring_applications WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM mentoring_members WHERE person_id = ?", (person_id,))
            await self.db.execute("DELETE FROM mentoring_confirmations WHERE person_id = ?", (person_id,))
            await self.db.execute("UPDATE mentoring_checkins SET person_id = NULL WHERE person_id = ?", (person_id,))
            await self.db.execute(
                "UPDATE mentoring_feedback SET person_id = NULL, comment = NULL WHERE person_id = ?", (person_id,))
            await self.db.execute(
                "UPDATE mentoring_meetings SET claimant_id = NULL, cost_what = NULL WHERE claimant_id = ?",
                (person_id,))

    async def merge_people(self, keep_id: int, gone_id: int) -> None:
        """Rows a unique rule would reject for the kept person go before the core moves the rest."""
        await self.db.execute(
            "DELETE FROM mentoring_applications WHERE person_id = ? AND programme_id IN"
            " (SELECT programme_id FROM mentoring_applications WHERE person_id = ?)", (gone_id, keep_id))
        await self.db.execute(
            "DELETE FROM mentoring_members WHERE person_id = ? AND pair_id IN"
            " (SELECT pair_id FROM mentoring_members WHERE person_id = ?)", (gone_id, keep_id))
        await self.db.execute(
            "DELETE FROM mentoring_confirmations WHERE person_id = ? AND (pair_id, version) IN"
            " (SELECT pair_id, version FROM mentoring_confirmations WHERE person_id = ?)", (gone_id, keep_id))
        await self.db.execute(
            "DELETE FROM mentoring_feedback WHERE person_id = ? AND pair_id IN"
            " (SELECT pair_id FROM mentoring_feedback WHERE person_id = ?)", (gone_id, keep_id))
