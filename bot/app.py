"""The application: built from config, it opens storage, loads cogs, starts the scheduler, the outbox and
the frontends, and stops all of it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.commands import Cog
from bot.conversations import Conversations
from bot.core import Core
from bot.i18n import CATALOGS, set_timezone
from bot.live import LiveMessages
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.roles import Roles
from bot.scheduler import Scheduler
from bot.sealed import SealedDelivery, check_secret
from bot.workers import Worker
from storage.db import Database, DatabaseError, MigrationError
from storage.people import PeopleQueries
from storage.role_holders import RoleHolderQueries

if TYPE_CHECKING:
    from bot.config import Config
    from bot.frontends.base import Frontend
    from bot.web import WebServer

log = logging.getLogger(__name__)

BUILTIN_COGS = ("bot.builtin", "bot.reminders", "bot.account", "bot.conversations")

# The test kit's seam (bot/testing.py, HUMAKO_TEST_DATABASE_URL): the database of a data directory whose config
# names none, instead of its SQLite file (a fresh PostgreSQL database per data directory). None in production.
test_database: Callable[[Path], Awaitable[str]] | None = None
_MIGRATE_ERRORS: tuple[type[BaseException], ...] = (*DatabaseError, MigrationError)
_OPEN_ERRORS: tuple[type[BaseException], ...] = (*_MIGRATE_ERRORS, OSError)


class StartupError(RuntimeError):
    """The bot cannot start; the message names the cause in one line (`humako-bot run` prints it, exits 1)."""


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def load_cog(module_name: str) -> Cog:
    module = importlib.import_module(module_name)
    cog = getattr(module, "cog", None)
    if not isinstance(cog, Cog):
        raise RuntimeError(f"{module_name} has no `cog = Cog(...)`")
    return cog


class Application:
    def __init__(self, config: Config, data_dir: Path | str | None = None, *, database: str | None = None,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.data_dir = Path(data_dir) if data_dir is not None else Path("data")
        # An explicit location, else `[database] url`, else the SQLite file in the data directory.
        self._database_given = bool(database or config.database.url)
        self.database_path = database or config.database.url or str(self.data_dir / "humako.sqlite3")
        self.clock = clock or Clock()
        self.roles = Roles(config)
        self.cogs: list[Cog] = [load_cog(name) for name in BUILTIN_COGS]
        self.cogs += [load_cog(f"cogs.{name}") for name in config.bot.cogs]
        self.core = Core(self, self.cogs)
        self.frontends: dict[str, Frontend] = {}
        self.metrics = Metrics()
        self.web: WebServer | None = None
        # The console is a trial on a developer's machine: a port taken by something else must not stop it.
        self.web_optional = False
        self._stopped = asyncio.Event()
        self.started = False

    # Set in start(): everything that needs the open database.
    db: Database
    people: PeopleQueries
    role_holders: RoleHolderQueries
    outbox: Outbox
    conversations: Conversations
    live: LiveMessages
    scheduler: Scheduler
    sealed: SealedDelivery
    worker: Worker

    @property
    def database_name(self) -> str:
        """The database's location for messages: a PostgreSQL URL without its password."""
        from storage.postgres import redact_url

        return redact_url(self.database_path)

    def add_frontend(self, frontend: Frontend) -> None:
        self.frontends[frontend.platform] = frontend

    async def start(self) -> None:
        """Open storage, start the cogs, frontends, outbox and scheduler; on any failure close what was opened
        (an open database thread would keep the process alive) and raise, a StartupError naming the cause."""
        # Before anything opens: a cog that seals routes must not run on a missing or weak secret.
        check_secret(self.config.secrets.secret_key, self.cogs, self.frontends)
        set_timezone(self.config.tz)
        CATALOGS.load()
        if test_database is not None and not self._database_given:
            self.database_path = await test_database(self.data_dir)
        try:
            self.db = await Database.open(self.database_path, clock=self.clock.now,
                                          busy_timeout=self.config.database.busy_timeout_seconds,
                                          pool_size=self.config.database.pool_size)
        except _OPEN_ERRORS as error:
            raise StartupError(f"the database {self.database_name} cannot be used: {describe(error)}") from error
        started: list[Frontend] = []
        try:
            await self._start_parts(started)
        except BaseException as error:
            await self._abort(started)
            if isinstance(error, Exception) and not isinstance(error, StartupError):
                # A cog refused to start (a bad setting), or something unforeseen.
                raise StartupError(describe(error)) from error
            raise
        self.started = True
        log.info("started: cogs %s, frontends %s", [c.name for c in self.cogs], list(self.frontends))

    async def _start_parts(self, started: list[Frontend]) -> None:
        for cog in self.cogs:  # enabled cogs' own tables, after the core's
            if cog.migrations is not None:
                try:
                    await self.db.migrate(cog.migrations, component=cog.name)
                except _MIGRATE_ERRORS as error:
                    raise StartupError(f"the {cog.name} cog's tables cannot be set up: {describe(error)}") from error
        self.worker = Worker(self)  # the id under which this process claims rows
        try:  # before the frontends start: they share the platforms' budgets by it
            await self.worker.present()
        except DatabaseError as error:
            raise StartupError(f"the database {self.database_name} cannot be used: {describe(error)}") from error
        self.people = PeopleQueries(self.db)
        self.role_holders = RoleHolderQueries(self.db)
        self.sealed = SealedDelivery(self)
        self.outbox = Outbox(self)
        self.conversations = Conversations(self, self.cogs)
        self.conversations.sealed = self.sealed  # sealed members are reached (and recognised) through their routes
        await self.conversations.load()
        # Registrations come from the core, which refused duplicates when the cogs loaded.
        self.live = LiveMessages(self, self.core.views)
        self.scheduler = Scheduler(self, self.core.tasks, self.core.jobs)
        # dateparser's first parse costs ~100 ms: pay it now, not in the first person's command.
        from bot.timeparse import warm_up

        await asyncio.to_thread(warm_up)
        from bot.context import ServiceContext

        for cog in self.cogs:
            for hook in cog.startup:
                await hook(ServiceContext(self, cog))
        if self.config.web.enabled:  # before the frontends: a webhook frontend takes its pushes there
            from bot.web import WebServer

            web = WebServer(self)
            try:
                await web.start()
                self.web = web
            except OSError as error:
                if not self.web_optional:
                    raise StartupError(f"the web server cannot listen on {self.config.web.bind}:"
                                       f"{self.config.web.port}: {describe(error)}") from error
                log.warning("the web server cannot listen on %s:%s (%s): calendar feeds, /healthz and /metrics are"
                            " off in this run", self.config.web.bind, self.config.web.port, describe(error))
        for frontend in self.frontends.values():
            try:
                await frontend.start()
            except Exception as error:
                raise StartupError(f"the {frontend.platform} frontend cannot start: {describe(error)}") from error
            started.append(frontend)
        try:
            # What this worker held in a previous life (killed mid-send) is free again at once.
            await self.worker.claims.release(self.worker.id)
            self.outbox.start()
            self.worker.start()
            await self.scheduler.start()
        except DatabaseError as error:
            raise StartupError(f"the database {self.database_name} cannot be used: {describe(error)}") from error

    async def _abort(self, started: list[Frontend]) -> None:
        """Undo a start that failed half-way; errors here must not hide the cause."""
        if self.web is not None:
            with contextlib.suppress(Exception):
                await self.web.stop()
            self.web = None
        for part in ("scheduler", "outbox", "worker"):
            if hasattr(self, part):
                with contextlib.suppress(Exception):
                    await getattr(self, part).stop(wait=0)
        for frontend in reversed(started):
            with contextlib.suppress(Exception):
                await frontend.stop()
        with contextlib.suppress(Exception):
            await self.db.close()
        if hasattr(self, "worker"):
            self.worker.close()

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        if self.web is not None:  # first: a health check now answers "not running" rather than hanging
            await self.web.stop()
            self.web = None
        await self.scheduler.stop()
        await self.live.stop()
        await self.outbox.stop()
        await self.worker.stop()
        for frontend in reversed(list(self.frontends.values())):
            try:
                await frontend.stop()
            except Exception:
                log.exception("stopping the %s frontend failed", frontend.platform)
        await self.db.close()
        self.worker.close()
        log.info("stopped")

    async def settle(self) -> None:
        """Let queued deliveries and live edits finish (console scripts and tests read a settled state)."""
        for _ in range(3):
            await self.live.settle()
            await self.outbox.drain()

    def request_stop(self) -> None:
        self._stopped.set()

    async def run_until_stopped(self) -> None:
        """Run until SIGINT/SIGTERM, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.request_stop)
        await self.start()
        freeze_startup_objects()
        try:
            await self._stopped.wait()
        finally:
            await self.stop()


def freeze_startup_objects() -> None:
    """What start-up loaded (libraries, catalogues, dateparser's data) lives as long as the process: the
    collector need not walk it again in every full collection (bench/discord_e2e.py: the collector's time per
    command halves). Once per process, after start: garbage first, then what survives is set aside."""
    gc.collect()
    gc.freeze()
