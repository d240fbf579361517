"""Tutoring under load (issue 22): many requests, many tutors claiming at once, and how soon a claim shows.

Part A (console frontend, file database, the real command path): `--requests` students ask with /tutor request
(each gets a live status message with their place in the queue); then `--tutors` tutors press Claim on shuffled
cards at once (Core.press, as a frontend does) until `--claim` of them are taken. Checked each round: no request
claimed twice (one winner per request, every other press refused), and every still-waiting student's status
message shows their right place in the queue after the claims.

Part B (the real Telegram and Discord frontends against the local fakes, one application): `--cards` requests
are posted to the tutors' Telegram group and Discord channel; tutors claim them all at once, half pressing on
Telegram and half on Discord. Reported: the time from a Claim press to the end of the first edit that shows
the claim on each platform's copy of the card (p50, p99), with the bot's default live-edit pacing.

Rounds alternate A and B (>= 3 each); medians and spread over rounds are printed.

    .venv/bin/python bench/tutoring.py [--requests 500] [--tutors 20] [--claim 400] [--cards 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.context import Account, Chat
from bot.testing import test_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.test_live_cross_platform import TwoPlatforms

ASK = '/tutor request topic=study_skills language=en where=online description="request {n}"'
PLACE = re.compile(r"Your tutoring request #(\d+).*Your place in the queue: (\d+)", re.S)
TUTOR_ROLE_ID = 1100000000000000002


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def round_a(requests: int, tutors: int, claim: int, seed: int) -> dict[str, float]:
    # The bot's default live-edit pacing; the console frontend itself shows every edit at once (no rate limits).
    config: dict[str, dict[str, Any]] = {"community": {"default_language": "en"}, "bot": {"command_rate": 10**9}}
    async with test_bot(cogs=["tutoring"], config=config) as bot:
        started = time.perf_counter()
        for n in range(requests):
            await bot.say(ASK.format(n=n), as_=f"Student{n}", roles="student")
        asked = time.perf_counter() - started
        app = bot.app
        ids = list(range(1, requests + 1))
        random.Random(seed).shuffle(ids)
        wanted = ids[:claim]
        won: list[tuple[int, int]] = []  # (request, tutor)
        refused = 0

        async def tutor(k: int) -> None:
            nonlocal refused
            ctx = await app.core.context_for(Account("console", f"tutor{k}"), f"Tutor{k}",
                                             Chat("console", f"@tutor{k}", direct=True), frozenset({"tutor"}), "en")
            order = wanted[:]
            random.Random(seed * 100 + k).shuffle(order)
            for request_id in order[: max(1, claim * 3 // tutors)]:  # overlapping picks: races on purpose
                reply = await app.core.press(ctx, app.core.signer.sign(f"tut:claim:{request_id}", None))
                text = str(getattr(reply.text, "msgid", reply.text)) if reply is not None else ""
                if "You claimed" in text:
                    won.append((request_id, k))
                else:
                    refused += 1

        started = time.perf_counter()
        await asyncio.gather(*(tutor(k) for k in range(tutors)))
        claimed_in = time.perf_counter() - started
        # Any of `wanted` nobody happened to pick: claimed now, one by one, so the end state is known.
        rest = sorted(set(wanted) - {r for r, _k in won})
        if rest:
            ctx = await app.core.context_for(Account("console", "tutorx"), "TutorX",
                                             Chat("console", "@tutorx", direct=True), frozenset({"tutor"}), "en")
            for request_id in rest:
                await app.core.press(ctx, app.core.signer.sign(f"tut:claim:{request_id}", None))
                won.append((request_id, -1))
        await app.settle()

        winners = [r for r, _k in won]
        assert len(winners) == len(set(winners)) == claim, "a request was claimed twice (or not at all)"
        rows = await app.db.fetchall("SELECT id, state FROM tutoring_requests ORDER BY id")
        still_open = [r["id"] for r in rows if r["state"] == "open"]
        assert len(still_open) == requests - claim
        expected = {request_id: place for place, request_id in enumerate(still_open, start=1)}
        shown: dict[int, int] = {}
        for message in bot.console.messages.values():
            found = PLACE.search(message.text)
            if found:
                shown[int(found.group(1))] = int(found.group(2))
        wrong = sum(1 for request_id, place in expected.items() if shown.get(request_id) != place)
        assert wrong == 0, f"{wrong} queue places wrong"
        return {"ask_per_s": requests / asked, "claim_s": claimed_in, "refused": refused, "wrong": wrong}


async def round_b(data: Path, cards: int, number: int) -> dict[str, list[float]]:
    async with FakeTelegram() as tg:
        rig = await TwoPlatforms.start(data, tg, live_edit_seconds=3.0, cogs=("ping", "tutoring"))
        try:
            group = int(rig.app.config.destinations["tutors"].telegram_chat_id or 0)
            channel = int(rig.app.config.destinations["tutors"].discord_channel_id or 0)
            for n in range(cards):
                student = rig.tg_user(f"S{number}x{n}")
                await rig.tg_say(student, f"/tutor_request topic=other language=fi where=online description=r{n}")
            tg_cards = {int(m.callback_data()[0].split(":")[2].split("~")[0]): m
                        for m in rig.tg.bot_messages(group) if m.callback_data()}
            dc_cards = {}
            for message in rig.dc.channel_messages(channel):
                for row in message.get("components") or []:
                    for button in row["components"]:
                        dc_cards[int(button["custom_id"].split(":")[2].split("~")[0])] = message
            assert len(tg_cards) == len(dc_cards) == cards, (len(tg_cards), len(dc_cards))
            answered: dict[int, float] = {}  # request -> when its Claim was pressed (monotonic)
            presses: list[asyncio.Task[float]] = []
            for i, request_id in enumerate(sorted(tg_cards)):
                if i % 2 == 0:
                    tutor = rig.tg_user(f"T{number}x{i}", roles=("tutor",))
                    answered[request_id] = time.monotonic()
                    rig.tg_press(tutor, tg_cards[request_id], f"claim:{request_id}")
                else:
                    user = rig.dc_user(f"D{number}x{i}")
                    member = next(m for m in rig.dc.guild.members if m.user.id == user)
                    member.roles.append(TUTOR_ROLE_ID)

                    answered[request_id] = time.monotonic()
                    presses.append(asyncio.create_task(
                        rig.dc_press(user, int(dc_cards[request_id]["id"]), f"claim:{request_id}")))
            await asyncio.gather(*presses)
            await rig.settle()
            await asyncio.sleep(4.0)  # past one live-edit interval: every copy has its last edit
            await rig.settle()
            claimed = await rig.app.db.fetchval("SELECT COUNT(*) FROM tutoring_requests WHERE state = 'claimed'")
            assert claimed == cards, f"{claimed} of {cards} claimed"
            delays: dict[str, list[float]] = {"telegram": [], "discord": []}
            for request_id, at in answered.items():
                for platform_name, chat, message_id in (
                        ("telegram", group, tg_cards[request_id].message_id),
                        ("discord", channel, dc_cards[request_id]["id"])):
                    ends = rig.edits.times.get((platform_name, str(chat), str(message_id)), [])
                    after = [end for end in ends if end >= at]
                    assert after, f"no edit of the {platform_name} card of #{request_id} after its claim"
                    delays[platform_name].append(after[0] - at)
            return delays
        finally:
            await rig.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--tutors", type=int, default=20)
    parser.add_argument("--claim", type=int, default=400)
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.rounds} interleaved rounds")
    a_rounds, b_rounds = [], []
    for number in range(args.rounds):
        a = await round_a(args.requests, args.tutors, args.claim, seed=number + 1)
        a_rounds.append(a)
        print(f"A{number + 1}: {args.requests} asked at {a['ask_per_s']:.0f}/s; {args.tutors} tutors claimed "
              f"{args.claim} in {a['claim_s']:.2f} s, {a['refused']:.0f} presses refused as already claimed; "
              f"0 claimed twice; queue places wrong: {a['wrong']:.0f}")
        with tempfile.TemporaryDirectory() as data:
            b = await round_b(Path(data), args.cards, number)
        b_rounds.append(b)
        print(f"B{number + 1}: claim -> card edit, telegram p50 {percentile(b['telegram'], 0.5):.3f} s "
              f"p99 {percentile(b['telegram'], 0.99):.3f} s; discord p50 {percentile(b['discord'], 0.5):.3f} s "
              f"p99 {percentile(b['discord'], 0.99):.3f} s")

    def spread(values: list[float]) -> str:
        return f"median {statistics.median(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"

    print("over rounds:")
    print(f"  claim burst seconds: {spread([a['claim_s'] for a in a_rounds])}")
    for name in ("telegram", "discord"):
        print(f"  {name} claim->edit p50 s: {spread([percentile(b[name], 0.5) for b in b_rounds])}")
        print(f"  {name} claim->edit p99 s: {spread([percentile(b[name], 0.99) for b in b_rounds])}")


if __name__ == "__main__":
    asyncio.run(main())
