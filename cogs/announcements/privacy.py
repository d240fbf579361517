"""What the announcements cog stores about a person, for /mydata and /forgetme (/link moves author_id)."""

from __future__ import annotations

from typing import Any

from bot.context import ServiceContext
from cogs.announcements.common import cog, queries


@cog.export_person
async def export_person(ctx: ServiceContext, person_id: int) -> list[dict[str, Any]]:
    return await queries(ctx).export_person(person_id)


@cog.forget_person
async def forget_person(ctx: ServiceContext, person_id: int) -> None:
    await queries(ctx).forget_person(person_id)
