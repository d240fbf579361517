"""Cost of computing occurrences with bot/recurrence.py against the hand-rolled weekly stepper it replaced.

The events cog recomputes a series' starts whenever it renders a card, lists events or plans reminders, so
this times a year-long weekly series (53 starts, and the cog's cached expansion of it), a next-occurrence
look-up on a daily reminder, and building a monthly "last Friday" rule (which runs the never-repeats check).
Rounds are interleaved; medians and spread in microseconds per call.

    .venv/bin/python bench/recurrence.py [--rounds 5] [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.recurrence import Recurrence
from bot.timeparse import local_to_utc
from cogs.events.recurrence import series_end

HELSINKI = ZoneInfo("Europe/Helsinki")
FIRST = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
UNTIL = date(2027, 11, 30)


def old_weekly(first: datetime, repeat_weeks: int, until: date) -> list[datetime]:
    """The stepper cogs/events/recurrence.py had before (naive local wall time + whole weeks)."""
    step = timedelta(weeks=repeat_weeks)
    wall = first.astimezone(HELSINKI).replace(tzinfo=None)
    starts = [first]
    wall += step
    while wall.date() <= until:
        starts.append(local_to_utc(wall, HELSINKI))
        wall += step
    return starts


CASES: dict[str, Callable[[], object]] = {
    "old weekly stepper, 53 starts": lambda: old_weekly(FIRST, 1, UNTIL),
    "helper weekly all(), 53 starts": lambda: Recurrence.preset(FIRST, HELSINKI, "weekly", until=UNTIL).all(),
    "events cog series_end (cached expansion)": lambda: series_end(FIRST, None, "Europe/Helsinki", 1, UNTIL),
    "helper daily next_after, 1 day in": lambda: Recurrence.preset(
        datetime(2026, 12, 1, 9), HELSINKI, "daily").next_after(FIRST + timedelta(days=1)),
    "helper build MONTHLY;BYDAY=-1FR": lambda: Recurrence(FIRST, HELSINKI, "FREQ=MONTHLY;BYDAY=-1FR"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    assert CASES["old weekly stepper, 53 starts"]() == CASES["helper weekly all(), 53 starts"]()
    results: dict[str, list[float]] = {name: [] for name in CASES}
    for _round in range(args.rounds):
        for name, case in CASES.items():  # interleaved: every case once per round
            began = time.perf_counter()
            for _ in range(args.calls):
                case()
            results[name].append((time.perf_counter() - began) / args.calls * 1e6)
    for name, values in results.items():
        print(f"{name:40} median {statistics.median(values):8.1f} µs  "
              f"min {min(values):8.1f}  max {max(values):8.1f}  ({args.rounds} rounds x {args.calls})")


if __name__ == "__main__":
    main()
