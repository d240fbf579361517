"""Telegram end to end: updates per second through the fake Bot API, and a 900-DM broadcast under flood limits.

1. Mixed load: many people send a mix of commands, plain text and button presses. The same updates go first
   to a bare python-telegram-bot echo bot (answers every message, answers and edits on every press), then
   to humako-bot (real TelegramFrontend, core, SQLite), both polling the same fake in this run, alternately,
   three rounds (the median counts: one process shares its CPU between the bots and the fake). The bare bot
   runs both ways (PTB's default, one update at a time; and 64 at a time), ours as deployed (up to 64, one
   at a time per person); ours is compared with the better bare figure. Nothing is throttled here (our
   limiter's limits are 0): this measures what our layers cost per update. Target: ours >= 70% of bare.
2. Broadcast: 900 direct messages queued in the outbox, delivered through the real frontend and limiter
   while the fake enforces Telegram's 30 messages/s. Target: >= 28 messages/s sustained, no 429 received.

    .venv/bin/python bench/telegram_e2e.py [--people 50] [--updates 3000] [--broadcast 900]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application as PTBApplication
from telegram.ext import CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.commands import Reply
from bot.frontends.telegram_limits import SlidingRateLimiter
from tests.fakes.telegram_api import FakeTelegram, TgUser
from tests.harness import test_config
from tests.scenarios.telegram_driver import TelegramBot, telegram_config

MIX = ["/ping hei", "/help", "press", "/countdown huomenna klo 18", "hello there", "/ping", "press",
       "/language en", "/language fi", "/start"]


# ----------------------------------------------------------------------------------------- the bare bot

async def bare_message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="ping:again:1")]])
    await update.effective_message.reply_text(update.effective_message.text or "?", reply_markup=keyboard,
                                              do_quote=False)


async def bare_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.edit_message_text(f"pressed {time.monotonic()}")
    await query.answer("ok")


async def run_bare(fake: FakeTelegram, users: list[TgUser], updates: int, concurrent: int) -> float:
    builder = fake.application_builder()
    app: PTBApplication = (builder.concurrent_updates(concurrent) if concurrent > 1 else builder).build()  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.TEXT, bare_message))
    app.add_handler(CallbackQueryHandler(bare_button))
    handled = Counter()
    app.add_handler(MessageHandler(filters.ALL, handled.hit), group=1)
    app.add_handler(CallbackQueryHandler(handled.hit), group=1)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await warm_up(fake, users, lambda: handled.count)
        started = time.perf_counter()
        queue_load(fake, users, updates)
        await handled.reach(len(users) + updates)
        elapsed = time.perf_counter() - started
        await app.updater.stop()
        await app.stop()
    return updates / elapsed


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self._event = asyncio.Event()

    async def hit(self, _update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.count += 1
        self._event.set()

    async def reach(self, total: int) -> None:
        while self.count < total:
            self._event.clear()
            await asyncio.wait_for(self._event.wait(), 30)


# ------------------------------------------------------------------------------------------- the load

async def warm_up(fake: FakeTelegram, users: list[TgUser], handled: object) -> None:
    """Every person says /ping once (their card to press later; first-contact costs out of the timing)."""
    for user in users:
        fake.send_text(user, "/ping")
    deadline = time.monotonic() + 30
    while handled() < len(users):  # type: ignore[operator]
        assert time.monotonic() < deadline, "warm-up did not finish"
        await asyncio.sleep(0.01)
    while any(not fake.bot_messages(u.id) or not fake.bot_messages(u.id)[0].callback_data() for u in users):
        await asyncio.sleep(0.01)


def queue_load(fake: FakeTelegram, users: list[TgUser], updates: int) -> None:
    for index in range(updates):
        user = users[index % len(users)]
        line = MIX[(index // len(users) + index) % len(MIX)]
        if line == "press":
            card = fake.bot_messages(user.id)[0]
            fake.press(user, card, card.callback_data()[0])
        else:
            fake.send_text(user, line)


async def run_ours(fake: FakeTelegram, users: list[TgUser], updates: int, data_dir: Path) -> float:
    data_dir.mkdir(parents=True, exist_ok=True)
    config = telegram_config(fake, test_config(command_rate=10**9, live_edit_seconds=0.0))
    config = dataclasses.replace(config, telegram=dataclasses.replace(config.telegram, role_cache_seconds=300))
    unthrottled = SlidingRateLimiter(overall_max_rate=0, group_max_rate=0)
    bot = await TelegramBot.start(data_dir, fake, config=config, rate_limiter=unthrottled)
    try:
        await warm_up(fake, users, lambda: bot.frontend.handled_updates)
        base = bot.frontend.handled_updates
        started = time.perf_counter()
        queue_load(fake, users, updates)
        await bot.frontend.wait_handled(base + updates, timeout=120)
        elapsed = time.perf_counter() - started
    finally:
        await bot.stop()
    return updates / elapsed


# --------------------------------------------------------------------------------------- the broadcast

async def run_broadcast(count: int, data_dir: Path) -> tuple[float, int, int]:
    async with FakeTelegram() as fake:
        fake.flood_limit(per_second=30, per_group_per_minute=20)
        config = telegram_config(fake, test_config(live_edit_seconds=0.0))
        bot = await TelegramBot.start(data_dir, fake, config=config)
        try:
            people = [await bot.app.people.get_or_create("telegram", str(900_000 + i), f"Opiskelija {i}")
                      for i in range(count)]
            started = time.perf_counter()
            for person in people:
                await bot.app.outbox.to_person(person.id, Reply("Muistutus: vuosikokous huomenna klo 18."))
            await bot.app.outbox.drain(timeout=count / 10)
            elapsed = time.perf_counter() - started
            sent = [c for c in fake.calls_of("sendMessage") if c.ok]
        finally:
            await bot.stop()
        return len(sent) / elapsed, fake.flood_429s, len(sent)


async def main(people: int, updates: int, broadcast: int) -> int:
    logging.basicConfig(level=logging.ERROR)
    print(f"python {platform.python_version()} on {platform.machine()}; {people} people, {updates} updates")
    with tempfile.TemporaryDirectory() as data:
        sequential: list[float] = []
        concurrent: list[float] = []
        ourses: list[float] = []
        for round_ in range(3):
            async with FakeTelegram() as fake:
                users = [fake.user(600_000 + i, f"Person {i}", language_code="fi") for i in range(people)]
                sequential.append(await run_bare(fake, users, updates, 1))
                fake.messages.clear()
                concurrent.append(await run_bare(fake, users, updates, 64))
                fake.messages.clear()
                ourses.append(await run_ours(fake, users, updates, Path(data) / str(round_)))
        ours = statistics.median(ourses)
        bare = max(statistics.median(sequential), statistics.median(concurrent))  # the better bare bot
        ratio = ours / bare
        print(f"bare PTB echo bot:   {statistics.median(sequential):8.1f} updates/s one at a time (PTB default)")
        print(f"bare PTB echo bot:   {statistics.median(concurrent):8.1f} updates/s 64 at a time")
        print(f"humako-bot:          {ours:8.1f} updates/s  ({ratio:.0%} of the better bare bot; target >= 70%)"
              f"  {'OK' if ratio >= 0.7 else 'BELOW TARGET'}")
    with tempfile.TemporaryDirectory() as data:
        rate, rejected, sent = await run_broadcast(broadcast, Path(data))
    ok = rate >= 28 and rejected == 0 and sent == broadcast
    print(f"broadcast:           {sent} DMs at {rate:.1f} messages/s (queued to delivered), {rejected} x 429 "
          f"(target >= 28/s and no 429)  {'OK' if ok else 'BELOW TARGET'}")
    return 0 if ratio >= 0.7 and ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--broadcast", type=int, default=900)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.people, args.updates, args.broadcast)))
