"""The real bot as a separate process (`python -m bot run`) against the fake Telegram Bot API running in this
process, and what the fake received: shared by tests/reliability/ and bench/reliability.py."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cogs.events.common import MIGRATIONS as EVENT_MIGRATIONS
from cogs.events.storage import EventQueries
from storage.db import Database
from storage.outbox import iso
from storage.people import PeopleQueries
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
FIRST_USER = 7_000_000  # Telegram user ids of the seeded members: FIRST_USER + 0 .. n - 1
HANG_GUARD = 30.0  # a process that has not exited by then is hanging (not a timing assertion)


def write_config(directory: Path, base_url: str, **outbox: object) -> Path:
    """The example config with Telegram pointed at `base_url` (and [outbox] settings, if given)."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('base_url = ""', f'base_url = "{base_url}"', 1)
    text = text.replace("[web]\nenabled = true", "[web]\nenabled = false", 1)  # no fixed port 8080 in tests
    for key, value in outbox.items():
        text = text.replace("[outbox]\n", f"[outbox]\n{key} = {value}\n", 1)
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def seed(data_dir: Path, members: int, hours: tuple[int, ...] = (1,)) -> int:
    """`members` people on Telegram going to an event that starts in an hour, and its reminders (`hours`
    before) due now, in that order: each one scheduled row that fans out to all of them. Returns the event
    id."""
    now = datetime.now(UTC)
    db = await Database.open(data_dir / "humako.sqlite3")
    try:
        await db.migrate(EVENT_MIGRATIONS, component="event")  # the events cog's own tables
        people = PeopleQueries(db)
        ids = [(await people.get_or_create("telegram", FIRST_USER + n, f"Member {n}", "fi")).id
               for n in range(members)]
        events = EventQueries(db)
        start = now + timedelta(hours=1)
        event_id = await events.create(
            title="Vuosikokous", description="Tervetuloa", starts_at=start, ends_at=start + timedelta(hours=2),
            campus="helsinki", link=None, capacity=None, language="fi", repeat_weeks=0, repeat_until=None,
            timezone="Europe/Helsinki", series_end_at=start + timedelta(hours=2), organiser_id=ids[0], now=now)
        for person_id in ids:
            await events.answer(event_id, person_id, "yes", None, now)
        for order, hour in enumerate(hours):
            due = now - timedelta(seconds=len(hours) - order)
            await db.execute(
                "INSERT INTO scheduled (task, key, due_at, payload, status, created_at)"
                " VALUES ('ev_reminder', ?, ?, ?, 'pending', ?)",
                (f"ev:{event_id}:rem:{hour}:0", iso(due),
                 json.dumps({"event": event_id, "occurrence": 0, "hours": hour}), iso(now)))
    finally:
        await db.close()
    return event_id


def bot_env(token: str | None = DEFAULT_TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "TELEGRAM_TOKEN")}
    if token is not None:
        env["TELEGRAM_TOKEN"] = token
        env.setdefault("HUMAKO_SECRET_KEY", "reliability-test-secret-key-of-32-chars!")  # run with a token needs it
    return env


class BotProcess:
    """`python -m bot run` with a config and a data directory; its log goes to data_dir/bot-N.log."""

    runs = 0

    def __init__(self, config: Path, data_dir: Path, *args: str) -> None:
        self.config, self.data_dir, self.args = config, data_dir, args
        self.proc: asyncio.subprocess.Process | None = None
        BotProcess.runs += 1
        self.log_path = data_dir / f"bot-{BotProcess.runs}.log"

    async def start(self, command: str = "run", stdin: bytes | None = None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", command, "--config", str(self.config), "--data", str(self.data_dir),
                *self.args, stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=log, stderr=log, cwd=ROOT, env=bot_env())
        if stdin is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()

    async def exit_code(self, guard: float = HANG_GUARD) -> int:
        """Wait for the process to end; fail if it hangs past the guard."""
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), guard)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"the bot did not exit within {guard} s:\n{self.log()}") from None

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class Observer:
    """Reads the bot's database read-only (WAL lets it while the bot writes) to pick kill moments."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "humako.sqlite3"

    def value(self, sql: str) -> int:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0] or 0)
        finally:
            conn.close()

    def queued(self) -> int:
        return self.value("SELECT COUNT(*) FROM outbox WHERE person_id IS NOT NULL")

    def pending(self) -> int:
        return self.value("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")

    def unsent_users(self) -> set[int]:
        """Telegram ids whose DM row is not marked sent (read after a kill: what was in flight is here)."""
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("SELECT target_id FROM outbox WHERE person_id IS NOT NULL AND status <> 'sent'")
            return {int(r[0]) for r in rows}
        finally:
            conn.close()


def received(fake: FakeTelegram, members: int) -> Counter[int]:
    """How many bot messages each seeded member got."""
    counts: Counter[int] = Counter()
    for user in range(FIRST_USER, FIRST_USER + members):
        counts[user] = sum(1 for m in fake.messages.get(user, []) if m.from_bot)
    return counts


async def wait_until(condition: object, guard: float = 120.0, step: float = 0.005) -> None:
    """Poll `condition()` until true; fail after the guard (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + guard
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {guard} s")
        await asyncio.sleep(step)


async def finish(config: Path, data_dir: Path, fake: FakeTelegram, members: int, guard: float = 120.0
                 ) -> BotProcess:
    """Restart the bot, let it deliver everything, stop it with SIGTERM (exit 0)."""
    bot = BotProcess(config, data_dir)
    await bot.start()
    observer = Observer(data_dir)
    await wait_until(lambda: all(received(fake, members).values()) and _settled(observer), guard)
    bot.signal(signal.SIGTERM)
    assert await bot.exit_code() == 0, bot.log()
    return bot


def _settled(observer: Observer) -> bool:
    try:
        return observer.pending() == 0 and observer.value(
            "SELECT COUNT(*) FROM scheduled WHERE task = 'ev_reminder' AND status <> 'done'") == 0
    except sqlite3.OperationalError:  # the bot is migrating or busy: look again
        return False


def lost_and_duplicated(fake: FakeTelegram, members: int) -> tuple[list[int], list[int]]:
    counts = received(fake, members)
    return ([u for u, n in counts.items() if n == 0], [u for u, n in counts.items() if n > 1])
