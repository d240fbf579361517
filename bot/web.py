"""The bot's one small web server (config [web]): calendar feeds, a health check and Prometheus metrics.

It runs in the bot's own process and event loop (aiohttp), behind a reverse proxy that terminates TLS
(docs/operations.md). Every route is here:

- GET /calendar/<token>.ics: a person's private feed (bot/feeds.py; 404 for an unknown or reset token)
- GET /calendar/public/<scope>/<language>.ics: a public feed, scope "all", a campus id or "online"
- GET /healthz: 200 "ok" when the database answers and every running frontend is connected, else 503 + why
- GET /metrics: Prometheus text format (bot/metrics.py)
- POST <webhook path>: a frontend's webhook (Telegram in webhook mode), so one port serves everything

Feeds answer with ETag and Last-Modified and honour If-None-Match / If-Modified-Since with 304, so a
calendar app polling every few minutes costs one small query and no body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.context import ServiceContext
from bot.feeds import ALL, Feed, FeedFile, assemble, person_of
from bot.i18n import LANGUAGES
from storage.db import DatabaseError
from storage.metrics import MetricsQueries, probe_write

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

__all__ = ["WebServer"]

CALENDAR_TYPE = "text/calendar"
# A write lock held longer than this means the bot cannot save anything: not healthy.
DB_PROBE_SECONDS = 1.0
_PROBE_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, *DatabaseError)


class WebServer:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.web = web.Application()
        self.web.add_routes([
            web.get("/healthz", self.healthz),
            web.get("/metrics", self.metrics),
            web.get("/calendar/public/{scope}/{language}.ics", self.public_feed),
            web.get("/calendar/{token}.ics", self.private_feed),
            web.post("/{path:.*}", self.webhook),
        ])
        self.webhooks: dict[str, Callable[[bytes, Mapping[str, str]], Awaitable[int]]] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the bound port (config port 0 picks a free one: tests)

    async def start(self) -> None:
        settings = self.app.config.web
        # access_log=None: a feed URL carries its owner's token, and access lines would keep it.
        runner = web.AppRunner(self.web, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, settings.bind, settings.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1]) if runner.addresses else settings.port
        log.info("web: listening on %s:%s", settings.bind, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add_webhook(self, path: str, handler: Callable[[bytes, Mapping[str, str]], Awaitable[int]]) -> None:
        """A frontend's webhook on this server (Telegram in webhook mode): `handler(body, headers)` answers
        with the HTTP status. Routes are fixed once the server runs, so webhooks are looked up by path."""
        self.webhooks["/" + path.strip("/")] = handler

    async def webhook(self, request: web.Request) -> web.Response:
        handler = self.webhooks.get("/" + request.match_info["path"].strip("/"))
        if handler is None:
            raise web.HTTPNotFound()
        return web.Response(status=await handler(await request.read(), request.headers))

    # ------------------------------------------------------------------------------------- health

    async def healthz(self, request: web.Request) -> web.Response:
        problems = [await self._database_problem()]
        problems += [frontend.health() for frontend in self.app.frontends.values()]
        found = [p for p in problems if p]
        if found:
            return web.Response(status=503, text="\n".join(found) + "\n")
        return web.Response(text="ok\n")

    async def _database_problem(self) -> str | None:
        """The database must answer a read and grant the write lock within DB_PROBE_SECONDS."""
        try:
            await asyncio.wait_for(MetricsQueries(self.app.db).answers(), DB_PROBE_SECONDS)
            if self.app.db.dialect == "postgresql":  # the lock a write transaction takes, as any process would
                await asyncio.wait_for(self._take_write_lock(), DB_PROBE_SECONDS)
            elif self.app.db.path != ":memory:":
                await asyncio.to_thread(probe_write, self.app.db.path, DB_PROBE_SECONDS)
        except _PROBE_ERRORS as error:
            return f"database: {type(error).__name__}: {error}".rstrip(": ")
        return None

    async def _take_write_lock(self) -> None:
        async with self.app.db.transaction():
            pass

    # ------------------------------------------------------------------------------------ metrics

    async def metrics(self, request: web.Request) -> web.Response:
        metrics = self.app.metrics
        await metrics.refresh(self.app.db, self.app.clock.now())
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -------------------------------------------------------------------------------------- feeds

    async def private_feed(self, request: web.Request) -> web.StreamResponse:
        ctx = ServiceContext(self.app)
        person_id = await person_of(ctx, request.match_info["token"])
        person = await ctx.people.get(person_id) if person_id is not None else None
        if person is None:
            raise web.HTTPNotFound(text="no such calendar\n")
        language = person.locale or self.app.config.community.default_language
        return self._answer(request, await assemble(ctx, Feed(language, person_id=person.id)), private=True)

    async def public_feed(self, request: web.Request) -> web.StreamResponse:
        scope, language = request.match_info["scope"], request.match_info["language"]
        if language not in LANGUAGES or scope not in (ALL, "online", *self.app.config.campus_ids):
            raise web.HTTPNotFound(text="no such calendar\n")
        ctx = ServiceContext(self.app)
        return self._answer(request, await assemble(ctx, Feed(language, scope=scope)), private=False)

    @staticmethod
    def _answer(request: web.Request, feed: FeedFile, *, private: bool) -> web.StreamResponse:
        headers = {"ETag": feed.etag, "Cache-Control": "private, max-age=300" if private else "public, max-age=300"}
        matches = request.headers.get("If-None-Match")
        if matches is not None:
            fresh = matches.strip() == "*" or feed.etag in [m.strip() for m in matches.split(",")]
        else:  # If-Modified-Since only counts without If-None-Match (RFC 9110 13.1.3)
            since = request.if_modified_since
            fresh = since is not None and feed.last_modified <= since
        if fresh:
            response = web.Response(status=304, headers=headers)
        else:
            response = web.Response(body=feed.body, content_type=CALENDAR_TYPE, charset="utf-8", headers=headers)
        response.last_modified = feed.last_modified
        return response

