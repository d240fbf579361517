"""Telegram's webhook spread over two processes on one PostgreSQL (issue #28, bot/fleet.py): what a hand-over costs.

Two applications (webhook mode, each its own web server) in this process, one fake Telegram Bot API (tests/fakes),
PostgreSQL from the pip package pgserver. Per round: a person sends a command that asks a question, POSTed to
application A; then the answer, POSTed to A ("answered where asked") or to B ("handed over": B hands it to A
through a `handoffs` row and a NOTIFY). The figure is the time from POSTing the answer to the reply arriving at
the fake, p50 and p99. Also: the per-person rate as the database keeps it (`SharedRate.check`, a transaction of
three statements) against the in-memory one, microseconds per check.

    .venv/bin/python bench/fleet_webhook.py [--rounds 200] [--checks 500]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Annotated

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.commands import Cog, Param, Reply  # noqa: E402
from bot.config import DatabaseSettings, WebSettings  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.core import RateLimiter  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.scenarios.telegram_driver import TelegramBot, telegram_config  # noqa: E402

bench = Cog("fleetbench", "bench/fleet_webhook.py", grouped=False)


@bench.command("Asks one question")
async def ask(ctx: Context, name: Annotated[str, Param("Whom")]) -> Reply:
    return Reply(f"Hei {name}!")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def post(http: aiohttp.ClientSession, fake: FakeTelegram, bot_: TelegramBot) -> None:
    server = bot_.app.web
    assert server is not None
    answer = await http.post(f"http://127.0.0.1:{server.port}/tg-hook", json=fake._updates.pop(),
                             headers={"X-Telegram-Bot-Api-Secret-Token": fake.webhook["secret_token"]})
    assert answer.status == 200


async def replies(fake: FakeTelegram, user_id: int, count: int) -> None:
    while len(fake.bot_messages(user_id)) < count:
        await asyncio.sleep(0.0005)


async def run(url: str, rounds: int, checks: int, scratch: Path) -> None:
    async with FakeTelegram() as fake:
        config = telegram_config(fake)
        config = dataclasses.replace(
            config, database=DatabaseSettings(url=url),
            telegram=dataclasses.replace(config.telegram, mode="webhook", webhook_url="https://bot.example.org/tg-hook"),
            bot=dataclasses.replace(config.bot, command_rate=10_000),
            web=WebSettings(enabled=True, port=0, base_url="https://bot.example.org"))
        asker = await TelegramBot.start(scratch, fake, config, extra_cogs=(bench,))
        other = await TelegramBot.start(scratch, fake, config, extra_cogs=(bench,))
        try:
            await asker.app.worker.present()
            figures: dict[str, list[float]] = {"answered where asked": [], "handed over": []}
            async with aiohttp.ClientSession() as http:
                for number in range(rounds * 2):
                    user = fake.user(9_000_000 + number, "Bench", "en")
                    fake.send_text(user, "/ask")
                    await post(http, fake, asker)
                    await replies(fake, user.id, 1)
                    where = other if number % 2 else asker  # interleaved: both see the same load
                    fake.send_text(user, "Maija")
                    started = time.perf_counter()
                    await post(http, fake, where)
                    await replies(fake, user.id, 2)
                    figures["handed over" if where is other else "answered where asked"].append(
                        time.perf_counter() - started)
            for name, values in figures.items():
                p50, p99 = quantile(values, 0.5) * 1000, quantile(values, 0.99) * 1000
                print(f"{name:22} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({len(values)} answers)")
            fleet = asker.app.core.fleet
            assert fleet is not None
            started = time.perf_counter()
            for number in range(checks):
                await fleet.rate.check(1_000_000 + number % 50, float(number))
            shared = (time.perf_counter() - started) / checks
            memory = RateLimiter(20, 60.0)
            started = time.perf_counter()
            for number in range(checks):
                memory.check(number % 50, float(number))
            local = (time.perf_counter() - started) / checks
            print(f"per-person rate check: database {shared * 1e6:8.1f} µs, in memory {local * 1e6:6.2f} µs")
        finally:
            await other.stop()
            await asker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="answers of each kind")
    parser.add_argument("--checks", type=int, default=500, help="rate checks timed")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    with tempfile.TemporaryDirectory(prefix="humako-fleet-bench-") as scratch:
        server = pgserver.get_server(Path(scratch) / "pg", cleanup_mode="stop")
        try:
            asyncio.run(run(server.get_uri(), args.rounds, args.checks, Path(scratch) / "data"))
        finally:
            server.cleanup()
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
