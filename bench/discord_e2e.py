"""Discord end to end: slash interactions answered per second, humako-bot against a bare discord.py bot.

The fake Discord (tests/fakes) runs in a process of its own and drives the load: `--interactions` slash
interactions from two members, `--concurrency` in flight, each counted when its callback reaches the fake and
checked there (a 200 whose content is the expected reply, or a 204 when the bot asked for no result back).
Each bot runs in its own process, one at a time (the fake dispatches to every connected bot): a bare discord.py
bot with one command, and humako-bot as deployed (DiscordFrontend, the core, SQLite), the per-person command rate
switched off (two people send everything). humako-bot answers without asking Discord for the message back when it
needs nothing of it (bot/frontends/discord_answer.py); a third bot, the bare one answering the same way, shows what
that is worth and what the core itself costs. All answer with the same text and the same kind of component: a
button that is a registered dynamic item (`add_dynamic_items`), so none keeps a view per reply. `/help`
(`--command help`) answers all with the same ephemeral text. Each bot goes first in turn; each run prints the
rate, latency, the bot process's CPU per interaction and the machine's load; the summary gives medians and
spread. Target (issue 26): humako-bot >= 90% of the bare bot's rate.

    .venv/bin/python bench/discord_e2e.py [--interactions 2000] [--concurrency 16] [--rounds 3]
        [--command ping|help] [--profile tottime]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fake_process import FakeProcess

HERE = Path(__file__).resolve()
# The bare discord.py bot (the target's baseline), the same bot answering without asking for the result back as
# humako-bot does (to show what that alone is worth), and humako-bot.
KINDS = ["bare", "lean", "humako"]
COMMANDS = {"ping": ({"message": "hello"}, "Pong: hello"), "help": ({}, "")}


# ------------------------------------------------------------------------------------------- the bots


async def bare_bot(base_url: str, token: str, help_text: str, lean: bool = False) -> Any:
    """A discord.py client with the frontend's tuning (intents, no message cache, no pings) and two commands.
    `lean`: answering as humako-bot does when it needs nothing back (bot/frontends/discord_answer.py)."""
    import discord
    from discord import app_commands

    from bot.frontends.discord_answer import answer
    from tests.fakes.discord_server import GUILD_ID, point_discord_at

    class Again(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bare:again:(?P<count>\d+)"):
        def __init__(self, count: int) -> None:
            super().__init__(discord.ui.Button(label="Uudestaan", custom_id=f"bare:again:{count}",
                                               style=discord.ButtonStyle.primary))

        @classmethod
        async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Any, match: Any) -> Again:
            return cls(int(match["count"]))

    class Client(discord.Client):
        async def setup_hook(self) -> None:
            self.add_dynamic_items(Again)

    point_discord_at(base_url)
    intents = discord.Intents.none()
    intents.guilds = intents.dm_messages = intents.guild_messages = intents.message_content = True
    client = Client(intents=intents, guild_ready_timeout=0.05, max_messages=None,
                    allowed_mentions=discord.AllowedMentions.none())
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Check that I am alive")
    async def ping(interaction: discord.Interaction[Any], message: str | None = None) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(Again(1))
        text = f"Pong: {message}" if message else "Pong!"
        if lean:
            await answer(interaction, content=text, view=view)
        else:
            await interaction.response.send_message(text, view=view)

    @tree.command(name="help", description="What I can do for you")
    async def help_(interaction: discord.Interaction[Any], command: str | None = None) -> None:
        if lean:
            await answer(interaction, content=help_text, ephemeral=True)
        else:
            await interaction.response.send_message(help_text, ephemeral=True)

    task = asyncio.create_task(client.start(token))
    await asyncio.wait_for(client.wait_until_ready(), 30)
    gc.collect()  # the tuning humako-bot gets (bot.app.freeze_startup_objects)
    gc.freeze()
    tree.copy_global_to(guild=discord.Object(GUILD_ID))
    await tree.sync(guild=discord.Object(GUILD_ID))

    async def stop() -> None:
        await client.close()
        await task

    return stop


async def humako_bot(base_url: str, token: str, data_dir: Path) -> Any:
    from bot.app import Application, freeze_startup_objects
    from bot.frontends.discord import DiscordFrontend

    app = Application(bot_config(base_url, token), data_dir)
    app.add_frontend(DiscordFrontend(app, guild_ready_timeout=0.05))
    await app.start()
    freeze_startup_objects()  # as `run` does
    return app.stop


def bot_config(base_url: str, token: str) -> Any:
    """The example config's cogs, on the fake's guild, without the per-person command rate."""
    import dataclasses

    from bot.testing import make_config
    from tests.fakes.discord_server import GUILD_ID

    config = make_config(command_rate=10**9)
    discord = dataclasses.replace(config.discord, enabled=True, guild_ids=(GUILD_ID,), sync="guild",
                                  api_base=base_url)
    return dataclasses.replace(config, discord=discord,
                               secrets=dataclasses.replace(config.secrets, discord_token=token))


async def serve(kind: str, base_url: str, token: str, help_text: str) -> None:
    """A bot process: says `ready`, then answers `cpu` (process time) and `profile` lines until stdin closes."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)  # no voice support: not our concern here
    with tempfile.TemporaryDirectory() as tmp:
        if kind in ("bare", "lean"):
            stop = await bare_bot(base_url, token, help_text, lean=kind == "lean")
        else:
            stop = await humako_bot(base_url, token, Path(tmp))
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        collecting = [0.0, 0.0]  # (start of the running collection, seconds spent collecting)

        def timed(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                collecting[0] = time.process_time()
            else:
                collecting[1] += time.process_time() - collecting[0]

        gc.callbacks.append(timed)
        print("ready", flush=True)
        profiler: cProfile.Profile | None = None
        try:
            while line := (await reader.readline()).decode().split():
                if line[0] == "cpu":
                    print(time.process_time(), collecting[1], flush=True)
                elif line[0] == "profile" and profiler is None:
                    profiler = cProfile.Profile()
                    profiler.enable()
                    print("ok", flush=True)
                elif line[0] == "profile" and profiler is not None:
                    profiler.disable()
                    sort, _sep, callers = line[1].partition(":")  # "tottime:pattern" also prints pattern's callers
                    stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats(sort)
                    stats.print_stats(45)
                    stats.print_stats(r"/bot/|/storage/", 40)  # this project's own functions
                    if callers:
                        stats.print_callers(callers)
                    profiler = None
                    print("ok", flush=True)
        finally:
            await stop()


class BotProcess:
    def __init__(self, kind: str, fake: FakeProcess, help_text: str) -> None:
        self.kind, self.fake, self.help_text = kind, fake, help_text
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE), "--serve", self.kind, "--url", self.fake.base_url, "--token", self.fake.token,
            "--help-text", self.help_text, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if await self._line() != "ready":
            raise RuntimeError(f"the {self.kind} bot did not start")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()

    async def _line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        return (await self.process.stdout.readline()).decode().strip()

    async def ask(self, *words: str) -> str:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write((" ".join(words) + "\n").encode())
        await self.process.stdin.drain()
        return await self._line()


# ------------------------------------------------------------------------------------------- the bench


async def help_text_of_humako(fake: FakeProcess) -> str:
    """What humako-bot answers a member's /help on the fake (the bare bot then answers the same text)."""
    async with BotProcess("humako", fake, "") as bot:
        del bot
        result = await fake.call("drive", 1, 1, "help", {}, "", 1)
    return str(result["content"])


async def one_run(kind: str, fake: FakeProcess, args: argparse.Namespace, help_text: str,
                  profile: str | None) -> dict[str, float]:
    options, expect = COMMANDS[args.command]
    expect = expect or help_text
    async with BotProcess(kind, fake, help_text) as bot:
        people = 1 if args.command == "help" else 2  # /help: the member without roles, whose text it is
        await fake.call("drive", 100, args.concurrency, args.command, options, expect, people)  # warm-up
        if profile:
            await bot.ask("profile")
        cpu, collected = map(float, (await bot.ask("cpu")).split())
        result = await fake.call("drive", args.interactions, args.concurrency, args.command, options, expect,
                                 people)
        cpu_after, collected_after = map(float, (await bot.ask("cpu")).split())
        cpu, collected = cpu_after - cpu, collected_after - collected
        if profile:
            await bot.ask("profile", profile)
    latencies = sorted(result["latencies"])
    figures = {"rate": args.interactions / result["elapsed"], "p50": statistics.median(latencies) * 1000,
               "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
               "cpu": cpu / args.interactions * 1000, "gc": collected / args.interactions * 1000,
               "wrong": result["wrong"], "answered": result["answered"],
               "load": os.getloadavg()[0], "buttons": result["buttons"]}
    print(f"  {kind:7} {args.interactions} in {result['elapsed']:.2f} s: {figures['rate']:7.1f}/s"
          f"  p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  CPU {figures['cpu']:.2f} ms/interaction"
          f" ({figures['gc']:.2f} collecting garbage);"
          f" {result['answered']} answered, {result['wrong']} wrong, {result['buttons']} with a button;"
          f" load {figures['load']:.2f}", flush=True)
    return figures


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


async def bench(args: argparse.Namespace) -> int:
    import discord

    print(f"discord_e2e: /{args.command}, {args.interactions} interactions, {args.concurrency} in flight,"
          f" {args.rounds} rounds; Python {platform.python_version()}, discord.py {discord.__version__},"
          f" {platform.machine()}, {len(os.sched_getaffinity(0))} cores; load {os.getloadavg()[0]:.2f}")
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    async with FakeProcess("discord") as fake:
        help_text = await help_text_of_humako(fake) if args.command == "help" else ""
        for number in range(args.rounds):
            order = KINDS[number % len(KINDS):] + KINDS[:number % len(KINDS)]  # each bot first in turn
            print(f"round {number + 1}:")
            for kind in order:
                last = number == args.rounds - 1
                results[kind].append(await one_run(kind, fake, args, help_text,
                                                   args.profile if last else None))
    ratios = [ours["rate"] / bare["rate"] for ours, bare in zip(results["humako"], results["bare"], strict=True)]
    for kind, runs in results.items():
        print(f"{kind:7} rate {spread([r['rate'] for r in runs], '/s')}, p99 {spread([r['p99'] for r in runs], ' ms')},"
              f" CPU {spread([r['cpu'] for r in runs], ' ms', 3)} per interaction")
    wrong = sum(r["wrong"] for runs in results.values() for r in runs)
    unanswered = sum(args.interactions - r["answered"] for runs in results.values() for r in runs)
    ratio = statistics.median(ratios)
    ok = ratio >= 0.9 and not wrong and not unanswered
    lean = [ours["rate"] / other["rate"] for ours, other in zip(results["humako"], results["lean"], strict=True)]
    print(f"humako-bot answers {ratio:.0%} of the bare bot's rate (rounds {', '.join(f'{r:.0%}' for r in ratios)};"
          f" target >= 90%); replies wrong {wrong}, unanswered {unanswered}: {'OK' if ok else 'MISSED'}")
    print(f"  and {statistics.median(lean):.0%} of the bare bot answering as lean as it does"
          f" (rounds {', '.join(f'{r:.0%}' for r in lean)}): the cost of the core itself")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interactions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--command", choices=sorted(COMMANDS), default="ping")
    parser.add_argument("--profile", metavar="SORT",
                        help="cProfile both bots' last runs (to stderr): tottime, cumulative, tottime:CALLEE-PATTERN")
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--help-text", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.url, args.token, args.help_text))
        return 0
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
