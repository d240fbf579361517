"""Commands per second and latency through the in-process command path, with a file database.

Many simulated people send a mix of commands (/help, /ping, a button press, a typed date, /language) through
the same path every frontend uses: context_for -> Core.handle_text / Core.press -> render_reply.
Target (issue 3): >= 1,500 commands/s and p99 < 20 ms on a 2-core machine.

    .venv/bin/python bench/core_throughput.py [--people 200] [--commands 20000] [--concurrency 4 16 50]

Each concurrency level (commands in flight at once) runs on a fresh database; latency includes the time a
command waits behind others, so it grows with the level while throughput stays.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Application
from bot.commands import render_reply
from bot.context import Account, Chat
from bot.frontends.console import ConsoleFrontend
from tests.harness import test_config

MIX = ["/ping hello", "/help", "press", "/countdown huomenna klo 18", "/ping", "/language en", "/language fi"]


async def one(app: Application, person: int, step: int, latencies: list[float]) -> None:
    account = Account("bench", f"p{person}")
    chat = Chat("bench", f"@p{person}", direct=True)
    line = MIX[(person + step) % len(MIX)]
    started = time.perf_counter()
    ctx = await app.core.context_for(account, f"Person {person}", chat, frozenset(), "fi")
    if line == "press":
        # A genuine button, as the core signed it for this person (a forged one would be refused up front).
        reply = await app.core.press(ctx, app.core.signer.sign("ping:again:1", ctx.person.id))
    else:
        reply = await app.core.handle_text(ctx, line)
    assert reply is not None
    render_reply(reply, ctx.language)
    latencies.append(time.perf_counter() - started)


async def measure(people: int, commands: int, concurrency: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as data:
        config = test_config(cogs=["ping"], command_rate=10**9)
        app = Application(dataclasses.replace(config), Path(data))
        app.add_frontend(ConsoleFrontend(app, out=open("/dev/null", "w")))  # noqa: SIM115
        await app.start()
        latencies: list[float] = []
        semaphore = asyncio.Semaphore(concurrency)

        async def limited(index: int) -> None:
            async with semaphore:
                await one(app, index % people, index // people, latencies)

        for index in range(people):  # warm-up: create everyone once
            await one(app, index, 0, [])
        started = time.perf_counter()
        await asyncio.gather(*(limited(i) for i in range(commands)))
        elapsed = time.perf_counter() - started
        await app.stop()
    return commands / elapsed, sorted(latencies)


async def main(people: int, commands: int, levels: list[int]) -> None:
    print(f"machine: {platform.machine()} python {platform.python_version()}, "
          f"{len(os.sched_getaffinity(0))} cores; people={people} commands={commands}, SQLite file (WAL)")
    print("target: >= 1,500 commands/s and p99 < 20 ms")
    for concurrency in levels:
        rate, latencies = await measure(people, commands, concurrency)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"in flight {concurrency:3d}: {rate:7,.0f} commands/s   latency p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
              f"  max {latencies[-1] * 1000:6.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16, 50])
    args = parser.parse_args()
    asyncio.run(main(args.people, args.commands, args.concurrency))
