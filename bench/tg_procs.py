"""Processes for the Telegram benches: the fake Bot API in a process of its own, each bot in another.

    python bench/tg_procs.py fake                  # prints {"api": ..., "control": ...}, serves until stdin closes
    python bench/tg_procs.py bot --kind K --api URL  # prints READY; reads "broadcast" / "profile" / "stop" lines

The fake counts and checks every reply itself (its control API), and stamps times with its own clock, so a
bot's figures never depend on the bot reporting on itself. Kinds of bot: `bare` (python-telegram-bot alone,
the same replies as ours), `bare-aio` (the same with PTB's AIORateLimiter), `humako` (as deployed: its
limiter at Telegram's limits, the example config's command rate) and `humako-nolimit` (its limiter off). A
bare bot's request layer is PTB's httpx or the bot's aiohttp (`--http`). With `--profile FILE` the line
"profile" starts cProfile, and the stats go to FILE when the bot stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import gc
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web

PING_REPLY = "Pong!"  # to /ping, and the toast of a press (the press's edit is tried too, but a card pressed
PRESSED_PREFIX = "Pong ×"  # twice with the same data is "not modified" for every bot: the toast is counted)


# ------------------------------------------------------------------------------------------ the fake

class Control:
    """The fake's control API: load to queue, replies counted and checked as they arrive."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.users: dict[int, Any] = {}
        self.expected: dict[int, Counter[tuple[str, str]]] = {}  # chat id -> (method, text) still expected
        self.queries: dict[str, int] = {}  # callback query id -> the chat of its card
        self.scanned = 0  # calls already looked at
        self.matched = self.bad = 0
        self.started = self.last = 0.0
        self.asked: dict[int, float] = {}  # ping user -> when the update was queued
        self.answered: dict[int, float] = {}
        self._pinger: asyncio.Task[None] | None = None

    def routes(self) -> web.Application:
        app = web.Application()
        for name in ("reset", "warmup", "load", "progress", "pings", "latencies"):
            app.router.add_post(f"/{name}", self._wrap(getattr(self, name)))
        return app

    @staticmethod
    def _wrap(handler: Any) -> Any:
        async def route(request: web.Request) -> web.Response:
            body = await request.json() if request.body_exists else {}
            return web.json_response(await handler(**body))
        return route

    def _user(self, user_id: int) -> Any:
        if user_id not in self.users:
            self.users[user_id] = self.fake.user(user_id, f"Person {user_id}", language_code="en")
        return self.users[user_id]

    async def reset(self, flood: bool) -> dict[str, Any]:
        if self._pinger is not None:
            self._pinger.cancel()
        fake = self.fake
        fake.messages.clear()
        fake.calls.clear()
        fake.flood_429s = 0
        if flood:
            fake.flood_limit(per_second=30, per_group_per_minute=20)
        else:
            fake.flood_off()
        self.expected.clear()
        self.queries.clear()
        self.scanned = self.matched = self.bad = 0
        self.asked.clear()
        self.answered.clear()
        return {}

    async def warmup(self, users: list[int]) -> dict[str, Any]:
        """Each person says /ping once: their card to press later, and first contact out of the timing."""
        for user_id in users:
            self.fake.send_text(self._user(user_id), "/ping")
        deadline = time.monotonic() + 120
        while any(not self._card(u) for u in users):
            if time.monotonic() > deadline:
                raise RuntimeError("warm-up did not finish")
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)  # the last replies' follow-ups (none expected) settle
        self.scanned = len(self.fake.calls)
        return {}

    def _card(self, user_id: int) -> Any:
        messages = self.fake.bot_messages(user_id)
        return messages[0] if messages and messages[0].callback_data() else None

    async def load(self, users: list[int], updates: int) -> dict[str, Any]:
        """`updates` updates round-robin over `users`: /ping, /ping <word>, a press of their card."""
        self.started = self.fake.clock()
        for index in range(updates):
            user_id = users[index % len(users)]
            kind = (index // len(users)) % 3
            wanted = self.expected.setdefault(user_id, Counter())
            if kind == 2:
                card = self._card(user_id)
                press = self.fake.press(self.users[user_id], card, card.callback_data()[0])
                self.queries[press.query_id] = user_id
                wanted["answerCallbackQuery", PING_REPLY] += 1
            else:
                text = "/ping" if kind == 0 else f"/ping w{index}"
                self.fake.send_text(self.users[user_id], text)
                wanted["sendMessage", PING_REPLY if kind == 0 else f"Pong: w{index}"] += 1
        return {}

    def _scan(self) -> None:
        calls = self.fake.calls
        for call in calls[self.scanned:]:
            if call.method not in ("sendMessage", "answerCallbackQuery") or not call.ok:
                continue
            chat_id = call.params.get("chat_id") if call.method == "sendMessage" else \
                self.queries.get(call.params.get("callback_query_id", ""))
            if chat_id in self.asked and call.method == "sendMessage" and chat_id not in self.answered:
                self.answered[chat_id] = call.time
            wanted = self.expected.get(chat_id)  # type: ignore[arg-type]
            if wanted is None:
                continue
            key = (call.method, call.params.get("text", ""))
            if wanted[key] > 0:
                wanted[key] -= 1
                self.matched += 1
                self.last = max(self.last, call.time)
            else:
                self.bad += 1
        self.scanned = len(calls)

    async def progress(self) -> dict[str, Any]:
        self._scan()
        return {"matched": self.matched, "bad": self.bad, "elapsed": self.last - self.started,
                "flood_429s": self.fake.flood_429s}

    async def pings(self, users: list[int], interval: float) -> dict[str, Any]:
        async def ping() -> None:
            for user_id in users:
                self.asked[user_id] = self.fake.clock()
                self.fake.send_text(self._user(user_id), "/ping")
                await asyncio.sleep(interval)
        self._pinger = asyncio.create_task(ping())
        return {}

    async def latencies(self, first: int, count: int) -> dict[str, Any]:
        """Each ping's answer time, and the broadcast DMs (chat ids first..first+count) as sent."""
        self._scan()
        sent = [call.time for call in self.fake.calls if call.method == "sendMessage" and call.ok
                and first <= call.params.get("chat_id", 0) < first + count]
        return {"replies": [self.answered[u] - at for u, at in self.asked.items() if u in self.answered],
                "asked": len(self.asked), "broadcast": len(sent),
                "broadcast_seconds": (max(sent) - min(sent)) if sent else 0.0, "flood_429s": self.fake.flood_429s}


async def serve_fake() -> None:
    from tests.fakes.telegram_api import FakeTelegram

    async with FakeTelegram() as fake:
        control = Control(fake)
        runner = web.AppRunner(control.routes(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(json.dumps({"api": fake.base_url, "token": fake.token, "control": f"http://127.0.0.1:{port}"}),
              flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the driver closes it
        await runner.cleanup()


# ------------------------------------------------------------------------------------------ the bots

def bare_app(api: str, token: str, concurrent: int, pool: int, limited: bool, http: str = "httpx") -> Any:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.error import BadRequest
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    def again(count: int) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data=f"ping:again:{count}")]])

    async def on_message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        word = message.text.partition(" ")[2]
        await message.reply_text(f"Pong: {word}" if word else PING_REPLY, reply_markup=again(1), do_quote=False)

    async def on_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        count = int(query.data.rsplit(":", 1)[1]) + 1
        with contextlib.suppress(BadRequest):  # "not modified", as humako-bot ignores it
            await query.edit_message_text(f"{PRESSED_PREFIX}{count}", reply_markup=again(count))
        await query.answer(PING_REPLY)

    builder = (ApplicationBuilder().token(token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
               .concurrent_updates(concurrent))
    if http == "aiohttp":  # the request layer the bot uses
        from bot.frontends.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest(connection_pool_size=pool)).get_updates_request(
            AiohttpRequest(connection_pool_size=1))
    else:
        builder = builder.connection_pool_size(pool)
    if limited:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, on_message))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


class Profiled:
    """cProfile of the bot process from the driver's "profile" line (after the warm-up) to its stop."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.profiler: cProfile.Profile | None = None

    def line(self, line: str) -> bool:
        """True if the line was ours."""
        if line != "profile" or not self.path:
            return False
        self.profiler = cProfile.Profile()
        self.profiler.enable()
        return True

    def __enter__(self) -> Profiled:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(self.path)


async def run_bot(kind: str, api: str, token: str, concurrent: int, pool: int, people: int,
                  profile: str = "", http: str = "httpx") -> None:
    with Profiled(profile) as profiled:
        await _run_bot(kind, api, token, concurrent, pool, people, profiled, http)


async def _run_bot(kind: str, api: str, token: str, concurrent: int, pool: int, people: int,
                   profiled: Profiled, http: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(sys.stdin.fileno(), lambda: lines.put_nowait(sys.stdin.readline()))
    if kind.startswith("bare"):
        app = bare_app(api, token, concurrent, pool, kind == "bare-aio", http)
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            gc.collect()  # the bot's tuning (bot.app.freeze_startup_objects), given to the bare bot too
            gc.freeze()
            print("READY", flush=True)
            while (line := (await lines.get()).strip()) not in ("stop", ""):
                profiled.line(line)
            await app.updater.stop()
            await app.stop()
        return
    from bot.app import Application, freeze_startup_objects
    from bot.commands import Reply
    from bot.frontends.telegram import TelegramFrontend
    from bot.frontends.telegram_limits import SlidingRateLimiter
    from tests.harness import test_config
    from tests.scenarios.telegram_driver import telegram_config

    fake = SimpleNamespace(bot_api_url=f"{api}/bot", file_api_url=f"{api}/file/bot", token=token)
    config = telegram_config(fake, test_config())  # type: ignore[arg-type]
    config = dataclasses.replace(config, telegram=dataclasses.replace(config.telegram, role_cache_seconds=300.0))
    limiter = SlidingRateLimiter(overall_max_rate=0, group_max_rate=0) if kind == "humako-nolimit" else None
    with tempfile.TemporaryDirectory() as data:
        app = Application(config, Path(data))
        app.add_frontend(TelegramFrontend(app, poll_interval=0.0, poll_timeout=1, rate_limiter=limiter))
        await app.start()
        freeze_startup_objects()  # as run_until_stopped does when deployed
        recipients = [(await app.people.get_or_create("telegram", str(900_000 + n), f"Opiskelija {n}")).id
                      for n in range(people)]
        print("READY", flush=True)
        while (line := (await lines.get()).strip()) not in ("stop", ""):
            if profiled.line(line):
                continue
            if line == "broadcast":
                await app.outbox.to_people([(person, None) for person in recipients],
                                           Reply("Muistutus: vuosikokous huomenna klo 18."))
        await app.stop()


# ------------------------------------------------------------------------------------ driver helpers

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FakeProcess:
    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.api = self.token = self.control = ""
        self.http: ClientSession | None = None

    async def __aenter__(self) -> FakeProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "fake", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert self.proc.stdout is not None
        info = json.loads(await self.proc.stdout.readline())
        self.api, self.token, self.control = info["api"], info["token"], info["control"]
        self.http = ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None and self.proc.stdin is not None and self.http is not None
        await self.http.close()
        self.proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), 10)
        if self.proc.returncode is None:
            self.proc.kill()

    async def call(self, name: str, **body: Any) -> dict[str, Any]:
        assert self.http is not None
        async with self.http.post(f"{self.control}/{name}", json=body) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result


class BotProcess:
    def __init__(self, fake: FakeProcess, kind: str, *, concurrent: int = 8, pool: int = 8, people: int = 0,
                 root: Path | None = None, profile: Path | None = None, http: str = "httpx") -> None:
        self.fake, self.kind = fake, kind
        self.args = ["--kind", kind, "--api", fake.api, "--token", fake.token, "--concurrent", str(concurrent),
                     "--pool", str(pool), "--people", str(people)]
        # Only what the bot was given: a checkout run with --bot-root may not know these options.
        self.args += (["--profile", str(profile)] if profile else []) + (
            ["--http", http] if http != "httpx" and kind.startswith("bare") else [])
        self.script = str((root or Path(__file__).resolve().parent) / "tg_procs.py")
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> BotProcess:
        self.proc = await asyncio.create_subprocess_exec(sys.executable, self.script, "bot", *self.args,
                                                         stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        if line.strip() != b"READY":
            raise RuntimeError(f"{self.kind} did not start: {line!r}")
        return self

    def tell(self, line: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())

    def cpu(self) -> float:
        assert self.proc is not None
        return cpu_seconds(self.proc.pid)

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.tell("stop")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), 30)
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["fake", "bot"])
    parser.add_argument("--kind", default="humako")
    parser.add_argument("--api", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--pool", type=int, default=8)
    parser.add_argument("--people", type=int, default=0)
    parser.add_argument("--profile", default="", help="cProfile stats to this file, from the line `profile` on")
    parser.add_argument("--http", choices=["httpx", "aiohttp"], default="httpx",
                        help="a bare bot's request layer: PTB's default, or the bot's own")
    args = parser.parse_args()
    if args.role == "fake":
        asyncio.run(serve_fake())
    else:
        asyncio.run(run_bot(args.kind, args.api, args.token, args.concurrent, args.pool, args.people, args.profile,
                            args.http))


if __name__ == "__main__":
    main()
