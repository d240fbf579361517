"""Live copies under a burst: 200 RSVPs in 10 seconds on an event posted in two places (issue #15).

One humako-bot runs the real Telegram frontend (python-telegram-bot) and the real Discord frontend (discord.py)
against the local fakes. An event is announced to `announcements`, which maps to a Telegram group and a Discord
channel. Then 200 different people press RSVP buttons within 10 seconds, alternating platforms (half on each
copy), and the core keeps both copies current with coalesced edits (`bot.live_edit_seconds`, default 3 s).

Per round and copy it reports the edits sent and the time from the last press to the last edit; over all
presses, the time until a press is visible on the other platform's copy (the end of the first edit that began
after the press was answered). Each round checks the final counts on both copies and in the database.

    .venv/bin/python bench/live_messages.py [--presses 200] [--seconds 10] [--rounds 3] [--interval 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=3.0, help="bot.live_edit_seconds (default as deployed)")
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
