"""Lost and duplicated reminders when the bot is killed or stopped in the middle of a fan-out (issue #18).

The real bot runs as its own process (`python -m bot run`) against the fake Telegram Bot API in this process.
The database is seeded with N members going to an event, and the event's reminder due now: one scheduled row
that fans out to all N (queued in batches of 200), then sent at Telegram's 30 messages/s.

- kill -9 at five moments: during the fan-out (after 200 and after 1,400 rows queued) and during the sending
  (after 1, N/4 and 3N/4 messages arrived); then a restart, and everything is counted at the fake.
- SIGTERM during the fan-out and during the sending: exit code, restart, count.
- Platform errors: the fake answers 500 to a share of sendMessage calls for a while (default 50% for 60 s),
  then recovers; two reminders per member (24 h and 1 h): delivered, given up, duplicated, out of order.
- Database locked: once the first reminder's fan-out is under way, another process holds the database with
  BEGIN EXCLUSIVE for 30 s (--lock-seconds) while a newcomer sends /ping three times; what they were told and
  how long it took, then everything counted after the lock is gone (the same process, no restart).

"In flight" is a message that reached Telegram while its row was not yet recorded as sent: the only kind a
kill may send twice.

    .venv/bin/python bench/reliability.py [--members 2000] [--error-share 0.5] [--error-seconds 60]
                                          [--error-code 500|429] [--skip-kills] [--skip-errors]
                                          [--lock-seconds 30] [--skip-lock]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.telegram_api import FakeTelegram
from tests.reliability.procs import (
    FIRST_USER,
    BotProcess,
    Observer,
    finish,
    lost_and_duplicated,
    received,
    seed,
    wait_until,
    write_config,
)


def queued_at_least(observer: Observer, rows: int) -> Callable[[], bool]:
    def moment() -> bool:
        try:
            return observer.queued() >= rows
        except Exception:  # tables not created yet
            return False
    return moment


async def one_run(members: int, sig: signal.Signals, kind: str, at: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        await seed(data, members)
        async with FakeTelegram() as fake:
            config = write_config(root, fake.bot_api_url)
            observer = Observer(data)
            bot = BotProcess(config, data)
            await bot.start()
            if kind == "queued":
                await wait_until(queued_at_least(observer, at), guard=300, step=0.001)
            else:
                await wait_until(lambda: sum(received(fake, members).values()) >= at, guard=300)
            signalled = time.monotonic()
            bot.signal(sig)
            code = await bot.exit_code(guard=60)
            stop_seconds = time.monotonic() - signalled
            got = {user for user, count in received(fake, members).items() if count}
            queued = observer.queued()
            in_flight = observer.unsent_users() & got
            await finish(config, data, fake, members, guard=600)
            lost, duplicated = lost_and_duplicated(fake, members)
    return {"signal": sig.name, "moment": f"{at} {'queued' if kind == 'queued' else 'received'}",
            "exit": code, "stop_s": stop_seconds, "queued_at_stop": queued, "received_at_stop": len(got),
            "in_flight": len(in_flight), "lost": len(lost), "duplicated": len(duplicated),
            "duplicates_were_in_flight": set(duplicated) <= in_flight}


async def errors_run(members: int, share: float, seconds: float, code: int) -> dict[str, object]:
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        await seed(data, members, hours=(24, 1))
        async with FakeTelegram() as fake:
            failing = {"on": True}
            description = "Too Many Requests: retry after 1" if code == 429 else "Internal Server Error: restart"
            fake.fail_next("sendMessage", code, description, retry_after=1 if code == 429 else None, times=10**9,
                           predicate=lambda call: failing["on"] and rng.random() < share)
            config = write_config(root, fake.bot_api_url)
            bot = BotProcess(config, data)
            await bot.start()
            await asyncio.sleep(seconds)
            failing["on"] = False
            observer = Observer(data)
            recovered = time.monotonic()
            await wait_until(lambda: observer.pending() == 0, guard=900, step=0.5)
            drained = time.monotonic() - recovered
            failed = observer.value("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            bot.signal(signal.SIGTERM)
            await bot.exit_code(guard=60)
            errors = sum(1 for c in fake.calls_of("sendMessage") if c.error_code == code)
            out_of_order = 0
            complete = 0
            for user in range(FIRST_USER, FIRST_USER + members):
                texts = [m.text or "" for m in fake.messages.get(user, []) if m.from_bot]
                if len(texts) == 2:
                    complete += 1
                    out_of_order += "24 tuntia" not in texts[0]
            counts = received(fake, members)
    return {"code": code, "share": share, "seconds": seconds, "messages": 2 * members,
            "delivered": sum(counts.values()), "members_with_both": complete, "given_up": failed,
            "duplicated": sum(max(0, n - 2) for n in counts.values()),
            "out_of_order": out_of_order, "errors_answered": errors, "drain_after_recovery_s": drained}


async def locked_run(members: int, seconds: float) -> dict[str, object]:
    newcomer_id = 9_100_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        await seed(data, members, hours=(24, 1))
        async with FakeTelegram() as fake:
            bot = BotProcess(write_config(root, fake.bot_api_url), data)
            await bot.start()
            observer = Observer(data)
            await wait_until(queued_at_least(observer, 1), step=0.001)
            lock = sqlite3.connect(data / "humako.sqlite3", timeout=60, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            locked_at = time.monotonic()
            newcomer = fake.user(newcomer_id, "Uusi", "fi")

            def answers() -> list[str]:
                return [m.text or "" for m in fake.messages.get(newcomer_id, []) if m.from_bot]

            waits: list[float] = []
            for n in range(3):  # at the start, a third and two thirds into the lock
                await asyncio.sleep(max(0.0, locked_at + n * seconds / 3 - time.monotonic()))
                asked = time.monotonic()
                fake.send_text(newcomer, "/ping")
                await wait_until(lambda n=n: len(answers()) > n, guard=seconds + 60)
                waits.append(time.monotonic() - asked)
            sent_during = len(fake.calls_of("sendMessage"))
            await asyncio.sleep(max(0.0, locked_at + seconds - time.monotonic()))
            lock.execute("COMMIT")
            lock.close()
            released = time.monotonic()
            await wait_until(lambda: observer.queued() == 2 * members and observer.pending() == 0, guard=900,
                             step=0.2)
            drained = time.monotonic() - released
            fake.send_text(newcomer, "/ping")
            await wait_until(lambda: len(answers()) == 4, guard=60)
            bot.signal(signal.SIGTERM)
            await bot.exit_code(guard=60)
            counts = received(fake, members)
            told = answers()
    return {"seconds": seconds, "messages": 2 * members, "delivered": sum(counts.values()),
            "lost": sum(1 for n in counts.values() if n < 2), "duplicated": sum(max(0, n - 2) for n in counts.values()),
            "busy_answers": sum("kiire" in t for t in told[:3]), "answer_s": waits, "drain_s": drained,
            "sent_while_locked": sent_during, "after": "kiire" not in told[3]}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--error-share", type=float, default=0.5)
    parser.add_argument("--error-seconds", type=float, default=60.0)
    parser.add_argument("--skip-errors", action="store_true")
    parser.add_argument("--skip-kills", action="store_true")
    parser.add_argument("--error-code", type=int, choices=(500, 429), default=500)
    parser.add_argument("--lock-seconds", type=float, default=30.0)
    parser.add_argument("--skip-lock", action="store_true")
    args = parser.parse_args()
    n = args.members
    print(f"python {platform.python_version()}, {platform.machine()}, members {n}, "
          f"errors {args.error_share:.0%} for {args.error_seconds:g} s")
    plan = [(signal.SIGKILL, "queued", min(200, n // 2)), (signal.SIGKILL, "queued", min(1400, n * 7 // 10)),
            (signal.SIGKILL, "received", 1), (signal.SIGKILL, "received", n // 4),
            (signal.SIGKILL, "received", n * 3 // 4),
            (signal.SIGTERM, "queued", min(1000, n // 2)), (signal.SIGTERM, "received", n // 2)]
    if not args.skip_kills:
        print("| signal | moment | exit | stop s | queued | received | in flight | lost | duplicated"
              " | dup ⊆ in flight |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for sig, kind, at in [] if args.skip_kills else plan:
        r = await one_run(n, sig, kind, at)
        print(f"| {r['signal']} | {r['moment']} | {r['exit']} | {r['stop_s']:.2f} | {r['queued_at_stop']} | "
              f"{r['received_at_stop']} | {r['in_flight']} | {r['lost']} | {r['duplicated']} | "
              f"{r['duplicates_were_in_flight']} |", flush=True)
    if not args.skip_errors:
        r = await errors_run(n, args.error_share, args.error_seconds, args.error_code)
        print(f"\nplatform errors: {r['share']:.0%} of sendMessage answered {r['code']} for {r['seconds']:g} s "
              f"({r['errors_answered']} errors), then recovered")
        print(f"  messages {r['messages']}, delivered {r['delivered']}, members with both "
              f"{r['members_with_both']}/{n}, given up {r['given_up']}, duplicated {r['duplicated']}, "
              f"out of order {r['out_of_order']}, outbox empty {r['drain_after_recovery_s']:.1f} s after recovery")
    if not args.skip_lock:
        r = await locked_run(n, args.lock_seconds)
        waits = r["answer_s"]
        assert isinstance(waits, list)
        print(f"\ndatabase locked (BEGIN EXCLUSIVE in another process) for {r['seconds']:g} s during the fan-out:")
        spread = ", ".join(f"{w:.1f}" for w in waits)
        print(f"  a newcomer's 3 /ping: {r['busy_answers']}/3 answered 'busy', in {spread} s "
              f"(median {statistics.median(waits):.1f} s); answered normally after: {r['after']}")
        print(f"  messages {r['messages']}, delivered {r['delivered']}, members missing one {r['lost']}, duplicated "
              f"{r['duplicated']}; sends before the lock's end {r['sent_while_locked']}; outbox empty "
              f"{r['drain_s']:.1f} s after the lock ended (no restart)")


if __name__ == "__main__":
    asyncio.run(main())
