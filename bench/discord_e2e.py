"""Discord end to end: slash interactions per second answered through the fake Discord.

The same stream of `/ping hello` interactions goes first to a bare discord.py bot with one slash command
(answers "Pong: hello" with one button), then to humako-bot (real DiscordFrontend, core, SQLite), both
connected to the same FakeDiscord in this run, one after the other. A run counts from injecting the first
interaction to the last callback the fake receives; `--concurrency` interactions are in flight at a time.
Target (issue 7): ours >= 70% of the bare bot's rate.

    .venv/bin/python bench/discord_e2e.py [--interactions 600] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
from discord import app_commands

from bot.app import Application
from bot.clock import Clock
from bot.frontends.discord import DiscordFrontend
from tests.fakes.discord_server import (
    GUILD_ID,
    MEMBER_ID,
    OWNER_ID,
    Call,
    FakeDiscord,
    point_discord_at,
    restore_discord,
)
from tests.harness import TEST_NOW, test_config
from tests.scenarios.discord_driver import discord_config

CALLBACK = re.compile(r"^/interactions/(\d+)/")


class Answers:
    """Resolves a future per interaction when its callback reaches the fake (cheaper than wait_response)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.waiting: dict[int, asyncio.Future[None]] = {}
        record = fake._record

        def recording(call: Call) -> None:
            record(call)
            match = CALLBACK.match(call.path)
            if match and call.status == 200 and (future := self.waiting.pop(int(match[1]), None)):
                future.set_result(None)

        fake._record = recording  # type: ignore[method-assign]


async def drive(fake: FakeDiscord, answers: Answers, count: int, concurrency: int) -> tuple[float, list[float]]:
    users = [MEMBER_ID, OWNER_ID]
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            began = time.perf_counter()
            # The record is made before dispatch, so the future exists before any answer can arrive.
            record = fake._interaction_payload(2, fake._command_data("ping", {"message": "hello"}, None, False),
                                               user_id=users[index % 2], channel_id=None, dm=False, locale="fi")
            future = asyncio.get_running_loop().create_future()
            answers.waiting[record.id] = future
            await fake.dispatch("INTERACTION_CREATE", record.payload)
            await asyncio.wait_for(future, 10)
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, latencies


async def bare_bot(fake: FakeDiscord, answers: Answers, count: int, concurrency: int) -> tuple[float, list[float]]:
    point_discord_at(fake.base_url)
    client = discord.Client(intents=discord.Intents.none() | discord.Intents(guilds=True), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Check that I am alive")
    async def ping(interaction: discord.Interaction, message: str | None = None) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Again", custom_id="bare:again:1"))
        await interaction.response.send_message(f"Pong: {message}", view=view)

    task = asyncio.create_task(client.start(fake.token or ""))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        tree.copy_global_to(guild=discord.Object(GUILD_ID))
        await tree.sync(guild=discord.Object(GUILD_ID))
        await drive(fake, answers, 30, concurrency)  # warm-up
        return await drive(fake, answers, count, concurrency)
    finally:
        await client.close()
        await task
        restore_discord()


async def humako_bot(fake: FakeDiscord, answers: Answers, count: int, concurrency: int,
                     data_dir: Path) -> tuple[float, list[float]]:
    # No per-person command limit here: two people send everything.
    config = discord_config(fake, test_config(cogs=("ping",), command_rate=10**9))
    app = Application(config, data_dir, clock=Clock(frozen_at=TEST_NOW))
    app.add_frontend(DiscordFrontend(app, guild_ready_timeout=0.05))
    await app.start()
    try:
        await drive(fake, answers, 30, concurrency)  # warm-up
        return await drive(fake, answers, count, concurrency)
    finally:
        await app.stop()


def figures(name: str, count: int, elapsed: float, latencies: list[float]) -> float:
    rate = count / elapsed
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{name:<12} {count} interactions in {elapsed:.2f} s: {rate:7.1f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    return rate


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interactions", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, discord.py {discord.__version__}, {platform.machine()}")
    fake = await FakeDiscord().start()
    answers = Answers(fake)
    try:
        bare = figures("bare bot", args.interactions, *await bare_bot(fake, answers, args.interactions,
                                                                      args.concurrency))
        with tempfile.TemporaryDirectory() as tmp:
            ours = figures("humako-bot", args.interactions,
                           *await humako_bot(fake, answers, args.interactions, args.concurrency, Path(tmp)))
    finally:
        await fake.stop()
    ratio = ours / bare
    verdict = "OK" if ratio >= 0.7 else "MISSED"
    print(f"humako-bot answers {ratio:.0%} of the bare bot's rate (target >= 70%): {verdict}")
    return 0 if ratio >= 0.7 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
