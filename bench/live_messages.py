"""Live copies: CPU per copy per change at scale (issue #26), and a burst of RSVPs on a card in two places (#15).

`copies` (the default): one humako-bot with the real Telegram frontend (python-telegram-bot, its limiter as
deployed unless `--rate` says otherwise) against the fake Telegram in a process of its own. A thing has 200
copies in direct chats and another thing 2,000 (languages alternating fi/en); each round changes each thing
once (the order alternating between rounds) and measures the bot process's CPU (time.process_time) from the
change until every copy shows it, counted and checked at the fake. Target (#26): under 2 ms of CPU per copy
per change at 2,000 copies. The CPU is split into the event loop's thread and the database's (aiosqlite runs
SQLite in a thread of its own); one more change of the largest thing, run under cProfile, splits the loop
thread's share between the bot's own code, the HTTP stack (PTB, httpx, httpcore, h11, anyio), the database driver
and asyncio's own scheduling (`--no-split` skips it); the standard library's time (json, sockets, asyncio's
sleep) counts for the part that called it. The shares are of cProfile's wall-clock time less the event loop's
waits in epoll (a CPU clock per call costs a system call each, which swamps the figures), so time the machine's
other jobs or the database thread take while the loop runs is spread over whatever runs then: indicative.

    .venv/bin/python bench/live_messages.py [copies] [--sizes 200 2000] [--rounds 3] [--rate 30] [--quick]
        [--no-split] [--profile-file PATH]

At the deployed 30 edits/s a run takes about 5 minutes (2,000 copies take 67 s per change); `--quick` (200 and
1,000 copies at 300/s, about a minute) shows the same split, at a lower CPU per copy (fewer wake-ups per edit).

`burst`:

One humako-bot runs the real Telegram frontend (python-telegram-bot) and the real Discord frontend (discord.py)
against the local fakes. An event is announced to `announcements`, which maps to a Telegram group and a Discord
channel. Then 200 different people press RSVP buttons within 10 seconds, alternating platforms (half on each
copy), and the core keeps both copies current with coalesced edits (`bot.live_edit_seconds`, default 3 s).

Per round and copy it reports the edits sent and the time from the last press to the last edit; over all
presses, the time until a press is visible on the other platform's copy (the end of the first edit that began
after the press was answered). Each round checks the final counts on both copies and in the database.

    .venv/bin/python bench/live_messages.py burst [--presses 200] [--seconds 10] [--rounds 3] [--interval 3]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import logging
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fake_process import FakeProcess
from bot.app import Application, freeze_startup_objects
from bot.commands import Button, Cog, Reply
from bot.frontends.base import Sent
from bot.frontends.telegram import TelegramFrontend
from bot.frontends.telegram_limits import SlidingRateLimiter
from bot.live import LiveMessages
from bot.testing import make_config
from tests.fakes.telegram_api import FakeTelegram
from tests.test_live_cross_platform import TwoPlatforms

ANSWERS = ("yes", "yes", "maybe", "no")  # the mix of answers, in turn


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def one_round(rig: TwoPlatforms, number: int, presses: int, seconds: float) -> dict[str, object]:
    title = f"Benchkokous{number}"
    tg_card, dc_card = await rig.announce(title)
    tg_key = ("telegram", str(rig.tg_group), str(tg_card.message_id))
    dc_key = ("discord", str(rig.dc_channel), str(dc_card["id"]))
    tg_people = [rig.tg_user(f"R{number}T{i}") for i in range(presses // 2 + 1)]
    dc_people = [rig.dc_user(f"R{number}D{i}") for i in range(presses // 2 + 1)]
    gap = seconds / presses
    answered: list[tuple[str, float]] = []  # (platform pressed on, monotonic time the press was answered)
    tg_queries: list[str] = []
    discord_tasks: list[asyncio.Task[None]] = []

    async def discord_press(user_id: int, answer: str) -> None:
        began = time.monotonic()
        took = await rig.dc_press(user_id, int(dc_card["id"]), answer)
        answered.append(("discord", began + took))

    started = time.monotonic()
    for i in range(presses):
        answer = ANSWERS[i % len(ANSWERS)]
        if i % 2 == 0:
            tg_queries.append(rig.tg_press(tg_people[i // 2], tg_card, answer).query_id)
        else:
            discord_tasks.append(asyncio.create_task(discord_press(dc_people[i // 2], answer)))
        await asyncio.sleep(max(0.0, started + (i + 1) * gap - time.monotonic()))
    await asyncio.gather(*discord_tasks)
    await rig.settle()
    wanted = set(tg_queries)
    answered += [("telegram", c.time) for c in rig.tg.calls_of("answerCallbackQuery")
                 if c.params.get("callback_query_id") in wanted and c.ok]
    assert len(answered) == presses, f"{len(answered)} of {presses} presses answered"
    last_press = max(at for _platform, at in answered)

    expected = Counter(ANSWERS[i % len(ANSWERS)] for i in range(presses))
    final = f"Tulossa {expected['yes']} · Ehkä {expected['maybe']}"
    event_id = int(tg_card.callback_data()[0].split(":")[2]) if tg_card.callback_data() else 0
    counts = await rig.app.db.fetchall("SELECT answer, COUNT(*) AS n FROM event_rsvps WHERE event_id = ?"
                                       " GROUP BY answer", (event_id,))
    stored = {r["answer"]: r["n"] for r in counts}
    checked = (final in (tg_card.text or "") and final in rig.dc_text(dc_card["id"])
               and stored == {k: v for k, v in expected.items() if v})

    # A press is visible on the other platform's copy when the first edit that began after it ends.
    other = {"telegram": dc_key, "discord": tg_key}
    visible = []
    for pressed_on, at in answered:
        ends = [end for began, end in rig.edits.spans.get(other[pressed_on], []) if began >= at]
        if ends:
            visible.append(min(ends) - at)
    return {
        "duration": last_press - started,
        "edits": {"telegram": len(rig.edits.spans.get(tg_key, [])), "discord": len(rig.edits.spans.get(dc_key, []))},
        "last_to_last": {"telegram": rig.edits.times[tg_key][-1] - last_press,
                         "discord": rig.edits.times[dc_key][-1] - last_press},
        "visible": visible,
        "checked": checked,
        "final": final,
        "stored": stored,
    }


async def burst(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)  # no voice support: not our concern here

    print(f"live_messages: {args.presses} RSVPs in {args.seconds:g} s, live_edit_seconds={args.interval:g},"
          f" {args.rounds} rounds; Python {platform.python_version()}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg:
            rig = await TwoPlatforms.start(Path(tmp), tg, live_edit_seconds=args.interval)
            try:
                for number in range(1, args.rounds + 1):
                    result = await one_round(rig, number, args.presses, args.seconds)
                    results.append(result)
                    edits, last = result["edits"], result["last_to_last"]
                    print(f"round {number}: presses over {result['duration']:.2f} s;"
                          f" edits telegram {edits['telegram']}, discord {edits['discord']};"  # type: ignore[index]
                          f" last press -> last edit telegram {last['telegram']:.2f} s,"  # type: ignore[index]
                          f" discord {last['discord']:.2f} s;"  # type: ignore[index]
                          f" final '{result['final']}' on both copies and {result['stored']} stored:"
                          f" {'ok' if result['checked'] else 'WRONG'}")
            finally:
                await rig.stop()

    for name in ("telegram", "discord"):
        lasts = [r["last_to_last"][name] for r in results]  # type: ignore[index]
        edits = [r["edits"][name] for r in results]  # type: ignore[index]
        print(f"{name:8} copy: edits per round {edits} (mean {statistics.mean(edits):.1f});"
              f" last press -> last edit p50 {percentile(lasts, 0.5):.2f} s, p99 {percentile(lasts, 0.99):.2f} s")
    visible = [v for r in results for v in r["visible"]]  # type: ignore[attr-defined]
    print(f"a press visible on the other platform's copy: p50 {percentile(visible, 0.5):.2f} s,"
          f" p99 {percentile(visible, 0.99):.2f} s (n={len(visible)})")
    ok = all(r["checked"] for r in results)
    print("final counts:", "correct on both copies in every round" if ok else "WRONG")
    return 0 if ok else 1


VERSION: dict[int, int] = {}  # the copies bench: each thing's current version (its id is its copy count)
card_cog = Cog("livebench", "Live bench")


@card_cog.view("card")
async def card(_ctx: object, size: int) -> Reply:
    return Reply(f"Card {size} version {VERSION[size]}", title="Benchkokous",
                 fields=[("Tulossa", str(VERSION[size]))], buttons=[Button("Tulen", "livebench:yes:1")])


async def start_bot(fake: FakeProcess, data: Path, rate: int, most: int) -> Application:
    """humako-bot with the real Telegram frontend on the fake; deployed settings but for the limiter's rate."""
    config = make_config(cogs=["ping"], live_dm_copies=most, live_edit_seconds=3.0)
    config = dataclasses.replace(
        config, telegram=dataclasses.replace(config.telegram, base_url=f"{fake.base_url}/bot",
                                             base_file_url=f"{fake.base_url}/file/bot"),
        secrets=dataclasses.replace(config.secrets, telegram_token=fake.token))
    app = Application(config, data)
    app.core.views["card"] = card_cog.views["card"]  # a bench-only view, as the cogs declare theirs
    app.add_frontend(TelegramFrontend(app, poll_timeout=1, rate_limiter=SlidingRateLimiter(overall_max_rate=rate)))
    await app.start()
    freeze_startup_objects()  # as `run` does
    return app


@dataclasses.dataclass
class Change:
    """What one change of a thing cost the bot process, per copy, in ms of CPU."""

    total: float
    loop: float  # the event loop's thread (the bot's code, PTB, HTTP, asyncio)
    kernel: float  # of the total, in the kernel (loopback sends)
    collector: float  # of the total, in Python's cyclic garbage collector
    split: dict[str, float] | None = None  # the loop thread's share per part (under cProfile)


ROOT = str(Path(__file__).resolve().parent.parent)
PARTS = (  # (name, how a profiled function's file is recognised), first match wins
    ("bot: live edits (bot/live.py)", lambda f: f.endswith("/bot/live.py")),
    ("bot: Telegram frontend and limiter", lambda f: "/bot/frontends/telegram" in f),
    ("bot: rest (core, storage, the view)", lambda f: f.startswith(ROOT) and "/site-packages/" not in f),
    ("HTTP: PTB (telegram/)", lambda f: "/site-packages/telegram/" in f),
    ("HTTP: httpx, httpcore, h11, anyio", lambda f: any(f"/site-packages/{p}/" in f for p in
                                                         ("httpx", "httpcore", "h11", "anyio", "sniffio"))),
    ("database driver (aiosqlite, asyncpg)", lambda f: any(f"/site-packages/{p}/" in f for p in
                                                            ("aiosqlite", "asyncpg"))),
    ("asyncio's event loop (scheduling)", lambda f: True),
)


class CollectorTime:
    """The CPU Python's cyclic garbage collector takes while counting (gc.callbacks around each collection)."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.collections = 0
        self._began = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            self.spent += time.thread_time() - self._began
            self.collections += 1

    def __enter__(self) -> CollectorTime:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self)


def part_of(filename: str) -> str | None:
    """The part a file's code belongs to; None for the standard library and C functions (whose callers decide)."""
    if filename == "~" or ("/site-packages/" not in filename and not filename.startswith(ROOT)):
        return None
    return next(name for name, match in PARTS if match(filename))


LOOP = PARTS[-1][0]
IDLE = "<method 'poll' of 'select.epoll' objects>"  # the loop waiting for a socket or a timer


def split_profile(stats: pstats.Stats) -> dict[str, float]:
    """Each part's share of the profiled time: a function's own time goes to its file's part; the standard
    library's and C functions' (a socket send, json, asyncio's sleep) to their callers' parts, up the call graph in
    proportion to each caller's share of the calls' time, until code of a part calls them; what only the event
    loop calls (its own scheduling) is asyncio's."""
    table = stats.stats  # type: ignore[attr-defined]
    shares: dict[Any, dict[str, float]] = {}

    def share(func: Any, depth: int) -> dict[str, float]:
        if func in shares:
            return shares[func]
        shares[func] = {LOOP: 1.0}  # a cycle, or too deep: the event loop's
        callers = table[func][4]
        weights = {caller: edge[3] for caller, edge in callers.items() if caller in table}
        total = sum(weights.values())
        if depth > 12 or not total:
            return shares[func]
        mixed: dict[str, float] = defaultdict(float)
        for caller, weight in weights.items():
            part = part_of(caller[0])
            for name, fraction in ({part: 1.0} if part else share(caller, depth + 1)).items():
                mixed[name] += fraction * weight / total
        shares[func] = dict(mixed)
        return shares[func]

    spent: dict[str, float] = defaultdict(float)
    for func, (_cc, _nc, own, _cum, _callers) in table.items():
        if func[2] == IDLE:
            continue
        part = part_of(func[0])
        for name, fraction in ({part: 1.0} if part else share(func, 0)).items():
            spent[name] += own * fraction
    total = sum(spent.values()) or 1.0
    return {name: spent[name] / total for name, _match in PARTS}


async def one_change(app: Application, fake: FakeProcess, size: int, first: int, profile: str | None,
                     split: bool = False, dump: str | None = None) -> Change:
    """Change the thing with `size` copies once; the bot's CPU until every copy shows it (checked at the fake)."""
    idle_began = time.process_time()
    await asyncio.sleep(3.1)  # past each copy's live_edit_seconds since its last edit
    idle = (time.process_time() - idle_began) / 3.1
    edits_before = await fake.call("calls", "editMessageText")
    VERSION[size] += 1
    profiler = cProfile.Profile() if profile or split else None
    began, loop_began, times = time.process_time(), time.thread_time(), os.times()
    if profiler is not None:
        profiler.enable()
    with CollectorTime() as collector:
        await app.live.changed("card", size)
        await app.live.settle()
    if profiler is not None:
        profiler.disable()
    spent, loop, after = time.process_time() - began, time.thread_time() - loop_began, os.times()
    if profile and profiler is not None:
        pstats.Stats(profiler).sort_stats(profile).print_stats(40)
    if dump and profiler is not None:
        profiler.dump_stats(dump)
    edits = await fake.call("calls", "editMessageText") - edits_before
    shown = await fake.call("showing", first, size, f"Card {size} version {VERSION[size]}")
    kernel = (after.system - times.system) / size * 1000  # the kernel's share (loopback sends)
    verdict = "ok" if shown == size == edits else "WRONG"
    print(f"{size:5} copies: {spent:6.2f} s CPU, {spent / size * 1000:5.2f} ms per copy ({kernel:.2f} in the kernel,"
          f" {(spent - loop) / size * 1000:.2f} in the database thread, {collector.spent / size * 1000:.2f} in"
          f" {collector.collections} garbage collections){' under cProfile' if profiler else ''};"
          f" {edits} edits, {shown} copies show it: {verdict}; idle {idle * 1000:.1f} ms CPU/s;"
          f" load {os.getloadavg()[0]:.2f}")
    if verdict != "ok":
        raise SystemExit(1)
    return Change(spent / size * 1000, loop / size * 1000, kernel, collector.spent / size * 1000,
                  split_profile(pstats.Stats(profiler)) if split and profiler is not None else None)


def print_split(changes: list[Change], shares: dict[str, float]) -> None:
    """The median change's CPU per copy, its loop thread's part split by the profiled change's shares."""
    total = statistics.median(c.total for c in changes)
    loop = statistics.median(c.loop for c in changes)
    print(f"where the CPU goes (median change {total:.2f} ms per copy: database thread {total - loop:.2f} ms,"
          f" event loop thread {loop:.2f} ms split by the profiled change's shares):")
    for name, share in shares.items():
        print(f"  {name:40} {share * loop:5.2f} ms per copy ({share:6.1%} of the loop thread)")
    own = sum(share for name, share in shares.items() if name.startswith("bot:"))
    http = sum(share for name, share in shares.items() if name.startswith("HTTP:"))
    print(f"  the bot's own code {own * loop:.2f} ms per copy; the HTTP stack (PTB and below) {http * loop:.2f} ms;"
          f" the database {(shares[PARTS[5][0]]) * loop + total - loop:.2f} ms (driver and thread);"
          f" load {os.getloadavg()[0]:.2f}")


async def copies(args: argparse.Namespace) -> int:
    """CPU per copy per change, at each size, in interleaved rounds."""
    logging.basicConfig(level=logging.WARNING)
    sizes = [200, 1000] if args.quick and args.sizes is None else (args.sizes or [200, 2000])
    if args.in_flight is not None:
        LiveMessages.concurrency = args.in_flight
    rate = args.rate if args.rate is not None else (300 if args.quick else 30)
    print(f"live_messages copies: sizes {sizes}, {args.rounds} rounds, Telegram limiter {rate}/s"
          f"{' (as deployed)' if rate == 30 else ''}, live edits {LiveMessages.concurrency} in flight;"
          f" Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    cpu: dict[int, list[Change]] = {size: [] for size in sizes}
    shares: dict[str, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeProcess("telegram") as fake:
            app = await start_bot(fake, Path(tmp), rate, max(sizes))
            try:
                first, user = {}, 10_000_000
                for size in sizes:  # the copies: a message in each person's direct chat, remembered as live
                    VERSION[size], first[size] = 0, user
                    ids = await fake.call("seed", user, size, f"Card {size} version 0")
                    for offset, message_id in enumerate(ids):
                        await app.live.remember(("card", size), "telegram", Sent(str(user + offset), str(message_id)),
                                                ("fi", "en")[offset % 2], None, direct=True)
                    user += size
                for number in range(1, args.rounds + 1):
                    print(f"round {number}:")
                    for size in sizes if number % 2 else list(reversed(sizes)):
                        last = number == args.rounds
                        cpu[size].append(await one_change(app, fake, size, first[size], args.profile if last else None))
                if not args.no_split:
                    print("one more change, under cProfile:")
                    shares = (await one_change(app, fake, max(sizes), first[max(sizes)], None, split=True,
                                               dump=args.profile_file)).split
            finally:
                await app.stop()
    for size in sizes:
        values = [c.total for c in cpu[size]]
        loop = [c.loop for c in cpu[size]]
        print(f"{size:5} copies: CPU per copy per change median {statistics.median(values):.2f} ms"
              f" (min {min(values):.2f}, max {max(values):.2f}, n={len(values)}); of it the event loop's thread"
              f" {statistics.median(loop):.2f} ms")
    if shares is not None:
        print_split(cpu[max(sizes)], shares)
    worst = statistics.median(c.total for c in cpu[max(sizes)])
    print(f"target (#26): under 2 ms per copy at 2,000 copies: {'OK' if worst < 2 else 'MISSED'} at {max(sizes)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode")
    scale = sub.add_parser("copies", help="CPU per copy per change (default)")
    scale.add_argument("--sizes", type=int, nargs="+", default=None, help="copies per thing (200 2000)")
    scale.add_argument("--rounds", type=int, default=3)
    scale.add_argument("--rate", type=int, default=None, help="Telegram messages/s (30 as deployed)")
    scale.add_argument("--quick", action="store_true", help="200 and 1,000 copies at 300/s")
    scale.add_argument("--in-flight", type=int, default=None, help="live edits in flight (default: as deployed)")
    scale.add_argument("--profile", metavar="SORT", help="cProfile each change of the last round (tottime, cumulative)")
    scale.add_argument("--no-split", action="store_true", help="skip the profiled change that splits the CPU")
    scale.add_argument("--profile-file", metavar="PATH", help="save the profiled change's pstats there")
    press = sub.add_parser("burst", help="200 RSVPs in 10 s on a card posted in two places")
    press.add_argument("--presses", type=int, default=200)
    press.add_argument("--seconds", type=float, default=10.0)
    press.add_argument("--rounds", type=int, default=3)
    press.add_argument("--interval", type=float, default=3.0, help="bot.live_edit_seconds (default as deployed)")
    args = parser.parse_args(sys.argv[1:] or ["copies"])
    return asyncio.run(burst(args) if args.mode == "burst" else copies(args))


if __name__ == "__main__":
    sys.exit(main())
