"""Calendar entries as Discord guild scheduled events, so events show in the server's Events list.

When a message carrying a `CalendarEntry` is posted or edited in a guild channel, the guild gets (or keeps
current) one external scheduled event per entry uid; a cancelled entry cancels it. A failure here is logged
and never fails the message itself: the outbox would otherwise post the message twice.

A series (`every_weeks`) goes with Discord's `recurrence_rule` (weekly, interval 1 or 2, one weekday: what
Discord allows), so it shows as recurring in the server's Events list. discord.py 2.7 has no recurrence
support, so such an event is created and edited through its HTTP route with the whole payload (one request:
the rule's start and the event's start change together). Discord cannot end a rule (`end` and `count` cannot
be set), so the cog drops it when one time is left.

One scheduled event per server, but copies in several channels may be in different languages (a Finnish and an
English announcement): the channel that first mirrored an entry (since start) keeps it in its language, so the
copies do not rename the event back and forth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

import discord

from bot.commands import CalendarEntry
from storage.calendar import GuildEventQueries
from storage.db import to_iso

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

DEFAULT_LENGTH = timedelta(hours=2)  # Discord requires an end for external events
NAME_MAX, LOCATION_MAX, DESCRIPTION_MAX = 100, 100, 1000
WEEKLY = 2  # Discord's recurrence frequency for "every week" (YEARLY 0, MONTHLY 1, WEEKLY 2, DAILY 3)
EXTERNAL = 3  # entity type
GUILD_ONLY = 2  # privacy level
UNKNOWN = object()  # no rule sent since start: an edit says "none" explicitly


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
        self._rules: dict[tuple[int, str], dict[str, Any] | None] = {}  # the recurrence rule last sent
        self._source: dict[tuple[int, str], int] = {}  # the channel whose copy the event follows

    async def mirror(self, guild: discord.Guild, entry: CalendarEntry, channel_id: int | None = None) -> None:
        if channel_id is not None and self._source.setdefault((guild.id, entry.uid), channel_id) != channel_id:
            return
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
            rule = _rule(entry)
            if rule is None:
                event = await guild.create_scheduled_event(privacy_level=discord.PrivacyLevel.guild_only,
                                                           entity_type=discord.EntityType.external, **_fields(entry))
                event_id = event.id
            else:
                route = discord.http.Route("POST", "/guilds/{guild_id}/scheduled-events", guild_id=guild.id)
                created = await guild._state.http.request(route, json={
                    **_payload(entry, rule), "privacy_level": GUILD_ONLY})
                event_id = int(created["id"])
            await self.rows.put(str(guild.id), entry.uid, str(event_id))
            self._mirrored[(guild.id, entry.uid)] = _fields(entry)
            self._rules[(guild.id, entry.uid)] = rule
            return
        key = (guild.id, entry.uid)
        rule = None if entry.cancelled else _rule(entry)
        if not entry.cancelled and self._mirrored.get(key) == _fields(entry) and self._rules.get(key, UNKNOWN) == rule:
            return
        if entry.cancelled:
            partial = await guild.fetch_scheduled_event(int(row.event_id), with_counts=False)
            await partial.cancel()
            await self.rows.mark_cancelled(str(guild.id), entry.uid)
        elif rule is None and self._rules.get(key, UNKNOWN) is None:
            partial = await guild.fetch_scheduled_event(int(row.event_id), with_counts=False)
            await partial.edit(entity_type=discord.EntityType.external, **_fields(entry))
        else:  # a series, or one that was (or may have been: not known since start) one
            route = discord.http.Route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", guild_id=guild.id,
                                       event_id=int(row.event_id))
            await guild._state.http.request(route, json={**_payload(entry, rule), "channel_id": None})
        if not entry.cancelled:
            self._mirrored[key] = _fields(entry)
            self._rules[key] = rule


def _rule(entry: CalendarEntry) -> dict[str, Any] | None:
    """Discord's recurrence rule for a weekly series (every week or every other week, on the start's weekday in
    UTC, as the start is given); None for a one-off or what Discord cannot say (interval above 2)."""
    if entry.every_weeks not in (1, 2):
        return None
    return {"start": to_iso(entry.start), "frequency": WEEKLY, "interval": entry.every_weeks,
            "by_weekday": [entry.start.weekday()]}


def _payload(entry: CalendarEntry, rule: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON of Discord's create/modify routes, as discord.py would send the fields, with the rule."""
    fields = _fields(entry)
    return {"name": fields["name"], "scheduled_start_time": to_iso(fields["start_time"]),
            "scheduled_end_time": to_iso(fields["end_time"]), "entity_type": EXTERNAL,
            "entity_metadata": {"location": fields["location"]}, "description": fields["description"],
            "recurrence_rule": rule}


def _fields(entry: CalendarEntry) -> EventFields:
    start: datetime = entry.start
    return {
        "name": str(entry.title)[:NAME_MAX] or entry.uid,
        "start_time": start,
        "end_time": entry.end or start + DEFAULT_LENGTH,
        "location": str(entry.location)[:LOCATION_MAX] or "-",
        "description": str(entry.description)[:DESCRIPTION_MAX],
    }
