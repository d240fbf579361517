"""Telegram delivery limits end to end (the real python-telegram-bot against the fake Bot API): lengths counted
in UTF-16 units as Telegram counts them, permanent errors not retried and reported to whoever posted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.commands import Cog, Rendered, Reply
from bot.context import Context
from bot.frontends.base import Target
from bot.frontends.telegram_limits import Lane, SlidingRateLimiter
from bot.textlen import utf16_len
from tests.fakes.telegram_api import FakeTelegram, TgUser
from tests.harness import test_config as config_for_tests
from tests.scenarios.telegram_driver import TelegramBot, telegram_config

loud = Cog("loud", "Test cog with long replies")


@loud.command("Shout")
async def shout(ctx: Context) -> Reply:
    return Reply("😀" * 3000, title="🎉" * 40, fields=[("🎈", "🎈" * 30)])


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def tg(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[TelegramBot]:
    config = telegram_config(fake, config_for_tests(cogs=["ping", "events"], live_edit_seconds=0.0))
    bot = await TelegramBot.start(tmp_path, fake, config=config, extra_cogs=(loud,))
    try:
        yield bot
    finally:
        await bot.stop()


async def say(tg: TelegramBot, user: TgUser, text: str) -> None:
    tg.fake.send_text(user, text)
    tg.queued()
    await tg.settle()


def announcements(tg: TelegramBot) -> int:
    chat_id = tg.app.config.destinations["announcements"].telegram_chat_id
    assert chat_id is not None
    return chat_id


def organiser(tg: TelegramBot, user_id: int) -> TgUser:
    user = tg.fake.user(user_id, "Olli", language_code="en")
    tg.fake.set_member(tg.app.config.roles["organiser"].telegram_chat_ids[0], user.id, "member")
    return user


async def test_a_reply_of_emoji_is_cut_to_telegrams_utf16_limit(tg: TelegramBot) -> None:
    olli = tg.fake.user(4001, "Olli")
    await say(tg, olli, "/loud_shout")
    [call] = tg.fake.calls_of("sendMessage")
    assert call.ok, call.description  # Telegram counts 2 units per emoji: a code-point cut was 400 "too long"
    text = tg.fake.last_bot_message(olli.id).text or ""
    assert "😀…" in text and 4000 < utf16_len(text) <= 4096


async def test_an_emoji_description_is_counted_as_telegram_counts_it(tg: TelegramBot) -> None:
    olli = organiser(tg, 4002)
    await say(tg, olli, f'/event create title="Emojijuhla" start="4.12. klo 18" where=helsinki '
                        f'description="{"😀" * 1990}"')
    answer = tg.fake.last_bot_message(olli.id).text or ""
    assert "too long: 3980 characters, at most 2000 (an emoji counts as two)" in answer
    assert await tg.app.db.fetchval("SELECT COUNT(*) FROM events") == 0  # nothing half-done
    assert await tg.app.db.fetchval("SELECT COUNT(*) FROM outbox") == 0
    assert not tg.fake.bot_messages(announcements(tg))


async def test_a_refused_announcement_is_not_retried_and_the_organiser_is_told(tg: TelegramBot) -> None:
    olli = organiser(tg, 4003)
    group = announcements(tg)
    for method in ("sendMessage", "sendDocument"):
        tg.fake.fail_next(method, 400, "Bad Request: message is too long", times=10,
                          predicate=lambda call: call.params.get("chat_id") == group)
    await say(tg, olli, '/event create title="Kevätkokous" start="4.12. klo 18" where=helsinki '
                        'description="Tervetuloa"')
    await tg.app.scheduler.advance(3600)  # any retry would be due by now
    await tg.app.settle()
    to_group = [c for c in tg.fake.calls if c.params.get("chat_id") == group and c.method.startswith("send")]
    assert len(to_group) == 1 and to_group[0].error_code == 400  # one try: a BadRequest is final
    row = await tg.app.db.fetchone("SELECT status, attempts, requested_by FROM outbox WHERE destination = ?",
                                   ("announcements",))
    assert row is not None and (row["status"], row["attempts"]) == ("failed", 1)
    person = await tg.app.people.get_or_create("telegram", str(olli.id), "Olli")
    assert row["requested_by"] == person.id
    told = tg.fake.last_bot_message(olli.id).text or ""
    assert "Kevätkokous” could not be posted to announcements on Telegram" in told


async def test_a_flooded_group_costs_only_that_group(tmp_path: Path, fake: FakeTelegram) -> None:
    # A group window of 2 answers per 10 minutes: closed for the rest of the test once two have gone out.
    limiter = SlidingRateLimiter(group_max_rate=2, group_period=600.0)
    tg = await TelegramBot.start(tmp_path, fake, rate_limiter=limiter)
    try:
        group = fake.chats[announcements(tg)]
        students = [fake.user(5000 + n, f"Opiskelija {n}") for n in range(10)]
        for student in students:  # more than the 8 update slots, each within the per-person limits
            fake.send_text(student, "/ping", chat=group)
        await fake.wait_for("sendMessage", lambda call: call.params.get("chat_id") == group.id, count=2)
        for _ in range(1000):  # every group update has handed its answer over: 1 at the limiter, 7 queued
            if tg.frontend.chats.waiting(group.id) == len(students) - 3:
                break
            await asyncio.sleep(0.01)
        outsider = fake.user(5999, "Ulkopuolinen")
        fake.send_text(outsider, "/ping")
        [answer] = await fake.wait_for("sendMessage", lambda call: call.params.get("chat_id") == outsider.id)
        assert answer.ok and fake.last_bot_message(outsider.id).text == "Pong!"
        # The group's answers wait in its own queue, in order; none was lost or sent past the window.
        assert len(fake.bot_messages(group.id)) == 2
        assert tg.frontend.chats.waiting(group.id) + 1 == len(students) - 2  # one more is at the limiter
        tg.frontend.chats.grace = 0.0  # the window stays closed: nothing more would go out
    finally:
        await tg.stop()


async def test_a_dm_goes_out_while_a_flooded_group_waits_for_its_window(tmp_path: Path, fake: FakeTelegram) -> None:
    # A group window of 2 posts per 10 minutes: closed for the rest of the test once two have gone out.
    limiter = SlidingRateLimiter(group_max_rate=2, group_period=600.0)
    tg = await TelegramBot.start(tmp_path, fake, rate_limiter=limiter)
    try:
        group = announcements(tg)
        for n in range(25):
            await tg.app.outbox.to_destination("announcements", Reply(f"Tiedote {n}"))
        await fake.wait_for("sendMessage", lambda call: call.params.get("chat_id") == group, count=2)
        student = fake.user(6101, "Opiskelija")
        person = await tg.app.people.get_or_create("telegram", str(student.id), "Opiskelija")
        await tg.app.outbox.to_person(person.id, Reply("Muistutus: kokous alkaa"))
        [dm] = await fake.wait_for("sendMessage", lambda call: call.params.get("chat_id") == student.id)
        assert dm.ok and fake.last_bot_message(student.id).text == "Muistutus: kokous alkaa"
        # The group's posts wait for its window, in order, one at the limiter: none lost, none sent past it.
        assert [m.text for m in fake.bot_messages(group)] == ["Tiedote 0", "Tiedote 1"]
        pending = await tg.app.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND target_id = ?", (str(group),))
        assert pending == 23
        tg.frontend.chats.grace = 0.0  # the window stays closed: nothing more would go out
    finally:
        await tg.stop()


async def test_group_answers_keep_their_order(tmp_path: Path, fake: FakeTelegram) -> None:
    tg = await TelegramBot.start(tmp_path, fake)
    try:
        group = fake.chats[announcements(tg)]
        olli = fake.user(5101, "Olli")
        for text in ("/ping 1", "/ping 2", "/ping 3"):
            fake.send_text(olli, text, chat=group)
        tg.queued(3)
        await tg.settle()
        asked = [m.message_id for m in fake.messages[group.id] if not m.from_bot]
        answered = [m.reply_to.message_id for m in fake.bot_messages(group.id) if m.reply_to is not None]
        assert len(asked) == 3 and answered == asked
    finally:
        await tg.stop()


class LimiterClock:
    """The limiter's clock, moved by the test: which request goes depends on counts, not on the machine."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never got there")


async def test_an_outbox_dm_goes_out_before_queued_live_edits(tmp_path: Path, fake: FakeTelegram) -> None:
    # 5 requests per 10 minutes overall: edits may use 4 of them, the fifth stays free for a send.
    clock = LimiterClock()
    limiter = SlidingRateLimiter(overall_max_rate=5, overall_period=600.0, clock=clock)
    tg = await TelegramBot.start(tmp_path, fake, rate_limiter=limiter)
    edits: list[asyncio.Task[None]] = []
    try:
        reader, student = fake.user(6001, "Lukija"), fake.user(6002, "Opiskelija")
        card = await tg.frontend.send(Target("user", str(reader.id)), Rendered(text="Tulossa 0"))
        edits = [asyncio.create_task(tg.frontend.edit(card, Rendered(text=f"Tulossa {n}"))) for n in range(1, 11)]
        for step in range(1, 4):  # bulk requests go one per pace (120 s here): three edits
            clock.now = 120.0 * step
            limiter.wake()
            await until(lambda: sum(task.done() for task in edits) == step)  # noqa: B023 (awaited at once)
        clock.now = 480.0
        limiter.wake()  # the edits' share (4 of 5) is used up: none goes
        await until(lambda: limiter.waiting(Lane.EDIT) == 7)
        person = await tg.app.people.get_or_create("telegram", str(student.id), "Opiskelija")
        await tg.app.outbox.to_person(person.id, Reply("Muistutus: kokous alkaa"))
        [dm] = await fake.wait_for("sendMessage", lambda call: call.params.get("chat_id") == student.id)
        assert dm.ok and fake.last_bot_message(student.id).text == "Muistutus: kokous alkaa"
        assert len(fake.calls_of("editMessageText")) == 3  # the other seven edits still wait, behind the DM
        assert sum(not task.done() for task in edits) == 7
    finally:
        for task in edits:
            task.cancel()
        await asyncio.gather(*edits, return_exceptions=True)
        await tg.stop()


async def test_an_answer_goes_out_before_a_queued_broadcast(tmp_path: Path, fake: FakeTelegram) -> None:
    # 2 messages per 10 minutes overall: the broadcast fills the window, then waits with the answer.
    clock = LimiterClock()
    limiter = SlidingRateLimiter(overall_max_rate=2, overall_period=600.0, clock=clock)
    tg = await TelegramBot.start(tmp_path, fake, rate_limiter=limiter)
    try:
        people = [await tg.app.people.get_or_create("telegram", str(7000 + n), f"Opiskelija {n}")
                  for n in range(8)]
        await tg.app.outbox.to_people([(person.id, None) for person in people], Reply("Vuosikokous tänään"))
        await until(lambda: len(tg.outbox_sent) == 1)  # answered: its slot is stamped at clock 0
        clock.now = 300.0  # the outbox's pace (one per 300 s here) lets the second through: the window is full
        limiter.wake()
        await until(lambda: len(tg.outbox_sent) == 2 and limiter.waiting(Lane.SEND) == 6)
        student = fake.user(6201, "Kysyjä")
        fake.send_text(student, "/ping")
        await until(lambda: limiter.waiting(Lane.REPLY) == 1)
        clock.now = 601.0  # the first broadcast message left the window: one slot, and the answer takes it
        limiter.wake()
        [answer] = await fake.wait_for("sendMessage", lambda call: call.params.get("chat_id") == student.id)
        await tg.frontend.wait_handled(1)  # answered: its slot is stamped at clock 601
        assert answer.ok and fake.last_bot_message(student.id).text == "Pong!"
        assert len(fake.calls_of("sendMessage")) == 3 and limiter.waiting(Lane.SEND) == 6
        for step, now in enumerate((901.0, 1201.0, 1501.0), start=1):  # then the broadcast goes on, in turn
            clock.now = now
            limiter.wake()
            await until(lambda: len(tg.outbox_sent) == 2 + step)  # noqa: B023 (awaited at once)
        sent_to = [call.params["chat_id"] for call in fake.calls_of("sendMessage")]
        assert sent_to[:2] + sent_to[3:] == [7000 + n for n in range(5)]
    finally:
        clock.now += 10_000.0  # nothing waits for the frozen clock while the bot stops
        limiter.wake()
        await tg.stop()
