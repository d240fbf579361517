"""Several worker processes on one PostgreSQL database drain the outbox and the scheduler: deliveries per second by
worker count, and nothing lost or sent twice, also when a worker is killed halfway (issue #28).

Each run: a fresh database (PostgreSQL from the pip package pgserver, or a SQLite file); the fake Telegram Bot API
(tests/fakes) in a process of its own; W worker processes, each the real application (outbox, scheduler, claims,
leases) with the Telegram frontend pointed at the fake. Once every worker is up, one transaction queues
N deliveries (outbox rows, 10 to each recipient) and M scheduled rows due now (each a task that sends one DM);
the workers find them on their next look (they look every 0.2 s here, POLL_SECONDS in production). Counted at the
fake by each message's own text (its idempotent id): lost = never arrived, duplicated = arrived more than once.
The rate is the messages over the time between the first and the last arriving at the fake (with a worker killed,
that time includes the lease the others wait out).

"Killed": when half the messages have arrived, worker 0 is SIGKILLed; the others (with one worker: a new one in
another slot) take its rows over once its lease (20 s here) runs out. "In flight" is what worker 0 held when it
died: the most a kill may send twice. The workers send without the Telegram rate limiter (the fake does not
limit): the bench measures the claims, not Telegram's 30 messages a second.

Each worker journals its sends, lease renewals and claims (worker*/journal.jsonl): a run prints, for every
duplicated text, who sent it when and how long before its sender last renewed its lease, and per worker the
longest gap between renewals, the longest claim and the longest send. "send_errors" are sends that failed
(timeouts, network errors): such a message may have reached the fake and then be retried, a duplicate no claim
can prevent, so they are counted apart. `--lease 0.6` (below the config's minimum) provokes lapsed leases.
The lease was 5 s until a full-size run at a load of 11 on 2 cores sent one row twice without a kill: the event
loops stalled up to 5.8 s between renewals, and a send of 2.4 s began with 1.8 s of its lease left (the bound the
workers state: a row goes twice only if a send outlasts a third of the lease while renewals are late too).

CPU per delivery: of the worker processes alive at the end, and of the fake (Linux /proc), per message arrived;
with `--profile DIR` each worker runs under cProfile and the runs' directories are kept in DIR/runs.

    .venv/bin/python bench/scale.py [--quick] [--rounds 3] [--workers 1,2,4] [--deliveries 20000]
                                    [--scheduled 5000] [--skip-kill] [--skip-sqlite] [--lease 20] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.commands import Cog, Reply, render_reply  # noqa: E402
from bot.context import ServiceContext  # noqa: E402
from bot.scheduler import Due  # noqa: E402

FIRST_USER = 8_000_000
PER_RECIPIENT = 10  # deliveries to each recipient (a chat's rows go in order, one at a time)
LEASE_SECONDS = float(os.environ.get("SCALE_LEASE_SECONDS", "20.0"))  # --lease, passed on to the workers
LOOK_SECONDS = 0.2
GUARD_SECONDS = 600.0  # a run that has not finished by then hangs (reported, not a timing assertion)

scale = Cog("scale_bench", "Scheduled rows of bench/scale.py")


@scale.task("scale_ping")
async def scale_ping(ctx: ServiceContext, due: Due) -> None:
    assert due.person_id is not None
    await ctx.notify(due.person_id, Reply(f"s{due.payload['n']}"))


# ------------------------------------------------------------------------------------------- the fake process

async def fake_main(users: int, port_file: Path) -> None:
    from aiohttp import web

    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    for n in range(users):
        fake.user(FIRST_USER + n, f"M{n}")

    async def stats(request: web.Request) -> web.Response:
        texts = Counter(m.text for messages in fake.messages.values() for m in messages if m.from_bot)
        body: dict[str, Any] = {"received": len(texts)}  # distinct: a duplicate does not count twice
        if request.query.get("full"):
            times = [c.time for c in fake.calls if c.method == "sendMessage" and c.error_code is None]
            body |= {"texts": texts, "first": min(times, default=0.0), "last": max(times, default=0.0)}
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    port_file.write_text(json.dumps({"api": fake.base_url, "stats": f"http://127.0.0.1:{sock.getsockname()[1]}"}))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    await fake.stop()


# ----------------------------------------------------------------------------------------- a worker process

async def worker_main(url: str, data_dir: Path, fake_url: str, ready_file: Path) -> None:
    import bot.outbox
    import bot.scheduler
    from bot.app import Application
    from bot.core import Core
    from bot.frontends.telegram import TelegramFrontend
    from bot.frontends.telegram_limits import SlidingRateLimiter
    from bot.testing import make_config
    from tests.fakes.telegram_api import DEFAULT_TOKEN

    bot.outbox.POLL_SECONDS = bot.scheduler.POLL_SECONDS = LOOK_SECONDS  # rows queued by the bench found soon
    tables: dict[str, dict[str, Any]] = {"workers": {"lease_seconds": max(LEASE_SECONDS, 5.0)},
                                         "telegram": {"base_url": f"{fake_url}/bot",
                                                      "base_file_url": f"{fake_url}/file/bot"}}
    if url.startswith("postgresql"):
        tables["database"] = {"url": url}
    config = make_config(["ping"], tables, secret_key="scale-bench-secret-key-of-32-chars!!")
    config = dataclasses.replace(config, secrets=dataclasses.replace(config.secrets, telegram_token=DEFAULT_TOKEN))
    # --lease below the config's minimum of 5 s: provokes lapsed leases (the bench's own setting only)
    config = dataclasses.replace(config, workers=dataclasses.replace(config.workers, lease_seconds=LEASE_SECONDS))
    app = Application(config, data_dir, database=None if url.startswith("postgresql") else url)
    app.cogs = [*app.cogs, scale]
    app.core = Core(app, app.cogs)
    unlimited = SlidingRateLimiter(overall_max_rate=1_000_000, group_max_rate=1_000_000)
    frontend = TelegramFrontend(app, rate_limiter=unlimited, poll_timeout=1)
    app.add_frontend(frontend)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.request_stop)
    await app.start()
    journal(app, frontend, data_dir / "journal.jsonl")
    ready_file.write_text(app.worker.id)
    try:
        await app._stopped.wait()
    finally:
        await app.stop()


def journal(app: Any, frontend: Any, path: Path) -> None:
    """Each send (its text, start, end, outcome) and each lease renewal of this worker, one JSON line each (wall
    time, for the bench's report of a duplicate: who sent it when, and whether the sender's lease was kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = path.open("a", buffering=1)
    send, beat = frontend.send, app.worker.beat

    async def logged_send(target: Any, message: Any) -> Any:
        start = time.time()
        outcome = "sent"
        try:
            return await send(target, message)
        except BaseException as error:
            outcome = type(error).__name__ + (f":{error}" if str(error) else "")
            raise
        finally:
            out.write(json.dumps({"send": message.text, "start": start, "end": time.time(), "outcome": outcome})
                      + "\n")

    async def logged_beat() -> int:
        start = time.time()
        held = await beat()
        out.write(json.dumps({"beat": start, "end": time.time(), "held": held}) + "\n")
        return held

    claim = app.outbox.rows.claim

    async def logged_claim(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        rows = await claim(*args, **kwargs)
        out.write(json.dumps({"claim": start, "end": time.time(), "rows": len(rows)}) + "\n")
        return rows

    frontend.send, app.worker.beat, app.outbox.rows.claim = logged_send, logged_beat, logged_claim


def read_journals(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Each worker's journal (by its directory's name)."""
    return {path.parent.name: [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            for path in sorted(run_dir.glob("worker*/journal.jsonl"))}


def explain(run_dir: Path, duplicated: list[str]) -> tuple[int, list[str]]:
    """Sends that failed with a timeout or a network error (their message may have arrived: a retry then sends it
    twice, which no claim can prevent), and for each duplicated text who sent it when, with the sender's
    longest gap between lease renewals up to then."""
    journals = read_journals(run_dir)
    timeouts = sum(1 for entries in journals.values() for e in entries
                   if "send" in e and e["outcome"] != "sent")
    lines = []
    for text in duplicated[:10]:
        for name, entries in journals.items():
            beats = [e["beat"] for e in entries if "beat" in e]
            for e in entries:
                if e.get("send") == text:
                    before = [b for b in beats if b <= e["start"]]
                    gap = max((b - a for a, b in itertools.pairwise(before)), default=0.0)
                    last = e["start"] - before[-1] if before else float("nan")
                    lines.append(f"  {text}: {name} {e['start'] % 1000:.2f}–{e['end'] % 1000:.2f} {e['outcome']};"
                                 f" its last renewal {last:.1f} s before, longest gap {gap:.1f} s")
    for name, entries in journals.items():
        beats = [e["beat"] for e in entries if "beat" in e]
        claims = [e["end"] - e["claim"] for e in entries if "claim" in e and e["rows"]]
        sends = [e["end"] - e["start"] for e in entries if "send" in e]
        empty = sum(1 for e in entries if "claim" in e and not e["rows"])
        lines.append(f"  {name}: {len(sends)} sends, {len(claims)} claims with rows and {empty} without;"
                     f" mean claim {1000 * statistics.fmean(claims or [0.0]):.1f} ms")
        lines.append(f"  {name}: longest gap between lease renewals"
                     f" {max((b - a for a, b in itertools.pairwise(beats)), default=0.0):.2f} s, longest claim"
                     f" {max(claims, default=0.0):.2f} s, longest send {max(sends, default=0.0):.2f} s")
    return timeouts, lines


# ------------------------------------------------------------------------------------------------- the bench

@dataclass
class Result:
    backend: str
    workers: int
    killed: bool
    rate: float  # deliveries per second at the fake
    seconds: float  # from the rows queued to everything delivered
    lost: int
    duplicated: int
    in_flight: int  # rows the killed worker held
    load: float
    timeouts: int = 0  # sends that failed with a timeout or network error (possibly delivered, then retried)
    worker_cpu_ms: float = 0.0  # CPU of the worker processes alive at the end, per delivery
    fake_cpu_ms: float = 0.0  # CPU of the fake Telegram, per delivery


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """User and system CPU a live child process used so far (Linux /proc; 0 once it is gone)."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], stdout=out, stderr=out,
                                cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})


async def wait_for_file(path: Path, proc: subprocess.Popen[bytes], what: str) -> str:
    deadline = time.monotonic() + 120
    while not path.exists() or not path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start (exit {proc.poll()}); see {proc.args}")
        await asyncio.sleep(0.05)
    return path.read_text()


async def fetch_stats(url: str, full: bool = False) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{url}/stats", params={"full": "1"} if full else {}
                                                               ) as response:
        result: dict[str, Any] = await response.json()
        return result


async def seed(url: str, deliveries: int, scheduled: int) -> None:
    """People with Telegram accounts, then in one transaction the deliveries and the due scheduled rows."""
    from storage.db import Database, to_iso
    from storage.outbox import OutboxQueries
    from storage.scheduled import NewScheduled, ScheduledQueries

    recipients = max(1, deliveries // PER_RECIPIENT)
    now = datetime.now(UTC)
    db = await Database.open(url)
    try:
        await db.executemany("INSERT INTO people (id, display_name, locale, created_at) VALUES (?, ?, ?, ?)",
                             [(n + 1, f"M{n}", "fi", to_iso(now)) for n in range(recipients)])
        await db.executemany(
            "INSERT INTO accounts (platform, platform_user_id, person_id, created_at) VALUES (?, ?, ?, ?)",
            [("telegram", str(FIRST_USER + n), n + 1, to_iso(now)) for n in range(recipients)])
        rows = [{"now": now, "person_id": n % recipients + 1, "destination": None, "platform": "telegram",
                 "target_kind": "user", "target_id": str(FIRST_USER + n % recipients), "language": "fi",
                 "body": render_reply(Reply(f"d{n}"), "fi").to_json(), "shows": None, "urgent": True,
                 "dedupe": f"bench:d{n}"} for n in range(deliveries)]
        planned = [NewScheduled("scale_ping", f"bench:s{n}", now - timedelta(seconds=1), {"n": n},
                                n % recipients + 1, now) for n in range(scheduled)]
        async with db.transaction():
            await OutboxQueries(db).add_many(rows)
            if planned:
                await ScheduledQueries(db).plan(planned)
    finally:
        await db.close()


async def held_by(url: str, worker: str) -> int:
    from storage.db import Database

    db = await Database.open(url)
    try:
        outbox = await db.fetchval("SELECT COUNT(*) FROM outbox WHERE claimed_by = ? AND status = 'pending'",
                                   (worker,))
        tasks = await db.fetchval("SELECT COUNT(*) FROM scheduled WHERE claimed_by = ? AND status = 'running'",
                                  (worker,))
        return int(outbox or 0) + int(tasks or 0)
    finally:
        await db.close()


async def new_postgres_database(server_url: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, query = server_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


async def one_run(backend: str, server_url: str, workers: int, killed: bool, deliveries: int, scheduled: int,
                  scratch: Path, number: int) -> Result:
    run_dir = scratch / f"run{number}"
    run_dir.mkdir()
    log = run_dir / "processes.log"
    if backend == "postgresql":
        url = await new_postgres_database(server_url, f"scale{number}")
    else:
        url = str(run_dir / "humako.sqlite3")
    total = deliveries + scheduled
    fake = child("_fake", str(deliveries // PER_RECIPIENT + 1), str(run_dir / "fake.json"), log=log)
    procs: list[subprocess.Popen[bytes]] = [fake]
    try:
        endpoints = json.loads(await wait_for_file(run_dir / "fake.json", fake, "the fake"))
        ids: list[str] = []

        async def start_worker(slot: int) -> str:
            proc = child("_worker", url, str(run_dir / f"worker{slot}"), endpoints["api"],
                         str(run_dir / f"ready{slot}"), log=log)
            procs.append(proc)
            return await wait_for_file(run_dir / f"ready{slot}", proc, f"worker {slot}")

        ids.append(await start_worker(0))  # the first creates the tables; the others start together
        ids += await asyncio.gather(*(start_worker(slot) for slot in range(1, workers)))
        await seed(url, deliveries, scheduled)
        started = time.monotonic()
        in_flight = 0
        deadline = started + GUARD_SECONDS
        kill_done = not killed
        while True:
            received = (await fetch_stats(endpoints["stats"]))["received"]
            if not kill_done and received >= total // 2:
                procs[1].send_signal(signal.SIGKILL)
                procs[1].wait()
                in_flight = await held_by(url, ids[0])
                kill_done = True
                if workers == 1:  # somebody must take over: a new worker, in a slot of its own
                    await start_worker(workers)
            if received >= total and kill_done:
                break
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        seconds = time.monotonic() - started
        await asyncio.sleep(1.0)  # a late duplicate would arrive now
        fake_cpu, workers_cpu = cpu_seconds(procs[0]), sum(cpu_seconds(proc) for proc in procs[1:])
        stats = await fetch_stats(endpoints["stats"], full=True)
        texts: dict[str, int] = stats["texts"]
        expected = {f"d{n}" for n in range(deliveries)} | {f"s{n}" for n in range(scheduled)}
        lost = len(expected - set(texts))
        duplicated = sum(count - 1 for text, count in texts.items() if text in expected and count > 1)
        span = max(stats["last"] - stats["first"], 1e-6)
        timeouts, lines = explain(run_dir, sorted(t for t, c in texts.items() if t in expected and c > 1))
        for line in lines:
            print(line, flush=True)
        arrived = max(1, len(set(texts) & expected))
        return Result(backend, workers, killed, len(set(texts) & expected) / span, seconds, lost, duplicated,
                      in_flight, os.getloadavg()[0], timeouts, 1000 * workers_cpu / arrived, 1000 * fake_cpu / arrived)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


async def bench(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.workers.split(",")]
    plans: list[tuple[str, int, bool]] = [("postgresql", w, False) for w in counts]
    if not args.skip_kill:
        plans += [("postgresql", w, True) for w in counts]
    if not args.skip_sqlite:
        plans.append(("sqlite", 1, False))
    print(f"# bench/scale.py: {args.deliveries:,} deliveries + {args.scheduled:,} scheduled rows, {args.rounds} "
          f"rounds; {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR
        import pgserver
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="humako-scale-", dir=args.profile) as scratch:
        server = pgserver.get_server(Path(scratch) / "pg", cleanup_mode="stop")
        try:
            number = 0
            for round_ in range(1, args.rounds + 1):  # interleaved: each round runs every plan once
                for backend, workers, killed in plans:
                    number += 1
                    result = await one_run(backend, server.get_uri(), workers, killed, args.deliveries,
                                           args.scheduled, Path(scratch), number)
                    results.append(result)
                    print(f"round {round_}: {backend:10} workers={workers} killed={'yes' if killed else 'no ':3} "
                          f"{result.rate:8,.0f} deliveries/s  {result.seconds:6.1f} s  lost={result.lost} "
                          f"duplicated={result.duplicated} in_flight={result.in_flight} send_errors={result.timeouts}  "
                          f"CPU per delivery: workers {result.worker_cpu_ms:.2f} ms, fake {result.fake_cpu_ms:.2f} ms  "
                          f"load={result.load:.2f}", flush=True)
        finally:
            server.cleanup()
            if args.profile:  # the runs' directories outlive the bench: copied out of the temporary one
                shutil.copytree(scratch, args.profile / "runs", dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("pg", "*.sqlite3*"))
    print()
    print("| database | workers | worker killed | deliveries/s median (min–max) | lost | duplicated (max) | "
          "in flight at the kill (max) | duplicated <= in flight, every run | CPU per delivery: workers, fake |"
          " load (median) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for backend, workers, killed in plans:
        mine = [r for r in results if (r.backend, r.workers, r.killed) == (backend, workers, killed)]
        print(f"| {backend} | {workers} | {'yes' if killed else 'no'} | {spread([r.rate for r in mine])} | "
              f"{max(r.lost for r in mine)} | {max(r.duplicated for r in mine)} | "
              f"{max(r.in_flight for r in mine) if killed else '–'} | "
              f"{'yes' if all(r.duplicated <= r.in_flight for r in mine) else 'NO'} | "
              f"{statistics.median(r.worker_cpu_ms for r in mine):.2f} ms, "
              f"{statistics.median(r.fake_cpu_ms for r in mine):.2f} ms | "
              f"{statistics.median(r.load for r in mine):.2f} |")


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_fake":
        asyncio.run(fake_main(int(sys.argv[2]), Path(sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        run = lambda: asyncio.run(worker_main(sys.argv[2], Path(sys.argv[3]), sys.argv[4], Path(sys.argv[5])))  # noqa: E731
        if os.environ.get("SCALE_PROFILE"):  # --profile: each worker's cProfile statistics in its directory
            import cProfile

            cProfile.runctx("run()", globals(), {"run": run}, str(Path(sys.argv[3]) / "profile.out"))
        else:
            run()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 deliveries and 100 scheduled rows")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--scheduled", type=int, default=5_000)
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--profile", type=Path, help="keep each run's directory here, a cProfile of each worker in it")
    parser.add_argument("--lease", type=float, default=LEASE_SECONDS, help="the workers' lease in seconds")
    args = parser.parse_args()
    os.environ["SCALE_LEASE_SECONDS"] = str(args.lease)
    if args.profile:
        os.environ["SCALE_PROFILE"] = "1"
    signal.signal(signal.SIGTERM, _interrupted)  # stopped: the processes and the server are stopped too
    if args.quick:
        args.deliveries, args.scheduled = 400, 100
    asyncio.run(bench(args))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
