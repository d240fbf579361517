"""Calendar feeds: what `/event subscribe` hands out and bot/web.py serves.

A feed is assembled from every cog's `@cog.calendar_feed` hook, so the web server knows no cog: the events cog
contributes a person's RSVPs (with online links) and the public feeds per campus, online and language (without
links), the meetings cog a person's meetings. Each hook returns icalendar components (VEVENTs) whose DTSTAMP
and LAST-MODIFIED come from the stored row, not the clock, so an unchanged feed has the same bytes (and ETag)
on every request and an edit changes both (and grows the entry's SEQUENCE).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import icalendar

from bot.vtimezone import vtimezone
from storage.feeds import FeedQueries

if TYPE_CHECKING:
    from bot.context import ServiceContext

__all__ = ["Feed", "FeedFile", "add_organizer", "assemble", "feed_url", "person_of", "public_path", "wrap"]

PRODID = "-//HUMAKO//humako-bot//FI"
ALL = "all"  # the public feed of every campus and online


@dataclass(frozen=True)
class Feed:
    """Which calendar is asked for: a person's (person_id set, links included) or a public one."""

    language: str
    person_id: int | None = None
    scope: str = ALL  # a public feed: "all", a campus id or "online"

    @property
    def private(self) -> bool:
        return self.person_id is not None


@dataclass(frozen=True)
class FeedFile:
    body: bytes
    etag: str
    last_modified: datetime


def wrap(name: str, components: Iterable[icalendar.Component]) -> icalendar.Calendar:
    """One calendar of the components, with a VTIMEZONE for every TZID they use (RFC 5545 3.6.5)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # No METHOD: PUBLISH would need an ORGANIZER on every VEVENT (RFC 5546 3.2.1), which needs an email address.
    calendar.add("x-wr-calname", name)
    items = list(components)
    for item in items:
        calendar.add_component(item)
    starts = [item.decoded("dtstart") for item in items if "dtstart" in item]
    zones = sorted({str(item["dtstart"].params["TZID"]) for item in items
                    if "dtstart" in item and "TZID" in item["dtstart"].params})
    if starts and zones:
        first = min(_date(s) for s in starts) - timedelta(days=366)
        last = max(_date(s) for s in starts) + timedelta(days=3 * 366)  # a series runs on past its first start
        for tzid in zones:  # not add_missing_timezones: it dates the spring change an hour late (bot/vtimezone.py)
            calendar.add_component(vtimezone(tzid, first, last))
    return calendar


def _date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def add_organizer(ctx: ServiceContext, item: icalendar.Component) -> None:
    """ORGANIZER (iTIP PUBLISH wants one) when an address is configured: the community, never a person."""
    if ctx.config.web.organizer_email:
        organizer = icalendar.vCalAddress(f"mailto:{ctx.config.web.organizer_email}")
        organizer.params["cn"] = icalendar.vText(ctx.config.community.name)
        item.add("organizer", organizer)


async def assemble(ctx: ServiceContext, feed: Feed) -> FeedFile:
    """The feed's file from every cog's `@cog.calendar_feed` hook, in a stable order."""
    from bot.context import ServiceContext as Service

    components: list[icalendar.Component] = []
    for cog in ctx.cogs:
        for hook in cog.calendar_feeds:
            components.extend(await hook(Service(ctx.app, cog), feed))
    components.sort(key=lambda item: str(item.get("uid", "")))
    stamps = [item.decoded("last-modified") for item in components if "last-modified" in item]
    body = wrap(ctx.config.community.name, components).to_ical()
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    last_modified = max((s.astimezone(UTC) for s in stamps), default=epoch).replace(microsecond=0)
    return FeedFile(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', last_modified)


async def feed_url(ctx: ServiceContext, person_id: int, *, reset: bool = False) -> str | None:
    """The person's private feed URL, made on first use; `reset` makes a new token and the old URL answers 404.
    None when the web server is off (no URL to give)."""
    web = ctx.config.web
    if not web.enabled or not web.base_url:
        return None
    queries = FeedQueries(ctx.db)
    token = None if reset else await queries.token_of(person_id)
    if token is None:
        token = secrets.token_urlsafe(24)  # 192 random bits: unguessable, and revocable by a reset
        await queries.replace(person_id, token, ctx.now())
    return f"{web.base_url.rstrip('/')}/calendar/{token}.ics"


async def person_of(ctx: ServiceContext, token: str) -> int | None:
    return await FeedQueries(ctx.db).person_of(token)


def public_path(scope: str, language: str) -> str:
    return f"/calendar/public/{scope}/{language}.ics"
