"""Every message the bot sends on its own is stored first, then delivered with retries and backoff.

A row is rendered in its reader's language when it is queued, so delivery needs nothing but the row. A
recipient who cannot be reached (blocked the bot, closed DMs) is recorded, and a person with a linked
account on another platform gets the message there instead. Nothing here raises into a cog.

Rows of kind "thread" belong to a conversation's shared room (bot/conversations.py), opened on their first
delivery. Rows of kind "sealed" name nobody: bot/sealed.py opens their route when it delivers them, then
deletes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.commands import Rendered, Reply, render_reply
from bot.conversations import CONVERSATION
from bot.frontends.base import MessageGone, Rejected, RetryLater, Sent, Target, Unreachable
from bot.i18n import _
from bot.live import ends_of
from bot.quiet import quiet_until
from storage.db import is_busy, patiently, probing
from storage.outbox import OutboxQueries, OutboxRow
from storage.sealed import SEALED

if TYPE_CHECKING:
    from bot.app import Application
    from storage.people import Person

log = logging.getLogger(__name__)
FAN_OUT_BATCH = 200  # rows queued per transaction by to_people
STOP_WAIT_SECONDS = 5.0  # how long a stop waits for sends under way
BUSY_RETRY_SECONDS = 1.0  # while another process holds the database locked, look again this often
CLAIM_AT_LEAST = 4  # while sends are under way, claim again once this many slots are free
POLL_SECONDS = 5.0  # look for rows at least this often: other processes queue rows too, and a dead one's lapse

PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "console"}  # proper names


class Outbox:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.rows = OutboxQueries(app.db)
        self.worker = app.worker  # the id under which rows are claimed (several processes may deliver)
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_flight: set[int] = set()  # ids of the rows being delivered now
        self._sending: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        settings = app.config.outbox
        self.max_attempts: int = settings.max_attempts
        self.backoff: float = settings.backoff_seconds
        self.concurrency = 16
        self._slots = asyncio.Semaphore(self.concurrency)

    # ------------------------------------------------------------------------------------- queueing

    async def to_person(self, person_id: int, reply: Reply, *, urgent: bool = True,
                        shows: tuple[str, int] | None = None, skip: set[str] | None = None,
                        dedupe: str | None = None) -> None:
        row = await self._dm_row(person_id, reply, {}, urgent=urgent, shows=shows, skip=skip or set(),
                                 dedupe=dedupe)
        if row is not None:
            await self.rows.add(**row)
            self.wake()

    async def to_people(self, people: Sequence[tuple[int, str | None]], reply: Reply, *, urgent: bool = True,
                        shows: tuple[str, int] | None = None) -> int:
        """One message to many (person id, dedupe key) pairs, queued in batches of one transaction each; a
        key already queued is skipped, so a fan-out run again after a crash queues only the rest."""
        rendered: dict[str, dict[str, Any]] = {}  # one rendering per language, not per person
        queued = 0
        for start in range(0, len(people), FAN_OUT_BATCH):
            rows = []
            for person_id, dedupe in people[start:start + FAN_OUT_BATCH]:
                row = await self._dm_row(person_id, reply, rendered, urgent=urgent, shows=shows, skip=set(),
                                         dedupe=dedupe)
                if row is not None:
                    rows.append(row)
            queued += await self.rows.add_many(rows)
            self.wake()
        return queued

    async def _dm_row(self, person_id: int, reply: Reply, rendered: dict[str, dict[str, Any]], *, urgent: bool,
                      shows: tuple[str, int] | None, skip: set[str], dedupe: str | None) -> dict[str, Any] | None:
        person = await self.app.people.get(person_id)
        if person is None:
            return None
        language = person.locale or self.app.config.community.default_language
        if any(button.url is None for button in reply.all_buttons):
            # Signed for each reader (owner-only buttons work for them alone): rendered per person.
            body = render_reply(self.app.core.seal(reply, person_id), language).to_json()
        else:
            body = rendered.get(language) or rendered.setdefault(language, render_reply(reply, language).to_json())
        return await self._dm_fields(person_id, language, body, shows or reply.shows, urgent=urgent,
                                     not_before=self._quiet_until(person, urgent), skip=skip, dedupe=dedupe)

    async def queue_dm(self, person_id: int, language: str, body: dict[str, Any], shows: tuple[str, int] | None, *,
                       urgent: bool = True, not_before: datetime | None = None,
                       skip: set[str] | frozenset[str] = frozenset(), dedupe: str | None = None) -> bool:
        """A rendered message to the person's first reachable account; False when they have none."""
        row = await self._dm_fields(person_id, language, body, shows, urgent=urgent, not_before=not_before,
                                    skip=skip, dedupe=dedupe)
        if row is None:
            return False
        await self.rows.add(**row)
        self.wake()
        return True

    async def _dm_fields(self, person_id: int, language: str, body: dict[str, Any], shows: tuple[str, int] | None,
                         *, urgent: bool, not_before: datetime | None, skip: set[str] | frozenset[str],
                         dedupe: str | None) -> dict[str, Any] | None:
        # Only platforms that are running now: a row for a stopped frontend would wait forever.
        accounts = [a for a in await self.app.people.delivery_order(person_id, skip) if a[0] in self.app.frontends]
        if not accounts:
            log.info("person %s has no reachable account; message not queued", person_id)
            return None
        platform, user_id = accounts[0]
        return {"now": self.app.clock.now(), "person_id": person_id, "destination": None, "platform": platform,
                "target_kind": "user", "target_id": user_id, "language": language, "body": body, "shows": shows,
                "urgent": urgent, "not_before": not_before, "dedupe": dedupe}

    async def to_destination(self, destination: str, reply: Reply | None, *,
                             shows: tuple[str, int] | None = None, dedupe: str | None = None,
                             requested_by: int | None = None) -> None:
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
                dedupe=None if dedupe is None else f"{dedupe}/{frontend.platform}",
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
        self._stopping = False
        self._worker = asyncio.create_task(self._run(), name="outbox")
        self.wake()

    async def stop(self, wait: float | None = None) -> None:
        """Start nothing new; sends already under way finish (for at most `wait` s) and are marked sent, so a
        restart does not send them again. Everything not started stays pending for the next start."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._stopping = True
        self._wake.set()
        wait = STOP_WAIT_SECONDS if wait is None else wait
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(worker), wait)
        if not worker.done():
            if self._in_flight:
                log.warning("outbox: %s sends still under way after %s s; they are retried on the next start",
                            len(self._in_flight), wait)
            worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing due is waiting (console scripts and tests read a settled state)."""
        self.wake()
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        """Each due row is delivered in a task of its own, and new due rows are read while others wait: a
        group whose send window is closed holds up its own later rows only (the due query gives at most one row
        per chat, and an in-flight row keeps its chat's later rows behind it), never another person's DM."""
        try:
            while not self._stopping:
                try:
                    self._wake.clear()
                    free = self.concurrency - len(self._in_flight)
                    if self._in_flight and free < CLAIM_AT_LEAST:
                        # Claimed in batches while sends are under way: not one claim per finished send (a round
                        # trip each); a send's end wakes the worker again.
                        with contextlib.suppress(asyncio.TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                        continue
                    due = await self._claim(free)
                    for row in due:
                        self._in_flight.add(row.id)
                        task = asyncio.create_task(self._deliver_limited(row), name=f"outbox-{row.id}")
                        self._sending.add(task)
                        task.add_done_callback(self._sent)
                    if len(due) == free:
                        continue  # there may be more: claim again at once
                    # Idle only if no send ended while the claim read the database (its chat's next row may be
                    # due now): that send's wake is set, and drain() must not return before it is looked at.
                    if not self._in_flight and not self._wake.is_set():
                        self._idle.set()
                    await self._sleep_until_next()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the database hiccuped: keep the worker alive, try again shortly
                    if is_busy(error):  # another process holds it: no traceback, the rows wait
                        log.warning("outbox: the database is locked; trying again shortly")
                    else:
                        log.exception("outbox worker error")
                    if not self._in_flight:
                        self._idle.set()
                    await asyncio.sleep(BUSY_RETRY_SECONDS)
            # Stopping: the sends under way finish (stop() cancels this, and with it them, after its wait).
            await asyncio.gather(*self._sending, return_exceptions=True)
        finally:
            for task in list(self._sending):
                task.cancel()
            # What this worker claimed and did not finish is free for the other workers at once (and for this
            # one's next start); a send cut short may have reached the platform, as before.
            with contextlib.suppress(Exception), probing():
                await self.rows.release(self.worker.id)

    async def _claim(self, limit: int) -> list[OutboxRow]:
        """Due rows claimed for this worker. Probing: while another process holds SQLite locked, the claim gives
        up at once (a person's command must not wait behind it) and the rows are looked at again shortly."""
        until = self.worker.lease_until()
        with probing():
            rows = await self.rows.claim(self.app.clock.now(), self._lanes(), self.worker.id, self.worker.now(),
                                         until, limit=limit)
        self.worker.took("outbox", (row.id for row in rows), until)
        return rows

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self.wake()  # its chat's next row may be due now, and a free slot takes the next row

    async def _sleep_until_next(self) -> None:
        nxt, lapse = await self.rows.next_attempt(self._lanes(), self.app.clock.now(), self.worker.id)
        timeout = POLL_SECONDS
        if nxt is not None:
            # The bot's clock may be moved or frozen (console, tests): sleep until it shows that moment.
            real = self.app.clock.to_real(datetime.fromisoformat(nxt))
            timeout = min(timeout, max(0.01, (real - datetime.now(UTC)).total_seconds()))
        if lapse is not None:  # lease time
            timeout = min(timeout, max(0.01, (datetime.fromisoformat(lapse) - self.worker.now()).total_seconds()))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver_limited(self, row: OutboxRow) -> None:
        try:
            async with self._slots:
                if self._stopping:
                    return  # not started: it stays pending for the next start
                # The claim's lease may have run out before the send starts (this process stalled, its heartbeat
                # late): another worker may hold the row now, or have sent it. A local check in the common case,
                # so nothing is reordered behind a round trip (the Telegram limiter serves in arrival order).
                if not await self.worker.keep("outbox", row.id):
                    return
                await self.deliver(row)
        except Exception as error:  # e.g. the database locked past the busy timeout: the row is tried again
            if is_busy(error):
                log.warning("outbox row %s: the database is locked; trying again shortly", row.id)
            else:
                log.exception("outbox row %s: delivery failed", row.id)
            await asyncio.sleep(BUSY_RETRY_SECONDS)  # not at once: a lasting failure must not spin
            with contextlib.suppress(Exception), probing():  # free to be tried again, here or elsewhere
                await self.rows.release(self.worker.id, row.id)
        finally:
            self.worker.let_go("outbox", row.id)
            self._in_flight.discard(row.id)
            self.wake()  # at once, not in the done callback: the worker must not see it gone yet unwoken

    def _lanes(self) -> list[str]:
        """The platforms whose rows are due now: the running ones, and sealed rows (their platform is sealed)."""
        return [*self.app.frontends, SEALED]

    async def deliver(self, row: OutboxRow) -> None:
        if row.target_kind == SEALED:
            await self.app.sealed.send(row)  # opens the route here only; the row is deleted after
            return
        frontend = self.app.frontends.get(row.platform)
        if frontend is None:
            return
        message = Rendered.from_json(row.body)
        try:
            target = Target(row.target_kind, row.target_id)
            if row.target_kind == "thread":
                chat_id = await self.app.conversations.chat_for(row)
                if chat_id is None:
                    await self.app.conversations.reroute(row, message)
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
            # Patiently: a send not recorded as sent (the database held by another process) would go out again.
            await patiently(lambda: self.rows.mark_sent(row.id, self.app.clock.now(), sent.message_id))
            if row.shows is not None and row.shows[0] == CONVERSATION:
                await self.app.conversations.delivered(row, sent)
            elif row.shows is not None:
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
        await patiently(
            lambda: self.rows.retry_at(row.id, self.app.clock.now() + timedelta(seconds=delay), repr(error)))

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

    def retry_delay(self, attempts: int, error: Exception) -> float | None:
        """Seconds until the next try after `attempts` failed ones (the platform's wait if it gave one), or None
        when it is time to give up."""
        if attempts >= self.max_attempts:
            return None
        after = getattr(error, "after", None)
        return float(after) if after is not None else self.backoff * (2 ** (attempts - 1))


__all__ = ["Outbox", "Sent"]
