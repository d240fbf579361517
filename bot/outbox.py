"""Every message the bot sends on its own is stored first, then delivered with retries and backoff.

A row is rendered in its reader's language when it is queued, so delivery needs nothing but the row. A
recipient who cannot be reached (blocked the bot, closed DMs) is recorded, and a person with a linked
account on another platform gets the message there instead. Nothing here raises into a cog.

Rows of kind "thread" belong to a private thread (bot/threads.py), opened on their first delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.commands import Rendered, Reply, render_reply
from bot.frontends.base import MessageGone, Rejected, RetryLater, Sent, Target, Unreachable
from bot.i18n import _
from bot.live import ends_of
from bot.quiet import quiet_until
from storage.outbox import OutboxQueries, OutboxRow

if TYPE_CHECKING:
    from bot.app import Application
    from storage.people import Person

log = logging.getLogger(__name__)

PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "console"}  # proper names


class Outbox:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.rows = OutboxQueries(app.db)
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._in_flight: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        settings = app.config.outbox
        self.max_attempts: int = settings.max_attempts
        self.backoff: float = settings.backoff_seconds
        self.concurrency = 16
        self._slots = asyncio.Semaphore(self.concurrency)

    # ------------------------------------------------------------------------------------- queueing

    async def to_person(self, person_id: int, reply: Reply, *, urgent: bool = True,
                        shows: tuple[str, int] | None = None, skip: set[str] | None = None) -> None:
        person = await self.app.people.get(person_id)
        if person is None:
            return
        language = person.locale or self.app.config.community.default_language
        await self.queue_dm(person_id, language, render_reply(reply, language).to_json(), shows or reply.shows,
                            urgent=urgent, not_before=self._quiet_until(person, urgent), skip=skip or set())

    async def queue_dm(self, person_id: int, language: str, body: dict[str, Any], shows: tuple[str, int] | None, *,
                       urgent: bool = True, not_before: datetime | None = None,
                       skip: set[str] | frozenset[str] = frozenset()) -> bool:
        """A rendered message to the person's first reachable account; False when they have none."""
        # Only platforms that are running now: a row for a stopped frontend would wait forever.
        accounts = [a for a in await self.app.people.delivery_order(person_id, skip) if a[0] in self.app.frontends]
        if not accounts:
            log.info("person %s has no reachable account; message not queued", person_id)
            return False
        platform, user_id = accounts[0]
        await self.rows.add(
            now=self.app.clock.now(), person_id=person_id, destination=None, platform=platform,
            target_kind="user", target_id=user_id, language=language, body=body, shows=shows, urgent=urgent,
            not_before=not_before,
        )
        self.wake()
        return True

    async def to_destination(self, destination: str, reply: Reply | None, *,
                             shows: tuple[str, int] | None = None, requested_by: int | None = None) -> None:
        """One row per platform the destination maps to; `requested_by` (who posted it) is told if one of them
        can never be posted."""
        language = self.app.config.destination(destination).language
        if reply is None:
            assert shows is not None, "post() needs a reply or a view to show"
            reply = await self.app.live.render(shows)
            if reply is None:
                return
        message = render_reply(reply, language)
        for frontend in self.app.frontends.values():
            chat_id = frontend.destination_chat(destination)
            if chat_id is None:
                continue
            await self.rows.add(
                now=self.app.clock.now(), person_id=None, destination=destination,
                platform=frontend.platform, target_kind="chat", target_id=chat_id, language=language,
                body=message.to_json(), shows=shows or reply.shows, urgent=True, requested_by=requested_by,
            )
        self.wake()

    def _quiet_until(self, person: Person, urgent: bool) -> datetime | None:
        """Non-urgent DMs wait for the end of the person's quiet hours (their own local setting)."""
        if urgent:
            return None
        return quiet_until(person.quiet_start, person.quiet_end, self.app.clock.now(), self.app.config.tz)

    # ------------------------------------------------------------------------------------- delivery

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="outbox")
        self.wake()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing due is waiting (console scripts and tests read a settled state)."""
        self.wake()
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        while True:
            try:
                self._wake.clear()
                due = await self.rows.due(self.app.clock.now(), list(self.app.frontends))
                due = [row for row in due if row.id not in self._in_flight]
                if due:
                    await asyncio.gather(*(self._deliver_limited(row) for row in due))
                    continue
                self._idle.set()
                await self._sleep_until_next()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database hiccuped: keep the worker alive, try again shortly
                log.exception("outbox worker error")
                self._idle.set()
                await asyncio.sleep(1.0)

    async def _sleep_until_next(self) -> None:
        nxt = await self.rows.next_attempt(list(self.app.frontends))
        timeout = None
        if nxt is not None:
            # The bot's clock may be moved or frozen (console, tests): sleep until it shows that moment.
            real = self.app.clock.to_real(datetime.fromisoformat(nxt))
            timeout = max(0.01, (real - datetime.now(UTC)).total_seconds())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver_limited(self, row: OutboxRow) -> None:
        self._in_flight.add(row.id)
        try:
            async with self._slots:
                await self.deliver(row)
        finally:
            self._in_flight.discard(row.id)

    async def deliver(self, row: OutboxRow) -> None:
        frontend = self.app.frontends.get(row.platform)
        if frontend is None:
            return
        message = Rendered.from_json(row.body)
        try:
            target = Target(row.target_kind, row.target_id)
            if row.target_kind == "thread":
                chat_id = await self.app.threads.chat_for(row)
                if chat_id is None:
                    await self.app.threads.reroute_to_dms(row, message)
                    return
                target = Target("chat", chat_id)
            sent = await frontend.send(target, message)
        except Unreachable as error:
            await self._unreachable(row, error)
        except Rejected as error:  # the platform refused this message for good: sending it again fails again
            log.warning("outbox row %s rejected by %s: %s", row.id, row.platform, error)
            await self._failed(row, error)
        except (TimeoutError, RetryLater, MessageGone, OSError) as error:
            await self._retry(row, error)
        except Exception as error:  # a frontend bug must not stop the outbox
            log.exception("outbox row %s: unexpected delivery error", row.id)
            await self._retry(row, error)
        else:
            await self.rows.mark_sent(row.id, self.app.clock.now(), sent.message_id)
            if row.shows is not None:
                await self.app.live.remember(row.shows, row.platform, sent, row.language, row.person_id,
                                             direct=row.target_kind == "user", ends=ends_of(message))

    async def _retry(self, row: OutboxRow, error: Exception) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            log.warning("outbox row %s failed after %s attempts: %s", row.id, attempts, type(error).__name__)
            await self._failed(row, error)
            return
        after = getattr(error, "after", None)
        delay = after if after is not None else self.backoff * (2 ** (attempts - 1))
        await self.rows.retry_at(row.id, self.app.clock.now() + timedelta(seconds=delay), repr(error))

    async def _failed(self, row: OutboxRow, error: Exception) -> None:
        await self.rows.mark_final(row.id, "failed", repr(error))
        await self._tell_requester(row)

    async def _tell_requester(self, row: OutboxRow) -> None:
        """A destination post that will never appear: whoever posted it hears where, rather than nothing."""
        if row.destination is None or row.requested_by is None:
            return
        platform = PLATFORM_NAMES.get(row.platform, row.platform)
        title = Rendered.from_json(row.body).title if row.body else None
        if title:
            text = _("“{title}” could not be posted to {destination} on {platform}. Please tell the bot's "
                     "maintainers.", title=title, destination=row.destination, platform=platform)
        else:
            text = _("A message could not be posted to {destination} on {platform}. Please tell the bot's "
                     "maintainers.", destination=row.destination, platform=platform)
        await self.to_person(row.requested_by, Reply(text))

    async def _unreachable(self, row: OutboxRow, error: Exception) -> None:
        await self.rows.mark_final(row.id, "unreachable", type(error).__name__)
        if row.target_kind != "user" or row.person_id is None:
            log.warning("outbox row %s: destination %s unreachable on %s", row.id, row.destination, row.platform)
            await self._tell_requester(row)
            return
        await self.app.people.mark_unreachable(row.platform, row.target_id, self.app.clock.now())
        # A linked person gets it on their other platform instead.
        await self.queue_dm(row.person_id, row.language, row.body, row.shows, skip={row.platform})


__all__ = ["Outbox", "Sent"]
