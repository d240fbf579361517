"""The outbox: stored first, retried with backoff, delivered once; an unreachable recipient is recorded and a
linked person reached on their other platform; quiet hours hold back non-urgent DMs only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Reply
from bot.context import ServiceContext
from bot.frontends.base import RetryLater
from storage.outbox import iso
from tests.harness import TEST_NOW, ConsoleBot, texts
from tests.personal_helpers import link_code, rows, say_on_telegram, start_with_telegram


async def test_delivery_failing_twice_then_succeeding_arrives_once(tmp_path: Path) -> None:
    bot, telegram = await start_with_telegram(tmp_path, TEST_NOW, fail=[RetryLater("429"), TimeoutError()])
    person = await bot.app.people.get_or_create("telegram", "777", "Tiina")
    await ServiceContext(bot.app).notify(person.id, Reply("Kokous alkaa"))
    await bot.app.settle()
    assert telegram.attempts == 1 and telegram.sent == []
    row = (await rows(bot, "SELECT status, attempts, next_attempt_at FROM outbox"))[0]
    assert row["status"] == "pending" and row["attempts"] == 1  # stored, waiting for its retry
    await bot.wait("3s")  # first backoff: 2 s
    assert telegram.attempts == 2 and telegram.sent == []
    await bot.wait("3s")  # second backoff: 4 s, not yet
    assert telegram.attempts == 2
    await bot.wait("2s")
    assert telegram.sent == [("777", "Kokous alkaa")]
    await bot.wait("1h")
    assert telegram.attempts == 3 and len(telegram.sent) == 1
    row = (await rows(bot, "SELECT status, attempts, body FROM outbox"))[0]
    assert row == {"status": "sent", "attempts": 3, "body": "{}"}  # the text is not kept after delivery
    await bot.stop()


async def test_delivery_that_keeps_failing_gives_up_without_crashing(tmp_path: Path) -> None:
    bot, telegram = await start_with_telegram(tmp_path, TEST_NOW, fail=[RuntimeError("frontend bug")] * 10)
    person = await bot.app.people.get_or_create("telegram", "778", "Ville")
    await ServiceContext(bot.app).notify(person.id, Reply("Turha viesti"))
    for _ in range(8):
        await bot.wait("2m")
    row = (await rows(bot, "SELECT status, attempts FROM outbox"))[0]
    assert row == {"status": "failed", "attempts": bot.app.config.outbox.max_attempts}
    assert telegram.attempts == bot.app.config.outbox.max_attempts and telegram.sent == []
    # The bot still works.
    assert "Pong" in (await bot.say("/ping", as_="Olli"))[0].text
    await bot.stop()


async def test_unreachable_linked_person_gets_it_on_the_other_platform(tmp_path: Path) -> None:
    bot, telegram = await start_with_telegram(tmp_path, TEST_NOW, unreachable=True)
    out = await bot.say("/link", as_="Olli")
    reply = await say_on_telegram(bot, "4242", "Olli T", f"/link {link_code(out[0].text)}")
    assert "Yhdistetty" in reply
    settings = await bot.say("/settings platform=telegram", as_="Olli")
    assert "Telegram" in settings[0].text
    await bot.say("/remind 2026-11-26 15:00 Tentti", as_="Olli")
    await bot.wait("1h")
    assert telegram.attempts == 1 and telegram.sent == []  # Telegram said: blocked
    assert [p.text for p in bot.sent_to("@olli")] == ["Muistutus\nTentti"]
    account = (await rows(bot, "SELECT unreachable_since FROM accounts WHERE platform = 'telegram'"))[0]
    assert account["unreachable_since"] is not None
    statuses = await rows(bot, "SELECT platform, status FROM outbox ORDER BY id")
    assert statuses == [{"platform": "telegram", "status": "unreachable"}, {"platform": "console", "status": "sent"}]
    # The next message skips the unreachable account straight away.
    await bot.say("/remind 2026-11-26 17:00 Toinen", as_="Olli")
    await bot.wait("2h")
    assert telegram.attempts == 1 and len(bot.sent_to("@olli")) == 2
    await bot.stop()


async def test_preferred_platform_receives_reminders(tmp_path: Path) -> None:
    bot, telegram = await start_with_telegram(tmp_path, TEST_NOW)
    out = await bot.say("/link", as_="Olli")
    await say_on_telegram(bot, "4242", "Olli T", f"/link {link_code(out[0].text)}")
    await bot.say("/remind 2026-11-26 15:00 Konsoliin", as_="Olli")
    await bot.wait("1h")
    assert len(bot.sent_to("@olli")) == 1 and telegram.sent == []  # no preference: the first account
    await say_on_telegram(bot, "4242", "Olli T", "/settings platform=telegram")
    await say_on_telegram(bot, "4242", "Olli T", "/remind 2026-11-26 17:00 Telegramiin")
    await bot.wait("2h")
    assert telegram.sent == [("4242", "Muistutus\nTelegramiin")] and len(bot.sent_to("@olli")) == 1
    await bot.stop()


async def test_unreachable_destination_is_recorded(tmp_path: Path) -> None:
    bot, telegram = await start_with_telegram(tmp_path, TEST_NOW, unreachable=True)
    telegram.destination_chat = lambda name: "-100" if name == "announcements" else None  # type: ignore[method-assign]
    await bot.say("/broadcast Tiedote", as_="Hanna", roles="board")
    statuses = await rows(bot, "SELECT platform, status FROM outbox WHERE destination IS NOT NULL ORDER BY platform")
    assert statuses == [{"platform": "console", "status": "sent"}, {"platform": "telegram", "status": "unreachable"}]
    # Hanna posted it: she hears where it could not be posted.
    assert "ei voitu julkaista kohteeseen announcements (Telegram)" in texts(bot.sent_to("@hanna"))
    await bot.stop()


async def test_quiet_hours_hold_non_urgent_messages_only(tmp_path: Path) -> None:
    bot, _telegram = await start_with_telegram(tmp_path, TEST_NOW)
    out = await bot.say("/settings quiet=22-8", as_="Olli")
    assert "22.00–8.00" in out[0].text
    olli = (await bot.app.people.find_by_name("Olli"))[0]
    await bot.wait("9h")  # 21:00 UTC = 23:00 in Helsinki
    service = ServiceContext(bot.app)
    await service.notify(olli.id, Reply("Uusi tapahtuma"), urgent=False)
    await service.notify(olli.id, Reply("Kiireellinen"))
    await bot.app.settle()
    assert [p.text for p in bot.sent_to("@olli")] == ["Kiireellinen"]
    await bot.wait("8h")  # 05:00 UTC = 07:00 local: still quiet
    assert len(bot.sent_to("@olli")) == 1
    await bot.wait("1h")  # 08:00 local
    assert [p.text for p in bot.sent_to("@olli")] == ["Kiireellinen", "Uusi tapahtuma"]
    sent_at = (await rows(bot, "SELECT sent_at FROM outbox WHERE status = 'sent' ORDER BY sent_at"))[-1]["sent_at"]
    assert sent_at.startswith((TEST_NOW + timedelta(hours=18)).strftime("%Y-%m-%dT%H"))
    await bot.stop()


@pytest.mark.sqlite_only  # SQLite's query plans
async def test_the_next_attempt_is_read_off_the_indexes_whatever_is_pending(tmp_path: Path) -> None:
    """Every outbox wake-up asks when the next free row is due and when another worker's lease ends. During a big
    broadcast that must not be a pass over every pending row with its NOT EXISTS each (it was): the first walks
    the claim index in order and stops at the first row it may send, the second starts from the held rows."""
    bot = await ConsoleBot.start(tmp_path)
    outbox, db = bot.app.outbox, bot.app.db
    base = dict(person_id=None, destination=None, platform="console", target_kind="chat", language="fi",
                body={"text": "x"}, shows=None, urgent=False)
    await outbox.rows.add_many([dict(base, now=TEST_NOW + timedelta(seconds=i), target_id=f"t{i % 3}")
                                for i in range(6)])
    first_two = [r["id"] for r in await rows(bot, "SELECT id FROM outbox ORDER BY id LIMIT 2")]
    await db.execute("UPDATE outbox SET claimed_by = 'elsewhere', lease_until = '2026-11-26T12:00:30+00:00'"
                     f" WHERE id = {first_two[0]}")  # t0's first: held by another worker, so t0's others wait
    asked: list[tuple[str, Any]] = []
    fetchone = db.fetchone

    async def recording(sql: str, params: Any = ()) -> Any:
        asked.append((sql, params))
        return await fetchone(sql, params)

    db.fetchone = recording  # type: ignore[method-assign]
    due, lapse = await outbox.rows.next_attempt(["console"], TEST_NOW + timedelta(minutes=1), "me")
    db.fetchone = fetchone  # type: ignore[method-assign]
    # The next free row is t1's first (t0's wait behind the held one); the held row's lease ends at 12:00:30.
    assert (due, lapse) == (iso(TEST_NOW + timedelta(seconds=1)), "2026-11-26T12:00:30+00:00")
    [(sql, params)] = asked
    plan = [row[3] for row in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert not [step for step in plan if step.startswith("SCAN") and "CONSTANT ROW" not in step], plan
    assert not [step for step in plan if "TEMP B-TREE" in step], plan  # next-attempt order from the index
    assert any("outbox_claimed" in step for step in plan), plan  # the held rows first
    await bot.stop()
