"""/mydata, /forgetme and /link for what the membership cog stores about a person."""

from __future__ import annotations

from typing import Any

from bot.context import ServiceContext
from cogs.membership.common import cog, queries


@cog.export_person
async def export(ctx: ServiceContext, person_id: int) -> Any:
    return await queries(ctx).export(person_id)


@cog.forget_person
async def forget(ctx: ServiceContext, person_id: int) -> None:
    await queries(ctx).forget(person_id)


@cog.merge_person
async def merge(ctx: ServiceContext, kept_id: int, merged_id: int) -> None:
    await queries(ctx).merge(kept_id, merged_id)
