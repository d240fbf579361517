"""Calendar entries as Discord guild scheduled events, so events show in the server's Events list.

When a message carrying a `CalendarEntry` is posted or edited in a guild channel, the guild gets (or keeps
current) one external scheduled event per entry uid; a cancelled entry cancels it. A failure here is logged
and never fails the message itself: the outbox would otherwise post the message twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

import discord

from bot.commands import CalendarEntry
from storage.calendar import GuildEventQueries

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

DEFAULT_LENGTH = timedelta(hours=2)  # Discord requires an end for external events
NAME_MAX, LOCATION_MAX, DESCRIPTION_MAX = 100, 100, 1000


class EventFields(TypedDict):
    """What an external scheduled event is made of (discord.py's keyword arguments)."""

    name: str
    start_time: datetime
    end_time: datetime
    location: str
    description: str


class GuildCalendar:
    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.rows = GuildEventQueries(db)
        self.now = now
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}  # the outbox posts copies concurrently
        # What each entry last looked like: an RSVP edits the card but not the calendar, so skip those.
        self._mirrored: dict[tuple[int, str], EventFields] = {}

    async def mirror(self, guild: discord.Guild, entry: CalendarEntry) -> None:
        lock = self._locks.setdefault((guild.id, entry.uid), asyncio.Lock())
        try:
            async with lock:
                await self._mirror(guild, entry)
        except discord.HTTPException as error:
            log.warning("scheduled event %s in guild %s: discord %s", entry.uid, guild.id, error.code or error.status)
        except Exception:  # the calendar is a mirror: a failure here must never fail (and re-send) the message
            log.exception("scheduled event %s in guild %s could not be mirrored", entry.uid, guild.id)

    async def _mirror(self, guild: discord.Guild, entry: CalendarEntry) -> None:
        row = await self.rows.get(str(guild.id), entry.uid)
        if row is not None and row.cancelled:
            return
        if row is None:
            if entry.cancelled or entry.start <= self.now():
                return  # nothing to list: Discord takes only future events
            event = await guild.create_scheduled_event(privacy_level=discord.PrivacyLevel.guild_only,
                                                       entity_type=discord.EntityType.external, **_fields(entry))
            await self.rows.put(str(guild.id), entry.uid, str(event.id))
            self._mirrored[(guild.id, entry.uid)] = _fields(entry)
            return
        key = (guild.id, entry.uid)
        if not entry.cancelled and self._mirrored.get(key) == _fields(entry):
            return
        partial = await guild.fetch_scheduled_event(int(row.event_id), with_counts=False)
        if entry.cancelled:
            await partial.cancel()
            await self.rows.mark_cancelled(str(guild.id), entry.uid)
        else:
            await partial.edit(entity_type=discord.EntityType.external, **_fields(entry))
            self._mirrored[key] = _fields(entry)


def _fields(entry: CalendarEntry) -> EventFields:
    start: datetime = entry.start
    return {
        "name": str(entry.title)[:NAME_MAX] or entry.uid,
        "start_time": start,
        "end_time": entry.end or start + DEFAULT_LENGTH,
        "location": str(entry.location)[:LOCATION_MAX] or "-",
        "description": str(entry.description)[:DESCRIPTION_MAX],
    }
