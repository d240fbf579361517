"""Commands per second and latency through the in-process command path, with a file database.

Many simulated people send a mix of commands (/help, /ping, a button press, a typed date, /language) through
the same path every frontend uses: context_for -> Core.handle_text / Core.press -> render_reply.
Target (issue 26): >= 4,000 commands/s and p99 < 20 ms at 16 in flight on a 2-core machine.

    .venv/bin/python bench/core_throughput.py [--people 200] [--commands 20000] [--concurrency 4 16 50] [--rounds 3]

Each round runs every concurrency level (commands in flight at once), each on a fresh database, the levels'
order rotating between rounds; medians and spread over the rounds. A command's latency runs from its start
(once one of the in-flight places is free) to its rendered reply, so it includes the time it waits behind the
others in flight. The example config's cogs are loaded; the per-person command rate is switched off (200
people send 20,000 commands); everything else is as deployed. `--profile` prints cProfile's top functions
for one pass at the first level.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Application, freeze_startup_objects
from bot.commands import render_reply
from bot.context import Account, Chat
from bot.frontends.console import ConsoleFrontend
from tests.harness import test_config

MIX = ["/ping hello", "/help", "press", "/countdown huomenna klo 18", "/ping", "/language en", "/language fi"]


SLOWEST: Counter[str] = Counter()  # which commands the slowest 1% were, over the whole run


async def one(app: Application, person: int, step: int, latencies: list[float],
              kinds: list[str] | None = None) -> None:
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
    if kinds is not None:
        kinds.append(line.split(" ")[0])


async def measure(people: int, commands: int, concurrency: int,
                  profile: str | None = None) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as data:
        # Every cog of the example config, as deployed (their commands are in /help; their code in memory).
        config = test_config(command_rate=10**9)
        app = Application(dataclasses.replace(config), Path(data))
        app.add_frontend(ConsoleFrontend(app, out=open("/dev/null", "w")))  # noqa: SIM115
        await app.start()
        freeze_startup_objects()  # as `run` does
        latencies: list[float] = []
        kinds: list[str] = []
        semaphore = asyncio.Semaphore(concurrency)

        async def limited(index: int) -> None:
            async with semaphore:
                await one(app, index % people, index // people, latencies, kinds)

        for index in range(people):  # warm-up: create everyone once
            await one(app, index, 0, [])
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        await asyncio.gather(*(limited(i) for i in range(commands)))
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats(profile or "tottime").print_stats(35)
        await app.stop()
    threshold = sorted(latencies)[int(len(latencies) * 0.99)]
    SLOWEST.update(kind for kind, took in zip(kinds, latencies, strict=True) if took >= threshold)
    return commands / elapsed, sorted(latencies)


async def main(people: int, commands: int, levels: list[int], rounds: int, profile: str | None) -> None:
    print(f"machine: {platform.machine()} python {platform.python_version()}, "
          f"{len(os.sched_getaffinity(0))} cores; people={people} commands={commands}, SQLite file (WAL),"
          f" {rounds} rounds; load {os.getloadavg()[0]:.2f}")
    print("target: >= 4,000 commands/s and p99 < 20 ms at 16 in flight")
    if profile:
        await measure(people, commands, levels[0], profile)
        return
    results: dict[int, list[tuple[float, float, float]]] = {level: [] for level in levels}
    for number in range(rounds):
        order = levels[number % len(levels):] + levels[:number % len(levels)]
        for concurrency in order:
            rate, latencies = await measure(people, commands, concurrency)
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
            results[concurrency].append((rate, p50, p99))
            print(f"round {number + 1}, in flight {concurrency:3d}: {rate:7,.0f} commands/s   latency p50"
                  f" {p50:6.2f} ms  p99 {p99:6.2f} ms  max {latencies[-1] * 1000:6.1f} ms;"
                  f" load {os.getloadavg()[0]:.2f}")
    for concurrency, figures in results.items():
        rates, p99s = [f[0] for f in figures], [f[2] for f in figures]
        verdict = ""
        if concurrency == 16:
            ok = statistics.median(rates) >= 4000 and statistics.median(p99s) < 20
            verdict = f"  target: {'OK' if ok else 'MISSED'}"
        print(f"in flight {concurrency:3d}: median {statistics.median(rates):7,.0f} commands/s"
              f" ({min(rates):,.0f}-{max(rates):,.0f}), p99 median {statistics.median(p99s):.2f} ms"
              f" ({min(p99s):.2f}-{max(p99s):.2f}){verdict}")
    print(f"the slowest 1% of commands were: {', '.join(f'{kind} {n}' for kind, n in SLOWEST.most_common())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16, 50])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="SORT", help="cProfile one pass at the first level (tottime, ...)")
    args = parser.parse_args()
    asyncio.run(main(args.people, args.commands, args.concurrency, args.rounds, args.profile))
