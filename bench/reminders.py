"""Benchmark: 100,000 pending personal reminders.

Prints the time to schedule them, the resident memory of a bot holding them, the time to rebuild after a
restart (a new Application starting on the same database), and the lateness (p50/p99) of 500 reminders
due within a few seconds, measured from each row's due time to the frontend's send() call: the whole
path (wake-up, claim, the reminder task, the outbox, delivery). Real clock, file database in a temp dir.

    .venv/bin/python bench/reminders.py [--count 100000] [--burst 500]

Targets (issue #4): rebuild < 5 s, RSS < 250 MB, p99 lateness < 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Application  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.commands import Rendered  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.frontends.base import Frontend, Sent, Target  # noqa: E402
from bot.reminders import TASK, key_of, local_text  # noqa: E402
from bot.scheduler import Planned  # noqa: E402
from storage.outbox import iso  # noqa: E402

PEOPLE = 1000


class RecordingFrontend(Frontend):
    """Stands in for a chat platform: records when each reminder reaches send()."""

    platform = "console"

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.received: dict[str, float] = {}  # message text -> real time.time() at send

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, message: Rendered) -> Sent:
        self.received[message.text] = time.time()
        return Sent(target.id, str(len(self.received)))

    async def edit(self, sent: Sent, message: Rendered) -> None:
        return None


def bench_config() -> Config:
    config = load_config(ROOT / "config.example.toml", env={})
    return dataclasses.replace(config, bot=dataclasses.replace(config.bot, cogs=("ping",)))


def rss_mb() -> float:
    """Peak resident set size of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def new_app(data_dir: Path) -> tuple[Application, RecordingFrontend]:
    app = Application(bench_config(), data_dir, clock=Clock())
    frontend = RecordingFrontend(app)
    app.add_frontend(frontend)
    return app, frontend


async def add_reminders(app: Application, moments: list[datetime], text_prefix: str) -> list[int]:
    """Reminder rows plus their scheduled rows, the normal path in bulk (one transaction each)."""
    zone = app.config.tz
    first = int(await app.db.fetchval("SELECT COALESCE(MAX(id), 0) FROM reminders")) + 1
    now = iso(app.clock.now())
    rows = [(first + i, 1 + i % PEOPLE, f"{text_prefix}{first + i}", local_text(m, zone), zone.key, now)
            for i, m in enumerate(moments)]
    await app.db.executemany(
        "INSERT INTO reminders (id, person_id, text, local_at, zone, repeat, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, 'none', 'active', ?)", rows)
    await app.scheduler.schedule_many(
        Planned(TASK, m, key_of(r[0]), {"reminder": r[0]}, r[1]) for r, m in zip(rows, moments, strict=True)
    )
    return [r[0] for r in rows]


async def populate(data_dir: Path, count: int) -> dict[str, Any]:
    app, _frontend = await new_app(data_dir)
    await app.start()
    now = iso(datetime.now(UTC))
    await app.db.executemany("INSERT INTO people (id, display_name, created_at) VALUES (?, ?, ?)",
                             [(i, f"Person {i}", now) for i in range(1, PEOPLE + 1)])
    await app.db.executemany(
        "INSERT INTO accounts (platform, platform_user_id, person_id, display_name, created_at)"
        " VALUES ('console', ?, ?, ?, ?)", [(f"p{i}", i, f"Person {i}", now) for i in range(1, PEOPLE + 1)])
    # Due over the next 30 days, none during the run: they only have to be held and rebuilt.
    start = datetime.now(UTC) + timedelta(hours=1)
    moments = [start + timedelta(seconds=i * 30 * 86400 / count) for i in range(count)]
    began = time.perf_counter()
    await add_reminders(app, moments, "far ")
    took = time.perf_counter() - began
    await app.stop()
    return {"schedule_seconds": took, "populate_peak_rss_mb": rss_mb()}


async def run(data_dir: Path, burst: int) -> dict[str, Any]:
    """A fresh process: rebuild on the populated database, then a burst of reminders due within seconds."""
    baseline = current_rss_mb()
    began = time.perf_counter()
    app, frontend = await new_app(data_dir)
    await app.start()
    rebuild = time.perf_counter() - began
    pending = await app.db.fetchval("SELECT COUNT(*) FROM scheduled WHERE status = 'pending'")
    after_rebuild = current_rss_mb()

    first = datetime.now(UTC) + timedelta(seconds=1)
    moments = [first + timedelta(seconds=3 * i / burst) for i in range(burst)]  # 500 over 3 seconds
    ids = await add_reminders(app, moments, "soon ")
    due = {f"soon {rid}": m.timestamp() for rid, m in zip(ids, moments, strict=True)}
    deadline = time.time() + 30
    while len([t for t in due if t in frontend.received]) < burst and time.time() < deadline:
        await asyncio.sleep(0.05)
    late_ms = sorted((frontend.received[t] - due[t]) * 1000 for t in due if t in frontend.received)
    done = await app.db.fetchall("SELECT due_at, done_at FROM scheduled WHERE status = 'done'")
    task_ms = sorted((datetime.fromisoformat(r["done_at"]) - datetime.fromisoformat(r["due_at"])).total_seconds()
                     * 1000 for r in done)
    statuses = {r["status"]: r["n"] for r in await app.db.fetchall(
        "SELECT status, COUNT(*) AS n FROM scheduled GROUP BY status")}
    await app.stop()
    quantiles = statistics.quantiles(late_ms, n=100) if len(late_ms) >= 2 else [float("nan")] * 99
    return {
        "rebuild_seconds": rebuild, "pending_at_rebuild": pending, "delivered": len(late_ms),
        "p50_ms": statistics.median(late_ms) if late_ms else float("nan"), "p99_ms": quantiles[98],
        "max_ms": late_ms[-1] if late_ms else float("nan"),
        "rss_peak_mb": rss_mb(), "rss_start_mb": baseline, "rss_after_rebuild_mb": after_rebuild,
        "statuses": statuses, "task_p50_ms": statistics.median(task_ms) if task_ms else float("nan"),
        "task_p99_ms": statistics.quantiles(task_ms, n=100)[98] if len(task_ms) >= 2 else float("nan"),
    }


def phase(name: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    child = subprocess.run([sys.executable, __file__, "--phase", name, "--dir", str(data_dir),
                            "--count", str(args.count), "--burst", str(args.burst)],
                           capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--phase", choices=("all", "populate", "run"), default="all")
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    ZoneInfo("Europe/Helsinki")
    if args.phase == "populate":
        print(json.dumps(asyncio.run(populate(args.dir, args.count))))
        return 0
    if args.phase == "run":
        print(json.dumps(asyncio.run(run(args.dir, args.burst))))
        return 0
    with tempfile.TemporaryDirectory(prefix="humako-bench-") as tmp:
        # Each phase in its own small child process: Linux carries ru_maxrss over fork and exec, so a
        # big parent would inflate the restarted bot's figure.
        populated = phase("populate", Path(tmp), args)
        result = phase("run", Path(tmp), args)
    print(f"pending reminders:            {args.count:,}")
    print(f"time to schedule:             {populated['schedule_seconds']:.2f} s"
          f"  ({args.count / populated['schedule_seconds']:,.0f} rows/s)")
    print(f"rebuild after restart:        {result['rebuild_seconds']:.2f} s  (target < 5 s;"
          f" {result['pending_at_rebuild']:,} pending rows; includes app start and dateparser warm-up)")
    print(f"resident memory (restarted):  peak {result['rss_peak_mb']:.0f} MB, after rebuild "
          f"{result['rss_after_rebuild_mb']:.0f} MB  (target < 250 MB)")
    print(f"resident memory (scheduling): peak {populated['populate_peak_rss_mb']:.0f} MB")
    print(f"lateness of {args.burst} due within 3 s: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms,"
          f" max {result['max_ms']:.1f} ms  (target p99 < 250 ms; {result['delivered']}/{args.burst} delivered)")
    print(f"  of which the scheduler:     task done p50 {result['task_p50_ms']:.1f} ms,"
          f" p99 {result['task_p99_ms']:.1f} ms after the due time")
    print(f"scheduled rows by status:     {result['statuses']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
