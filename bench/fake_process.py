"""A fake platform (tests/fakes) in a process of its own, so a bench measures the bot's CPU, not the fake's.

    python bench/fake_process.py telegram|discord

prints `url <base url>` once listening on 127.0.0.1, then answers one line per command read from stdin
(`FakeProcess` below is the other end). Commands are benches' own: each answers one line of JSON.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

Handler = Callable[..., Awaitable[Any]]
CALLBACK = re.compile(r"^/interactions/(\d+)/")


def telegram_commands(fake: Any) -> dict[str, Handler]:
    from tests.fakes.telegram_api import TgChat

    async def seed(first: int, count: int, text: str) -> list[int]:
        """A bot message in each of `count` private chats from user id `first` on: their message ids."""
        ids = []
        for user_id in range(first, first + count):
            chat = fake.chats.setdefault(user_id, TgChat(user_id, "private", first_name=f"User {user_id}"))
            ids.append(fake._store(chat, fake.bot_user.to_api(), True, text=text).message_id)
        return ids

    async def showing(first: int, count: int, text: str) -> int:
        """How many of those chats' last bot message shows `text`."""
        return sum(1 for user_id in range(first, first + count)
                   if text in (fake.messages[user_id][-1].text or ""))

    async def calls(method: str) -> int:
        return sum(1 for call in fake.calls if call.method == method and call.ok)

    async def forget_calls() -> int:
        fake.calls.clear()
        return 0

    return {"seed": seed, "showing": showing, "calls": calls, "forget_calls": forget_calls}


def discord_commands(fake: Any) -> dict[str, Handler]:
    from tests.fakes.discord_server import MEMBER_ID, OWNER_ID, Call

    waiting: dict[int, asyncio.Future[Call]] = {}
    record = fake._record

    def recording(call: Call) -> None:
        record(call)
        match = CALLBACK.match(call.path)
        if match and call.status != 429 and (future := waiting.pop(int(match[1]), None)):
            future.set_result(call)

    fake._record = recording

    async def drive(count: int, concurrency: int, command: str, options: dict[str, Any],
                    expect: str, people: int = 2) -> dict[str, Any]:
        """`count` slash interactions, `concurrency` in flight, from `people` members (1: the one without
        roles); each reply checked here: a 200 (or 204) callback whose content is `expect` (or contains it, when it
        is not the whole reply). Also returns the last reply's content."""
        users = [MEMBER_ID, OWNER_ID][:people]
        content = ""
        buttons = 0  # replies that carry a button
        latencies: list[float] = []
        wrong = 0
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            nonlocal wrong, content, buttons
            async with gate:
                began = time.perf_counter()
                data = fake._command_data(command, options, None, False)
                interaction = fake._interaction_payload(2, data, user_id=users[index % len(users)], channel_id=None,
                                                        dm=False, locale="fi")
                future = asyncio.get_running_loop().create_future()
                waiting[interaction.id] = future
                await fake.dispatch("INTERACTION_CREATE", interaction.payload)
                call = await asyncio.wait_for(future, 30)
                latencies.append(time.perf_counter() - began)
                data = (call.json or {}).get("data") or {}
                content = data.get("content") or ""
                buttons += any(row.get("components") for row in data.get("components") or [])
                if call.status not in (200, 204) or expect not in content:  # 204: the bot asked for no result
                    wrong += 1

        messages_before = {channel: set(stored) for channel, stored in fake.messages.items()}
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - started
        # Keep the fake's memory (and so its garbage collections) flat between rounds: what the drive made goes.
        fake.calls.clear()
        fake._interactions.clear()
        fake._interactions_by_token.clear()
        for channel, stored in fake.messages.items():
            for message_id in set(stored) - messages_before.get(channel, set()):
                del stored[message_id]
        gc.collect()
        return {"elapsed": elapsed, "latencies": latencies, "wrong": wrong, "answered": len(latencies),
                "content": content, "buttons": buttons}

    async def ready() -> int:
        """Gateway connections identified (a bot is connected when this rose)."""
        return sum(1 for conn in fake._conns if conn.identified and not conn.ws.closed)

    return {"drive": drive, "ready": ready}


async def serve(kind: str) -> None:
    if kind == "telegram":
        from tests.fakes.telegram_api import FakeTelegram

        fake: Any = FakeTelegram()
        await fake.start()
        commands = telegram_commands(fake)
        print(f"url {fake.base_url} {fake.token}", flush=True)
    else:
        from tests.fakes.discord_server import FakeDiscord

        fake = await FakeDiscord().start()
        commands = discord_commands(fake)
        gc.collect()  # the fake's own startup objects are never collected again: its cost per call stays flat
        gc.freeze()
        print(f"url {fake.base_url} {fake.token}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            name, args = json.loads(line)
            try:
                result = await commands[name](*args)
            except Exception as error:  # the bench says what went wrong instead of reading a dead pipe
                result = {"error": f"{type(error).__name__}: {error}"}
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
    finally:
        await fake.stop()


class FakeProcess:
    """The bench's end: starts the fake in a child process and sends it commands."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.process: asyncio.subprocess.Process | None = None
        self.base_url = ""
        self.token = ""

    async def __aenter__(self) -> FakeProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), self.kind,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=2**26)
        assert self.process.stdout is not None
        words = (await self.process.stdout.readline()).decode().split()
        if not words or words[0] != "url":
            raise RuntimeError(f"the fake {self.kind} did not start")
        self.base_url, self.token = words[1], words[2] if len(words) > 2 else ""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()

    async def call(self, name: str, *args: Any) -> Any:
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps([name, args]) + "\n").encode())
        await self.process.stdin.drain()
        answer = json.loads(await self.process.stdout.readline())
        if isinstance(answer, dict) and "error" in answer:
            raise RuntimeError(f"the fake {self.kind} failed {name}: {answer['error']}")
        return answer


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
