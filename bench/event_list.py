"""Benchmark: /event list at 10, 1,000 and 10,000 upcoming events (a tenth of them weekly series, some with an
occurrence cancelled alone), through the real command path: context_for -> Core.handle_text -> render_reply,
with the events cog on a file database and a frozen app clock.

Each size has its own application; the sizes take turns within each round (interleaved), and each round
times `--calls` lists per size, alternating page 1 and a middle page. Printed per size: the median over the
rounds of p50 and p99, with their spread (min-max over the rounds), and the machine's load.

As deployed, the objects made at start (and the populated data's leftovers) are frozen out of the collector
once, after start (bot/app.py freeze_startup_objects, as `run` does); `--no-freeze` leaves them in. The
collector's pauses are watched (gc.callbacks): per size, how many lists had a collection inside them, and the
p99 of the lists that had none, so a p99 made of collector pauses shows as such.

    .venv/bin/python bench/event_list.py [--sizes 10 1000 10000] [--rounds 3] [--calls 1000]
    .venv/bin/python bench/event_list.py --tree /work/main     # the same bench on another checkout (before)
    .venv/bin/python bench/event_list.py --explain --sizes 10000   # and the plan of each statement a list runs
    HUMAKO_TEST_DATABASE_URL=<server url> .venv/bin/python bench/event_list.py   # on PostgreSQL (a fresh,
        migrated database per size, as the tests get: scripts/postgres.py start DIR prints a server's url)

Target (issue #26): p99 < 5 ms at 10,000 upcoming events.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _tree() -> Path:
    # --tree must take effect before the bot's modules are imported.
    if "--tree" in sys.argv:
        return Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    return Path(__file__).resolve().parent.parent


sys.path.insert(0, str(_tree()))

import gc  # noqa: E402

from bot.app import Application, freeze_startup_objects  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.commands import render_reply  # noqa: E402
from bot.context import Account, Chat  # noqa: E402
from bot.frontends.console import ConsoleFrontend  # noqa: E402
from bot.testing import TEST_DATABASES, TEST_NOW, make_config  # noqa: E402

CAMPUSES = ("helsinki", "joensuu", "turku", None)  # None: online
LANGUAGES = ("fi", "en", "both", None)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


async def populate(app: Application, count: int) -> None:
    """`count` upcoming events in bulk (the columns every version of the schema has): one-offs over the next
    year, every tenth a weekly series of 10-20 weeks, every thirtieth of those with its 2nd time cancelled."""
    now = TEST_NOW
    organiser = await app.db.fetchval("INSERT INTO people (display_name, created_at) VALUES ('Organiser', ?)"
                                      " RETURNING id", (iso(now),))
    rows: list[tuple[Any, ...]] = []
    for i in range(count):
        start = now + timedelta(hours=1 + (i * 7919) % (365 * 24))  # spread, not in id order
        weeks = 1 if i % 10 == 0 else 0
        times = 10 + i % 11 if weeks else 1
        last = start + timedelta(weeks=times - 1)
        until = last.astimezone(app.config.tz).date().isoformat() if weeks else None
        skipped = iso(start + timedelta(weeks=1)) if weeks and i % 30 == 0 else ""
        campus = CAMPUSES[i % len(CAMPUSES)]
        rows.append((f"Event {i}", "x", iso(start), iso(start + timedelta(hours=2)), campus,
                     "https://meet.example/x" if campus is None else None, None, LANGUAGES[i % len(LANGUAGES)],
                     weeks, until, "Europe/Helsinki", iso(last + timedelta(hours=2)), organiser, iso(now), iso(now),
                     skipped))
    await app.db.executemany(
        "INSERT INTO events (title, description, starts_at, ends_at, campus, link, capacity, language, repeat_weeks,"
        " repeat_until, timezone, series_end_at, organiser_id, created_at, updated_at, skipped)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


class CollectorWatch:
    """Each collection's generation and pause, from gc.callbacks."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._began))


WATCH = CollectorWatch()


async def list_once(app: Application, page: int) -> float:
    began = time.perf_counter()
    ctx = await app.core.context_for(Account("bench", "reader"), "Reader", Chat("bench", "@reader", direct=True),
                                     frozenset(), "fi")
    reply = await app.core.handle_text(ctx, f"/event list sivu={page}")
    assert reply is not None
    rendered = render_reply(reply, ctx.language)
    took = time.perf_counter() - began
    assert rendered.text.count("#") == 5, rendered.text  # a full page of events, not an error
    return took


async def explain(app: Application) -> None:
    """The plan of every statement one list runs: with one event marked by a write (so the due check, the
    recomputation and the count run too), then a list as it usually is (the state read and the page)."""
    seen: list[tuple[str, Any]] = []
    db = app.db
    originals = {name: getattr(db, name) for name in ("fetchall", "fetchone", "fetchval", "execute")}

    def watched(original: Any) -> Any:
        async def run(sql: str, params: Any = ()) -> Any:
            seen.append((sql, params))
            return await original(sql, params)
        return run

    await db.execute("UPDATE events SET next_end = '' WHERE id = (SELECT MIN(id) FROM events)")
    for name, original in originals.items():
        setattr(db, name, watched(original))
    await list_once(app, 1)
    await list_once(app, 1)
    for name, original in originals.items():
        setattr(db, name, original)
    postgres = db.dialect == "postgresql"
    shown: set[str] = set()
    for sql, params in seen:
        if "events" not in sql or sql in shown:
            continue
        shown.add(sql)
        rows = await db.fetchall(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + sql, params)
        print(f"\n{sql}")
        for row in rows:
            print("    " + (row[0] if postgres else str(row[-1])))


async def start(size: int, scratch: Path) -> Application:
    data = scratch / str(size)
    data.mkdir()
    app = Application(make_config(["events"], command_rate=10**9), data, clock=Clock(frozen_at=TEST_NOW))
    app.add_frontend(ConsoleFrontend(app, out=open(os.devnull, "w")))  # noqa: SIM115
    await app.start()
    await populate(app, size)
    await list_once(app, 1)  # warm-up (the first read also computes every stored next occurrence)
    if app.db.dialect == "postgresql":
        # As autovacuum would after the bulk insert and the first read's updates: the planner sees the data.
        await app.db.execute("VACUUM ANALYZE events")
    return app


def quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


async def main(sizes: list[int], rounds: int, calls: int, freeze: bool, plans: bool) -> None:
    print(f"tree: {_tree()}; start-up objects {'frozen (as deployed)' if freeze else 'not frozen'};"
          f" database: {'PostgreSQL' if os.environ.get('HUMAKO_TEST_DATABASE_URL') else 'SQLite (a file)'}")
    print(f"machine: {platform.machine()} python {platform.python_version()}, {len(os.sched_getaffinity(0))} cores;"
          f" {rounds} rounds x {calls} lists per size, sizes interleaved; page size 5 (the default)")
    print("target: p99 < 5 ms at 10,000 upcoming events")
    with tempfile.TemporaryDirectory(prefix="humako-bench-") as scratch:
        apps = {size: await start(size, Path(scratch)) for size in sizes}
        if plans:
            await explain(apps[sizes[-1]])
            print()
        if freeze:
            freeze_startup_objects()
        gc.callbacks.append(WATCH)
        per_round: dict[int, list[tuple[float, float, float]]] = {size: [] for size in sizes}
        for number in range(1, rounds + 1):
            for size in sizes:
                middle = max(1, size // 5 // 2)
                cpu = time.process_time()
                times, clean = [], []
                for i in range(calls):
                    before = len(WATCH.pauses)
                    took = await list_once(apps[size], 1 if i % 2 == 0 else middle)
                    times.append(took)
                    if len(WATCH.pauses) == before:
                        clean.append(took)
                cpu_ms = (time.process_time() - cpu) / calls * 1000  # less swayed by other jobs than p99
                times.sort()
                clean.sort()
                p50, p99 = statistics.median(times) * 1000, quantile(times, 0.99) * 1000
                per_round[size].append((p50, p99, cpu_ms))
                load = os.getloadavg()
                collected = calls - len(clean)
                print(f"round {number} size {size:6,}: p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  CPU {cpu_ms:6.2f} ms/list"
                      f"   lists with a collection {collected:3}, p99 of the others"
                      f" {quantile(clean, 0.99) * 1000 if clean else float('nan'):6.2f} ms"
                      f"   load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        gc.callbacks.remove(WATCH)
        for app in apps.values():
            await app.stop()
        if TEST_DATABASES is not None:
            await TEST_DATABASES.drop_all()
    print("\n| upcoming events | p50 ms (median, min-max) | p99 ms (median, min-max) | CPU ms/list (median, min-max) |")
    print("| --- | --- | --- | --- |")
    for size in sizes:
        cells = []
        for column in range(3):
            values = [r[column] for r in per_round[size]]
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
        print(f"| {size:,} | " + " | ".join(cells) + " |")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for generation in range(3):
        pauses = sorted(p for g, p in WATCH.pauses if g == generation)
        if pauses:
            print(f"collections of generation {generation}: {len(pauses)}, pause median"
                  f" {statistics.median(pauses) * 1000:.2f} ms, max {pauses[-1] * 1000:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1000)  # p99 of 1,000: the 10th slowest, not the 3rd
    parser.add_argument("--tree", type=Path, help="run against this checkout instead (before/after figures)")
    parser.add_argument("--no-freeze", action="store_true", help="leave the start-up objects to the collector")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement of a list first")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sizes, arguments.rounds, arguments.calls, not arguments.no_freeze, arguments.explain))
