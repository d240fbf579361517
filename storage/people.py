"""Queries for people and their platform accounts (tables from 0001_core.sql)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from storage.db import Database, Row, to_iso

__all__ = ["PeopleQueries", "Person"]

T = TypeVar("T")

_PERSON_COLUMNS = "p.id, p.display_name, p.locale, p.preferred_platform, p.quiet_start, p.quiet_end"


@dataclass(frozen=True)
class Person:
    id: int
    display_name: str
    locale: str | None
    preferred_platform: str | None
    quiet_start: str | None = None  # 'HH:MM' local: non-urgent DMs wait until quiet_end
    quiet_end: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Person:
        keys = row.keys()
        quiet = (row["quiet_start"], row["quiet_end"]) if "quiet_start" in keys else (None, None)
        return cls(row["id"], row["display_name"], row["locale"], row["preferred_platform"], *quiet)


def _changes_people(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Drops cached accounts after a method that changes people or accounts (after: no stale re-read).

    Settings of one person (first argument, a person id) drop that person's accounts; merge and erase,
    which move or delete accounts, clear the whole cache.
    """

    @functools.wraps(method)
    async def changing(self: PeopleQueries, *args: Any, **kwargs: Any) -> T:
        try:
            return await method(self, *args, **kwargs)
        finally:
            if method.__name__ in ("merge", "erase"):
                self._cache.clear()
                self._keys_of.clear()
            else:
                self._forget_person(args[0])

    return changing


class PeopleQueries:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Every command starts by finding its person: cache account -> (person, unreachable?) so that costs
        # no database round trip. Anything that changes a person or an account clears the cache.
        self._cache: dict[tuple[str, str], tuple[Person, bool]] = {}
        self._keys_of: dict[int, set[tuple[str, str]]] = {}  # person id -> their cached accounts (no scans)

    async def get_or_create(
        self, platform: str, platform_user_id: str | int, display_name: str, locale: str | None = None
    ) -> Person:
        """The person owning this account, creating both on first contact."""
        user_id = str(platform_user_id)  # ids are TEXT so Discord and Telegram ids share one column
        cached = self._cache.get((platform, user_id))
        if cached is not None:
            return cached[0]
        existing = await self._by_account(platform, user_id)
        if existing is not None:
            return existing
        # BEGIN IMMEDIATE serialises writers (even across processes), so the re-check below is
        # authoritative; ON CONFLICT DO NOTHING is a second guard if the account appeared anyway.
        async with self.db.transaction():
            existing = await self._by_account(platform, user_id)
            if existing is not None:
                return existing
            created = to_iso(self.db.now())
            person_id = await self.db.fetchval(
                "INSERT INTO people(display_name, locale, created_at) VALUES (?, ?, ?) RETURNING id",
                (display_name, locale, created),
            )
            inserted = await self.db.execute(
                "INSERT INTO accounts(platform, platform_user_id, person_id, display_name, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(platform, platform_user_id) DO NOTHING",
                (platform, user_id, person_id, display_name, created),
            )
            if not inserted:
                await self.db.execute("DELETE FROM people WHERE id = ?", (person_id,))
        found = await self._by_account(platform, user_id)
        assert found is not None  # the account exists now, whoever inserted it
        return found

    async def _by_account(self, platform: str, user_id: str) -> Person | None:
        row = await self.db.fetchone(
            f"SELECT {_PERSON_COLUMNS}, a.unreachable_since FROM accounts a JOIN people p ON p.id = a.person_id"
            " WHERE a.platform = ? AND a.platform_user_id = ?",
            (platform, user_id),
        )
        if row is not None:
            person = Person.from_row(row)
            self._cache[(platform, user_id)] = (person, row["unreachable_since"] is not None)
            self._keys_of.setdefault(person.id, set()).add((platform, user_id))
        return None if row is None else Person.from_row(row)

    async def get(self, person_id: int) -> Person | None:
        row = await self.db.fetchone(f"SELECT {_PERSON_COLUMNS} FROM people p WHERE p.id = ?", (person_id,))
        return None if row is None else Person.from_row(row)

    async def accounts(self, person_id: int) -> list[tuple[str, str]]:
        """(platform, platform_user_id) pairs, oldest first."""
        rows = await self.db.fetchall(
            "SELECT platform, platform_user_id FROM accounts WHERE person_id = ?"
            " ORDER BY created_at, platform, platform_user_id",
            (person_id,),
        )
        return [(row["platform"], row["platform_user_id"]) for row in rows]

    async def set_locale(self, person_id: int, locale: str | None) -> None:
        await self.db.execute("UPDATE people SET locale = ? WHERE id = ?", (locale, person_id))
        # Kept in the cache (not dropped): the person's very next command needs it, without a re-read.
        for key in self._keys_of.get(person_id, ()):
            person, unreachable = self._cache[key]
            self._cache[key] = (dataclasses.replace(person, locale=locale), unreachable)

    async def find_by_name(self, name: str) -> list[Person]:
        """People whose name (or an account's name) matches, case-insensitively; exact matches win.

        Matching is done in Python because SQLite's lower()/LIKE only fold ASCII, and Finnish
        names have ä/ö/å. The member count of a student union keeps this cheap.
        """
        wanted = name.strip().casefold()
        if not wanted:
            return []
        rows = await self.db.fetchall(
            f"SELECT DISTINCT {_PERSON_COLUMNS}, a.display_name AS account_name"
            " FROM people p LEFT JOIN accounts a ON a.person_id = p.id ORDER BY p.id"
        )
        exact: dict[int, Person] = {}
        partial: dict[int, Person] = {}
        for row in rows:
            names = [n.casefold() for n in (row["display_name"], row["account_name"]) if n]
            if wanted in names:
                exact.setdefault(row["id"], Person.from_row(row))
            elif any(wanted in n for n in names):
                partial.setdefault(row["id"], Person.from_row(row))
        return list((exact or partial).values())

    async def mark_unreachable(self, platform: str, platform_user_id: str | int, when: datetime) -> None:
        """Record that DMs to this account fail; the first failure time is kept."""
        await self.db.execute(
            "UPDATE accounts SET unreachable_since = COALESCE(unreachable_since, ?)"
            " WHERE platform = ? AND platform_user_id = ?",
            (to_iso(when), platform, str(platform_user_id)),
        )
        self._set_unreachable(platform, str(platform_user_id), True)

    async def mark_reachable(self, platform: str, platform_user_id: str | int) -> None:
        await self.db.execute(
            "UPDATE accounts SET unreachable_since = NULL WHERE platform = ? AND platform_user_id = ?",
            (platform, str(platform_user_id)),
        )
        self._set_unreachable(platform, str(platform_user_id), False)

    def _set_unreachable(self, platform: str, user_id: str, unreachable: bool) -> None:
        # Only this account's flag changes: the rest of the cache stays warm.
        cached = self._cache.get((platform, user_id))
        if cached is not None:
            self._cache[(platform, user_id)] = (cached[0], unreachable)

    async def delivery_order(self, person_id: int, skip: set[str] | frozenset[str] = frozenset()
                             ) -> list[tuple[str, str]]:
        """Reachable accounts to try, the person's preferred platform first."""
        rows = await self.db.fetchall(
            "SELECT a.platform, a.platform_user_id, p.preferred_platform FROM accounts a"
            " JOIN people p ON p.id = a.person_id"
            " WHERE a.person_id = ? AND a.unreachable_since IS NULL"
            " ORDER BY a.created_at, a.platform, a.platform_user_id",  # a tie (one instant): one order on both
            (person_id,),
        )
        accounts = [(r["platform"], r["platform_user_id"], r["preferred_platform"]) for r in rows
                    if r["platform"] not in skip]
        accounts.sort(key=lambda a: a[0] != a[2])  # stable: preferred first, then oldest
        return [(platform, user_id) for platform, user_id, _ in accounts]

    # ------------------------------------------------------------------ personal settings (issue #4)

    @_changes_people
    async def set_preferred_platform(self, person_id: int, platform: str | None) -> None:
        await self.db.execute("UPDATE people SET preferred_platform = ? WHERE id = ?", (platform, person_id))

    @_changes_people
    async def set_quiet_hours(self, person_id: int, start: str | None, end: str | None) -> None:
        await self.db.execute("UPDATE people SET quiet_start = ?, quiet_end = ? WHERE id = ?",
                              (start, end, person_id))

    async def person_row(self, person_id: int) -> dict[str, object] | None:
        """The whole people row (for /mydata)."""
        row = await self.db.fetchone("SELECT * FROM people WHERE id = ?", (person_id,))
        return None if row is None else dict(row)

    async def account_rows(self, person_id: int) -> list[dict[str, object]]:
        rows = await self.db.fetchall(
            "SELECT * FROM accounts WHERE person_id = ? ORDER BY created_at, platform, platform_user_id", (person_id,))
        return [dict(r) for r in rows]

    async def references(self) -> list[tuple[str, str, str]]:
        """(table, column, on_delete) of every foreign key to people(id), cogs' tables included.

        Read from the schema so that merging and erasing cover tables the core does not know.
        """
        return await self.db.foreign_keys_to("people")

    @_changes_people
    async def merge(self, keep_id: int, gone_id: int,
                    before: Callable[[], Awaitable[None]] | None = None) -> None:
        """Make `gone_id` part of `keep_id`: its accounts and every row naming it move, then it is deleted.

        One transaction, `before` (the cogs' merge hooks) first. A moved row that would break a unique rule
        is left behind and goes with the deleted person: the kept person's own row wins, unless a hook
        settled it. Settings the kept person has not chosen are taken from the other one.
        """
        references = await self.references()
        async with self.db.transaction():
            if before is not None:
                await before()
            for table, column, _on_delete in references:
                if table == "people":
                    continue
                await self.db.update_or_ignore(table, column, keep_id, gone_id)
            await self.db.execute(
                "UPDATE people SET"
                " locale = COALESCE(people.locale, gone.locale),"
                " preferred_platform = COALESCE(people.preferred_platform, gone.preferred_platform),"
                " quiet_start = COALESCE(people.quiet_start, gone.quiet_start),"
                " quiet_end = COALESCE(people.quiet_end, gone.quiet_end)"
                " FROM people AS gone WHERE people.id = ? AND gone.id = ?",
                (keep_id, gone_id),
            )
            # Aliases of the merged person were moved above; its own id becomes one too.
            await self.db.execute("INSERT INTO person_aliases (old_id, person_id) VALUES (?, ?)"
                                  " ON CONFLICT (old_id) DO UPDATE SET person_id = excluded.person_id",
                                  (gone_id, keep_id))
            await self._delete_person(gone_id, references)

    async def is_same(self, old_id: int, person_id: int) -> bool:
        """Whether `old_id` is `person_id`, directly or as a person later merged into them by /link."""
        if old_id == person_id:
            return True
        return await self.db.fetchval("SELECT person_id FROM person_aliases WHERE old_id = ?", (old_id,)) == person_id

    @_changes_people
    async def erase(self, person_id: int, account_ids: list[tuple[str, str]]) -> None:
        """Delete the person and every row that names them (GDPR erasure), in one transaction."""
        references = await self.references()
        async with self.db.transaction():
            for platform, user_id in account_ids:
                # Deliveries to and live copies in their direct chats, even rows not keyed by person.
                await self.db.execute(
                    "DELETE FROM outbox WHERE platform = ? AND target_kind = 'user' AND target_id = ?",
                    (platform, user_id),
                )
                await self.db.execute(
                    "DELETE FROM live_copies WHERE platform = ? AND chat_id IN (?, ?)",
                    (platform, user_id, f"@{user_id}"),
                )
            await self._delete_person(person_id, references)

    async def _delete_person(self, person_id: int, references: list[tuple[str, str, str]]) -> None:
        for table, column, on_delete in references:
            # CASCADE and SET NULL are SQLite's job; a reference without an action would block the delete.
            if on_delete in ("NO ACTION", "RESTRICT") and table != "people":
                await self.db.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (person_id,))
        await self.db.execute("DELETE FROM people WHERE id = ?", (person_id,))

    def _forget_person(self, person_id: int) -> None:
        for key in self._keys_of.pop(person_id, ()):
            self._cache.pop(key, None)

    async def reachable_again(self, platform: str, platform_user_id: str) -> bool:
        """The person wrote to us, so their account may reach them again; True if it had been unreachable."""
        cached = self._cache.get((platform, platform_user_id))
        if cached is not None and cached[1]:
            await self.mark_reachable(platform, platform_user_id)
            return True
        return False
