"""What sealed delivery costs (bot/sealed.py), with a file database and a frontend that sends nowhere.

- delivery: N messages through the outbox to N people, as ordinary DMs and as sealed messages (each opens its
  route and deletes its row), from queueing the first to the last delivered;
- a scan of every route (`of_accounts`, what /forgetme and /mydata do: each route must be opened);
- `rotate_routes` over every route (humako-bot rotate-key).

    .venv/bin/python bench/sealed.py [--routes 10000] [--messages 2000] [--rounds 3]

Rounds are interleaved (every measure once per round); medians with the spread (min-max) are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Application
from bot.commands import Rendered, Reply
from bot.context import Account
from bot.frontends.base import Frontend, Sent, Target
from bot.sealed import rotate_routes
from tests.harness import test_config

KEY = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


class Nowhere(Frontend):
    platform = "bench"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, message: Rendered) -> Sent:
        return Sent(target.id, "1")

    async def edit(self, sent: Sent, message: Rendered) -> None:
        return None


async def started(data_dir: Path) -> Application:
    config = test_config()
    config = dataclasses.replace(config, secrets=dataclasses.replace(config.secrets, secret_key=KEY))
    app = Application(config, data_dir)
    app.add_frontend(Nowhere(app))
    await app.start()
    return app


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def one_round(routes: int, messages: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        app = await started(Path(tmp))
        try:
            people = [(await app.people.get_or_create("bench", f"u{i}", f"P{i}")).id for i in range(messages)]
            handles = [await app.sealed.seal(Account("bench", f"u{i}"), "fi") for i in range(routes)]
            reply = Reply("Vastaus palautteeseesi")

            async def plain() -> None:
                for person in people:
                    await app.outbox.to_person(person, reply)
                await app.outbox.drain(600)

            async def sealed() -> None:
                for handle in handles[:messages]:
                    await app.sealed.deliver(handle, reply)
                await app.outbox.drain(600)

            result = {"plain DMs": await timed(plain), "sealed": await timed(sealed)}
            result["scan"] = await timed(lambda: app.sealed.of_accounts([("bench", "u0")]))
            result["rotate"] = await timed(lambda: rotate_routes(app.db, b"new-" + KEY.encode(), KEY.encode()))
            return result
        finally:
            await app.stop()


def spread(values: list[float], scale: float, unit: str) -> str:
    return (f"{statistics.median(values) * scale:,.1f} {unit} "
            f"({min(values) * scale:,.1f}-{max(values) * scale:,.1f})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {args.routes:,} routes, {args.messages:,} messages, {args.rounds} rounds")
    rounds = [await one_round(args.routes, args.messages) for _ in range(args.rounds)]
    for name in ("plain DMs", "sealed"):
        per_message = [r[name] / args.messages for r in rounds]
        print(f"{name:>10}: {spread(per_message, 1e3, 'ms')} per message, delivered and recorded")
    print(f"{'scan':>10}: {spread([r['scan'] for r in rounds], 1e3, 'ms')} to open all {args.routes:,} routes")
    print(f"{'rotate':>10}: {spread([r['rotate'] for r in rounds], 1e3, 'ms')} to re-encrypt all {args.routes:,}")


if __name__ == "__main__":
    asyncio.run(main())
