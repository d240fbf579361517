"""Answers per time on a year-long weekly series (issue 20), end to end through the console frontend.

N people press Going on the card of a weekly series running a year and answer "every week" (capacity C, so the
later ones wait in every time); then people answer for single times; finally the first one leaves every week,
which frees a place in every time and offers it on (the heaviest answer: every time's waiting list is read).
Reports per-press times (mean, p95) for each kind of answer and the machine load next to them.

    .venv/bin/python bench/series_rsvp.py [--people 200] [--capacity 150] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.testing import ConsoleBot

SERIES = ('/event create title=Kerho start="3.12. klo 18" where=helsinki description=x capacity={capacity} '
          'repeat=weekly until=25.11.2027')


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(name: str, took: list[float]) -> None:
    print(f"{name:<34} n={len(took):<4} mean {statistics.mean(took) * 1000:7.1f} ms"
          f"   p95 {p95(took) * 1000:7.1f} ms")


async def answer(bot: ConsoleBot, card: int, name: str, choice: str, button: int = 1) -> float:
    began = time.perf_counter()
    asked = await bot.click(button, message=card, as_=name)
    await bot.press(choice, message=asked[-1].number, as_=name)
    return time.perf_counter() - began


async def main(people: int, capacity: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bot = await ConsoleBot.start(Path(tmp), now=datetime(2026, 11, 26, 12, tzinfo=UTC))
        try:
            await bot.say(SERIES.format(capacity=capacity), as_="Olli", roles="organiser", where="dm")
            card = bot.sent_to("#announcements")[0].number
            every = [await answer(bot, card, f"P{i}", "Joka viikko") for i in range(people)]
            single = [await answer(bot, card, f"S{i}", "Vain to 10.12.") for i in range(people // 4)]
            began = time.perf_counter()
            await answer(bot, card, "P0", "Joka viikko", button=3)
            leave = time.perf_counter() - began
            offers = [p for p in bot.sent_to(f"@p{capacity}") if "vapautui" in p.text]
        finally:
            await bot.stop()
    print(f"weekly series for a year, capacity {capacity}, {people} every-week answers "
          f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    report("going every week", every)
    report("going only 10.12.", single)
    report("leaving every week (offers on)", [leave])
    print(f"offers to the first in line: {len(offers)} message(s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=150)
    parser.add_argument("--quick", action="store_true", help="40 people, capacity 30")
    args = parser.parse_args()
    asyncio.run(main(40, 30) if args.quick else main(args.people, args.capacity))
