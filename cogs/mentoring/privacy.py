"""What the mentoring cog stores about a person, for /mydata, /forgetme and /link."""

from __future__ import annotations

from typing import Any

from bot.context import ServiceContext
from cogs.mentoring.common import cog, queries


@cog.export_person
async def export_person(ctx: ServiceContext, person_id: int) -> dict[str, Any]:
    return await queries(ctx).export_person(person_id)


@cog.forget_person
async def forget_person(ctx: ServiceContext, person_id: int) -> None:
    await queries(ctx).forget_person(person_id)


@cog.merge_person
async def merge_person(ctx: ServiceContext, keep_id: int, gone_id: int) -> None:
    await queries(ctx).merge_people(keep_id, gone_id)
