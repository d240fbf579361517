"""A person's data across the core and every cog: exported for /mydata, erased for /forgetme, merged for /link.

Each cog adds its part through hooks (`@cog.export_person`, `@cog.forget_person`, `@cog.merge_person`), each run
with a ServiceContext for its own cog. Forgetting and merging run every cog's hooks and the core's part in one
transaction, so a hook that fails leaves nothing half erased or half merged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.db import to_iso
from storage.feeds import FeedQueries

if TYPE_CHECKING:
    from bot.app import Application


async def export_person(app: Application, person_id: int) -> dict[str, Any]:
    """Everything stored about a person: the core's rows and each cog's part. A cog with several exporters
    gets all of them: their mappings are joined (a non-mapping result goes under its hook's name)."""
    from bot.context import ServiceContext

    people = app.people
    features: dict[str, dict[str, Any]] = {}
    for cog in app.cogs:
        for hook in cog.exporters:
            part = await hook(ServiceContext(app, cog), person_id)
            mine = features.setdefault(cog.name, {})
            for key, value in (part.items() if isinstance(part, dict) else [(hook.__name__, part)]):
                if key in mine:  # two exporters of one cog must not hide each other's data
                    raise RuntimeError(f"cog {cog.name!r} exports {key!r} twice")
                mine[key] = value
    accounts = await people.accounts(person_id)
    return {
        "generated_at": to_iso(app.clock.now()),
        "person": await people.person_row(person_id),
        "accounts": await people.account_rows(person_id),
        "messages_sent_to_you": await app.outbox.rows.of_person(person_id),
        "scheduled_for_you": await app.scheduler.of_person(person_id),
        # Sealed routes name no one in the database; only their number is told (opening them needs the key).
        "sealed_routes_to_you": len(await app.sealed.of_accounts(accounts)),
        "roles_seen": await app.role_holders.of_person(person_id),
        "calendar_feed_made_at": await FeedQueries(app.db).created(person_id),  # /event subscribe
        "features": features,
    }


async def forget_person(app: Application, person_id: int) -> None:
    """/forgetme: every cog clears its part, then the sealed routes to the person's accounts and the person with
    every row naming them go, all in one transaction."""
    from bot.context import ServiceContext

    async with app.db.transaction():
        for cog in app.cogs:
            for hook in cog.forgetters:
                await hook(ServiceContext(app, cog), person_id)
        accounts = await app.people.accounts(person_id)
        await app.sealed.forget_accounts(accounts)  # stored without naming them: found by opening each route
        await app.people.erase(person_id, accounts)  # role_holders rows go with the person (cascade)
    app.role_holders.forget(person_id)


async def merge_people(app: Application, keep: int, gone: int) -> None:
    """`gone` becomes part of `keep`, in one transaction: every cog's merge hook settles its own rows (one
    answer per event, a place held passed on), then the core moves every other row naming `gone`."""
    from bot.context import ServiceContext

    async def hooks() -> None:
        for cog in app.cogs:
            for hook in cog.mergers:
                await hook(ServiceContext(app, cog), keep, gone)

    await app.people.merge(keep, gone, before=hooks)  # role_holders rows move like any row naming `gone`
    app.role_holders.forget(gone)
    app.role_holders.forget(keep)
