"""A scheduled task cut short (the process dies, or a stop does not wait for it) is run again on the next
start, and every message it queues is keyed by (task run, recipient): the fan-out continues where it stopped
and nobody gets a message twice. Event reminders, feedback requests, the weekly digest and personal
reminders all go through it. (The same with real processes and SIGKILL: tests/reliability/.) And one
person's messages arrive in the order they were queued, also when the first one has to be retried."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.outbox
import bot.scheduler
import cogs.events.digest
from bot.commands import Reply
from bot.context import ServiceContext
from bot.scheduler import Scheduler
from cogs.events.storage import EventQueries
from storage.outbox import OutboxQueries
from tests.harness import TEST_NOW, ConsoleBot
from tests.personal_helpers import rows, start_with_telegram
from tests.test_events import card, create, going

HELSINKI = ZoneInfo("Europe/Helsinki")
OPEN_QUIZ = '/event create title="Quiz night" start="4.12. klo 18" where=helsinki description="Fun quiz"'
PEOPLE = [f"Jasen{number}" for number in range(12)]


class Died(BaseException):
    """The process dying at this point: nothing after it runs, no handler catches it."""


def dying_after(real: Callable[..., Awaitable[Any]], calls: int, *, before: bool = True
                ) -> Callable[..., Awaitable[Any]]:
    """`real`, except that call number `calls` dies (before or after doing its work); later calls work."""
    seen = 0

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        seen += 1
        if seen == calls and before:
            raise Died
        result = await real(*args, **kwargs)
        if seen == calls:
            raise Died
        return result

    return wrapper


async def event_with_people(data_dir: Path) -> tuple[ConsoleBot, datetime]:
    """An open event with 12 people going; returns the bot and the moment its first reminder is due."""
    bot = await ConsoleBot.start(data_dir)
    await create(bot, OPEN_QUIZ)
    number = card(bot)
    for name in PEOPLE:
        await going(bot, name, number)
    due = await rows(bot, "SELECT due_at FROM scheduled WHERE task = 'ev_reminder' ORDER BY due_at LIMIT 1")
    return bot, datetime.fromisoformat(due[0]["due_at"])


async def until(bot: ConsoleBot, moment: datetime) -> None:
    await bot.wait(int((moment - bot.app.clock.now()).total_seconds()) + 1)

async def dies_then_restarts(first: ConsoleBot, tmp_path: Path, at: datetime, monkeypatch: pytest.MonkeyPatch, *,
                             restart_after: timedelta = timedelta(minutes=2)) -> ConsoleBot:
    """Run until `at`, where the patched step kills the process; stop it, undo the patch and start the bot again
    on the same database a little later, settled."""
    with pytest.raises(Died):
        await until(first, at)
    await first.app.settle()
    await first.stop()
    monkeypatch.undo()
    second = await ConsoleBot.start(tmp_path, now=at + restart_after)
    await second.app.settle()
    return second


def reminders_to(bots: list[ConsoleBot], name: str, marker: str = "Aikaa on") -> int:
    return sum(marker in p.text for b in bots for p in b.sent_to(f"@{name.lower()}"))


async def test_a_fan_out_cut_short_continues_on_the_next_start_and_reaches_everyone_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, due = await event_with_people(tmp_path)
    monkeypatch.setattr(bot.outbox, "FAN_OUT_BATCH", 5)
    monkeypatch.setattr(OutboxQueries, "add_many", dying_after(OutboxQueries.add_many, 3))
    with pytest.raises(Died):
        await until(first, due)  # two batches of five queued, then the process dies
    await first.app.settle()
    assert len(await rows(first, "SELECT id FROM outbox WHERE dedupe IS NOT NULL AND person_id IS NOT NULL")) == 10
    await first.stop()
    monkeypatch.undo()

    second = await ConsoleBot.start(tmp_path, now=due + timedelta(minutes=2))
    await second.app.settle()
    assert [reminders_to([first, second], name) for name in PEOPLE] == [1] * len(PEOPLE)
    row = (await rows(second, "SELECT status, runs FROM scheduled WHERE due_at = ? AND task = 'ev_reminder'",
                      (due.isoformat(timespec="microseconds"),)))[0]
    assert row == {"status": "done", "runs": 2}
    await second.stop()


async def test_a_task_that_finished_but_was_not_recorded_queues_nothing_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, due = await event_with_people(tmp_path)
    monkeypatch.setattr(Scheduler, "_finish", dying_after(Scheduler._finish, 1))
    # Every reminder queued, then the process died before the row was marked done.
    second = await dies_then_restarts(first, tmp_path, due, monkeypatch)
    assert [reminders_to([first, second], name) for name in PEOPLE] == [1] * len(PEOPLE)
    queued = await rows(second, "SELECT id FROM outbox WHERE dedupe IS NOT NULL AND person_id IS NOT NULL")
    assert len(queued) == len(PEOPLE)
    await second.stop()


async def test_a_stop_during_a_fan_out_leaves_it_to_the_next_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, due = await event_with_people(tmp_path)
    monkeypatch.setattr(bot.outbox, "FAN_OUT_BATCH", 5)
    monkeypatch.setattr(bot.scheduler, "STOP_WAIT_SECONDS", 0.01)
    stuck = asyncio.Event()
    real = OutboxQueries.add_many

    async def slow_second_batch(self: OutboxQueries, batch: list[dict[str, Any]]) -> int:
        if stuck.is_set() or await self.db.fetchval("SELECT COUNT(*) FROM outbox WHERE dedupe IS NOT NULL"):
            stuck.set()
            await asyncio.Event().wait()  # longer than the stop waits
        return await real(self, batch)

    monkeypatch.setattr(OutboxQueries, "add_many", slow_second_batch)
    waiting = asyncio.create_task(until(first, due))
    await asyncio.wait_for(stuck.wait(), 30)
    await first.app.stop()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    monkeypatch.undo()

    second = await ConsoleBot.start(tmp_path, now=due + timedelta(minutes=2))
    await second.app.settle()
    assert [reminders_to([first, second], name) for name in PEOPLE] == [1] * len(PEOPLE)
    assert (await rows(second, "SELECT runs FROM scheduled WHERE task = 'ev_reminder' AND status = 'done'")
            ) == [{"runs": 2}]  # left 'running' by the stop, continued by the next start
    await second.stop()


async def test_a_feedback_request_cut_short_reaches_everyone_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _due = await event_with_people(tmp_path)
    due = datetime.fromisoformat((await rows(first, "SELECT due_at FROM scheduled WHERE task = 'ev_feedback'"))[0]
                                 ["due_at"])
    await until(first, due - timedelta(minutes=1))
    monkeypatch.setattr(bot.outbox, "FAN_OUT_BATCH", 5)
    monkeypatch.setattr(OutboxQueries, "add_many", dying_after(OutboxQueries.add_many, 2, before=False))
    second = await dies_then_restarts(first, tmp_path, due, monkeypatch)
    assert [reminders_to([first, second], name, "Millainen tapahtuma") for name in PEOPLE] == [1] * len(PEOPLE)
    await second.stop()


async def test_a_weekly_digest_cut_short_is_posted_once_everywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = await ConsoleBot.start(tmp_path)
    await create(first, OPEN_QUIZ + " language=en")
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=HELSINKI)  # digest_cron: 0 9 * * mon
    await until(first, monday - timedelta(minutes=1))
    # Died after the announcements' digest, before the English destination's one.
    monkeypatch.setattr(cogs.events.digest, "post_digest", dying_after(cogs.events.digest.post_digest, 1,
                                                                        before=False))
    second = await dies_then_restarts(first, tmp_path, monday, monkeypatch, restart_after=timedelta(minutes=5))
    for destination in ("#announcements", "#international"):
        digests = [p for b in (first, second) for p in b.sent_to(destination) if "this week" in p.text.lower()
                   or "tämän viikon" in p.text.lower()]
        assert len(digests) == 1, destination
    await second.stop()


async def test_a_repeating_reminder_cut_short_is_sent_once_and_keeps_its_next_occurrence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = await ConsoleBot.start(tmp_path)
    await first.say("/remind 2026-11-27 09:00 Aamupalaveri repeat=daily", as_="Olli")
    due = datetime(2026, 11, 27, 9, 0, tzinfo=HELSINKI)
    # Sent and the next morning planned, then died before the row was marked done.
    monkeypatch.setattr(Scheduler, "_finish", dying_after(Scheduler._finish, 1))
    second = await dies_then_restarts(first, tmp_path, due, monkeypatch)
    assert reminders_to([first, second], "Olli", "Aamupalaveri") == 1
    pending = await rows(second, "SELECT due_at FROM scheduled WHERE status = 'pending'")
    assert [datetime.fromisoformat(r["due_at"]).astimezone(HELSINKI).strftime("%d.%m. %H:%M")
            for r in pending] == ["28.11. 09:00"]
    await second.stop()


async def test_one_persons_messages_keep_their_order_when_the_first_is_retried(tmp_path: Path) -> None:
    telegram_bot, telegram = await start_with_telegram(tmp_path, TEST_NOW, fail=[TimeoutError()])
    tiina = await telegram_bot.app.people.get_or_create("telegram", "777", "Tiina")
    ville = await telegram_bot.app.people.get_or_create("telegram", "888", "Ville")
    ctx = ServiceContext(telegram_bot.app)
    await ctx.notify(tiina.id, Reply("Eka"))  # its first attempt times out
    await ctx.notify(tiina.id, Reply("Toka"))
    await ctx.notify(ville.id, Reply("Villelle"))
    await telegram_bot.app.settle()
    assert telegram.sent == [("888", "Villelle")]  # the others are not held up; Tiina's second waits
    await telegram_bot.wait("3s")  # the first backoff: 2 s
    assert telegram.sent == [("888", "Villelle"), ("777", "Eka"), ("777", "Toka")]
    await telegram_bot.stop()


async def test_an_offer_expiry_cut_short_still_offers_the_place_to_the_next_in_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = await ConsoleBot.start(tmp_path)
    await create(first, f"{OPEN_QUIZ} capacity=1")
    number = card(first)
    for name in ("Sanni", "Emma", "Aino"):  # Sanni going, Emma and Aino waiting in that order
        await going(first, name, number)
    await going(first, "Sanni", number, button=3)  # the place frees up: offered to Emma
    assert any("vapautui paikka" in p.text for p in first.sent_to("@emma"))
    expires = await rows(first, "SELECT due_at FROM scheduled WHERE task = 'ev_offer_expiry'")
    due = datetime.fromisoformat(expires[0]["due_at"])
    # Emma lets it expire; the process dies right after her offer was expired, before anything else.
    monkeypatch.setattr(EventQueries, "expire_offer", dying_after(EventQueries.expire_offer, 1, before=False))
    second = await dies_then_restarts(first, tmp_path, due, monkeypatch)
    bots = [first, second]
    assert reminders_to(bots, "Aino", "vapautui paikka") == 1  # the next in line is offered the place, once
    assert reminders_to(bots, "Emma", "ajoissa") == 1  # Emma is told once
    assert (await rows(second, "SELECT person_id, answer FROM event_rsvps ORDER BY person_id")) == [
        {"person_id": 2, "answer": "no"}, {"person_id": 3, "answer": "no"}, {"person_id": 4, "answer": "offered"}]
    await second.stop()
