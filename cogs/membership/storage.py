"""Queries of the membership cog (tables from cogs/membership/migrations/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, Row, from_iso, to_iso

__all__ = ["Benefit", "Campaign", "MembershipQueries", "Referral", "Standing"]

COUNTED = "confirmed"
_STATUS_ORDER = {"confirmed": 0, "pending": 1, "review": 2}  # which of two referrals of one person stays


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    reward: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> Campaign:
        return cls(row["id"], row["name"], row["reward"], from_iso(row["starts_at"]), from_iso(row["ends_at"]),
                   from_iso(row["ended_at"]) if row["ended_at"] else None)


@dataclass(frozen=True)
class Referral:
    id: int
    campaign_id: int
    referrer_id: int
    newcomer_id: int
    via: str
    campus: str | None
    status: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Referral:
        return cls(row["id"], row["campaign_id"], row["referrer_id"], row["newcomer_id"], row["via"], row["campus"],
                   row["status"], from_iso(row["created_at"]))


@dataclass(frozen=True)
class Standing:
    person_id: int
    name: str
    confirmed: int


@dataclass(frozen=True)
class Benefit:
    id: int
    name: str
    what: str
    kind: str
    place: str
    valid_until: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> Benefit:
        return cls(row["id"], row["name"], row["what"], row["kind"], row["place"],
                   from_iso(row["valid_until"]) if row["valid_until"] else None)


class MembershipQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------- campaigns

    async def add_campaign(self, name: str, reward: str, starts: datetime, ends: datetime, by: int) -> int:
        return await self.db.fetchval(
            "INSERT INTO membership_campaigns (name, reward, starts_at, ends_at, created_by) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (name, reward, to_iso(starts), to_iso(ends), by))

    async def open_campaign(self) -> Campaign | None:
        """The campaign not yet ended (running, or set to start later): at most one."""
        row = await self.db.fetchone("SELECT * FROM membership_campaigns WHERE ended_at IS NULL ORDER BY id LIMIT 1")
        return Campaign.from_row(row) if row else None

    async def campaign(self, campaign_id: int) -> Campaign | None:
        row = await self.db.fetchone("SELECT * FROM membership_campaigns WHERE id = ?", (campaign_id,))
        return Campaign.from_row(row) if row else None

    async def end_campaign(self, campaign_id: int, now: datetime) -> bool:
        """Marks it ended; False when it already was (the end task and an early end never both announce)."""
        changed = await self.db.fetchval(
            "UPDATE membership_campaigns SET ended_at = ? WHERE id = ? AND ended_at IS NULL RETURNING id",
            (to_iso(now), campaign_id))
        return changed is not None

    # ----------------------------------------------------------------------------- codes and invites

    async def code_of(self, person_id: int) -> str | None:
        value = await self.db.fetchval("SELECT code FROM membership_codes WHERE person_id = ?", (person_id,))
        return str(value) if value is not None else None

    async def set_code(self, person_id: int, code: str) -> bool:
        """False when the code is taken (the caller draws another)."""
        done = await self.db.fetchval(
            "INSERT INTO membership_codes (person_id, code) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING code",
            (person_id, code))
        return done is not None

    async def owner_of_code(self, code: str) -> int | None:
        value = await self.db.fetchval("SELECT person_id FROM membership_codes WHERE code = ?", (code,))
        return int(value) if value is not None else None

    async def invite_of(self, person_id: int, platform: str) -> str | None:
        value = await self.db.fetchval(
            "SELECT url FROM membership_invites WHERE person_id = ? AND platform = ?", (person_id, platform))
        return str(value) if value is not None else None

    async def add_invite(self, person_id: int, platform: str, code: str, url: str) -> None:
        await self.db.execute(
            "INSERT INTO membership_invites (platform, code, person_id, url) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform, code) DO UPDATE SET person_id = excluded.person_id, url = excluded.url",
            (platform, code, person_id, url))

    async def owner_of_invite(self, platform: str, code: str) -> int | None:
        value = await self.db.fetchval(
            "SELECT person_id FROM membership_invites WHERE platform = ? AND code = ?", (platform, code))
        return int(value) if value is not None else None

    # ------------------------------------------------------------------------------------- referrals

    async def referral_of(self, campaign_id: int, newcomer_id: int) -> Referral | None:
        row = await self.db.fetchone(
            "SELECT * FROM membership_referrals WHERE campaign_id = ? AND newcomer_id = ?", (campaign_id, newcomer_id))
        return Referral.from_row(row) if row else None

    async def add_referral(self, campaign_id: int, referrer_id: int, newcomer_id: int, via: str,
                           campus: str | None, status: str, now: datetime) -> int | None:
        """The new referral's id, or None when the newcomer already named someone in this campaign."""
        value = await self.db.fetchval(
            "INSERT INTO membership_referrals (campaign_id, referrer_id, newcomer_id, via, campus, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (campaign_id, referrer_id, newcomer_id, via, campus, status, to_iso(now)))
        return int(value) if value is not None else None

    async def referral(self, referral_id: int) -> Referral | None:
        row = await self.db.fetchone("SELECT * FROM membership_referrals WHERE id = ?", (referral_id,))
        return Referral.from_row(row) if row else None

    async def waiting(self, campaign_id: int) -> list[tuple[Referral, str, str]]:
        """Referrals the board has not confirmed, oldest first, with the referrer's and newcomer's names."""
        rows = await self.db.fetchall(
            "SELECT r.*, a.display_name AS referrer_name, b.display_name AS newcomer_name"
            " FROM membership_referrals r JOIN people a ON a.id = r.referrer_id JOIN people b ON b.id = r.newcomer_id"
            " WHERE r.campaign_id = ? AND r.status != ? ORDER BY r.id", (campaign_id, COUNTED))
        return [(Referral.from_row(row), row["referrer_name"], row["newcomer_name"]) for row in rows]

    async def confirm(self, referral_id: int, now: datetime) -> bool:
        value = await self.db.fetchval(
            "UPDATE membership_referrals SET status = ?, confirmed_at = ? WHERE id = ? AND status != ? RETURNING id",
            (COUNTED, to_iso(now), referral_id, COUNTED))
        return value is not None

    async def set_campus(self, referral_id: int, campus: str) -> None:
        await self.db.execute("UPDATE membership_referrals SET campus = ? WHERE id = ?", (campus, referral_id))

    async def reject(self, referral_id: int) -> bool:
        value = await self.db.fetchval(
            "DELETE FROM membership_referrals WHERE id = ? AND status != ? RETURNING id", (referral_id, COUNTED))
        return value is not None

    async def standings(self, campaign_id: int) -> list[Standing]:
        """Every referrer with a confirmed referral, most first (ties by name, for a stable order)."""
        rows = await self.db.fetchall(
            "SELECT r.referrer_id, p.display_name, COUNT(*) AS n FROM membership_referrals r"
            " JOIN people p ON p.id = r.referrer_id WHERE r.campaign_id = ? AND r.status = ?"
            " GROUP BY r.referrer_id, p.display_name ORDER BY n DESC, lower(p.display_name), r.referrer_id",
            (campaign_id, COUNTED))
        return [Standing(row["referrer_id"], row["display_name"], row["n"]) for row in rows]

    async def by_place(self, campaign_id: int) -> list[tuple[str | None, int]]:
        """Confirmed referrals per newcomer's campus ('online', None: not said), most first."""
        rows = await self.db.fetchall(
            "SELECT campus, COUNT(*) AS n FROM membership_referrals WHERE campaign_id = ? AND status = ?"
            " GROUP BY campus ORDER BY n DESC, campus NULLS FIRST", (campaign_id, COUNTED))
        return [(row["campus"], row["n"]) for row in rows]

    async def all_referrals(self, campaign_id: int) -> list[tuple[Referral, str, str]]:
        rows = await self.db.fetchall(
            "SELECT r.*, a.display_name AS referrer_name, b.display_name AS newcomer_name"
            " FROM membership_referrals r JOIN people a ON a.id = r.referrer_id JOIN people b ON b.id = r.newcomer_id"
            " WHERE r.campaign_id = ? ORDER BY r.id", (campaign_id,))
        return [(Referral.from_row(row), row["referrer_name"], row["newcomer_name"]) for row in rows]

    # -------------------------------------------------------------------------------------- benefits

    async def add_benefit(self, name: str, what: str, kind: str, place: str, valid_until: datetime | None,
                          now: datetime) -> int:
        return await self.db.fetchval(
            "INSERT INTO membership_benefits (name, what, kind, place, valid_until, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (name, what, kind, place, to_iso(valid_until) if valid_until else None, to_iso(now)))

    async def edit_benefit(self, benefit_id: int, name: str, what: str, kind: str, place: str,
                           valid_until: datetime | None) -> bool:
        value = await self.db.fetchval(
            "UPDATE membership_benefits SET name = ?, what = ?, kind = ?, place = ?, valid_until = ? WHERE id = ?"
            " RETURNING id", (name, what, kind, place, to_iso(valid_until) if valid_until else None, benefit_id))
        return value is not None

    async def remove_benefit(self, benefit_id: int) -> bool:
        value = await self.db.fetchval("DELETE FROM membership_benefits WHERE id = ? RETURNING id", (benefit_id,))
        return value is not None

    async def benefit(self, benefit_id: int) -> Benefit | None:
        row = await self.db.fetchone("SELECT * FROM membership_benefits WHERE id = ?", (benefit_id,))
        return Benefit.from_row(row) if row else None

    async def benefits(self, now: datetime, places: list[str] | None = None) -> list[Benefit]:
        """Benefits still valid, by name; only those of `places` when given."""
        rows = await self.db.fetchall(
            "SELECT * FROM membership_benefits WHERE valid_until IS NULL OR valid_until > ?"
            " ORDER BY lower(name), id", (to_iso(now),))
        found = [Benefit.from_row(row) for row in rows]
        return found if places is None else [b for b in found if b.place in places]

    # ---------------------------------------------------------------------------------------- people

    async def export(self, person_id: int) -> dict[str, object]:
        code = await self.code_of(person_id)
        invites = await self.db.fetchall(
            "SELECT platform, url FROM membership_invites WHERE person_id = ?", (person_id,))
        referrals = await self.db.fetchall(
            "SELECT c.name AS campaign, r.via, r.campus, r.status, r.created_at,"
            " CASE WHEN r.referrer_id = ? THEN 'referrer' ELSE 'newcomer' END AS role"
            " FROM membership_referrals r JOIN membership_campaigns c ON c.id = r.campaign_id"
            " WHERE r.referrer_id = ? OR r.newcomer_id = ? ORDER BY r.id", (person_id, person_id, person_id))
        return {"code": code, "invites": [dict(row) for row in invites],
                "referrals": [dict(row) for row in referrals]}

    async def forget(self, person_id: int) -> None:
        await self.db.execute(
            "DELETE FROM membership_referrals WHERE referrer_id = ? OR newcomer_id = ?", (person_id, person_id))
        await self.db.execute("DELETE FROM membership_invites WHERE person_id = ?", (person_id,))
        await self.db.execute("DELETE FROM membership_codes WHERE person_id = ?", (person_id,))
        await self.db.execute("UPDATE membership_campaigns SET created_by = NULL WHERE created_by = ?", (person_id,))

    async def merge(self, keep: int, gone: int) -> None:
        """/link made `gone` part of `keep`: one code, one referral per campaign, none for oneself."""
        if await self.code_of(keep) is not None:
            await self.db.execute("DELETE FROM membership_codes WHERE person_id = ?", (gone,))
        await self.db.execute("UPDATE membership_codes SET person_id = ? WHERE person_id = ?", (keep, gone))
        await self.db.execute("UPDATE membership_invites SET person_id = ? WHERE person_id = ?", (keep, gone))
        # A referral between the two halves would now be a self-referral: it goes.
        await self.db.execute(
            "DELETE FROM membership_referrals WHERE (referrer_id = ? AND newcomer_id = ?)"
            " OR (referrer_id = ? AND newcomer_id = ?)", (keep, gone, gone, keep))
        # Both halves named someone in one campaign: the confirmed (else the earlier) one stays.
        rows = await self.db.fetchall(
            "SELECT * FROM membership_referrals WHERE newcomer_id IN (?, ?) ORDER BY campaign_id, id", (keep, gone))
        by_campaign: dict[int, list[Referral]] = {}
        for row in rows:
            by_campaign.setdefault(row["campaign_id"], []).append(Referral.from_row(row))
        for pair in by_campaign.values():
            if len(pair) > 1:
                pair.sort(key=lambda r: (_STATUS_ORDER.get(r.status, 9), r.id))
                await self.db.executemany("DELETE FROM membership_referrals WHERE id = ?", [(r.id,) for r in pair[1:]])
        await self.db.execute("UPDATE membership_referrals SET referrer_id = ? WHERE referrer_id = ?", (keep, gone))
        await self.db.execute("UPDATE membership_referrals SET newcomer_id = ? WHERE newcomer_id = ?", (keep, gone))
