"""Telegram with several bot processes on one database, in webhook mode behind one proxy: the token's flood limits
are shared between the live processes (bot/workers.py, telegram_limits.py); on PostgreSQL a prompt's answer that
reaches another process is handed to the one that asked, and the per-person rate holds over all of them
(bot/fleet.py, bot/frontends/telegram_fleet.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import aiohttp
import pytest

import bot.frontends.telegram_fleet
from bot.commands import Cog, Param, Reply, render_reply
from bot.config import Config, WebSettings
from bot.context import Context
from bot.conversations import Member
from bot.frontends.base import Target
from bot.signing import payload_of
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, TgUser
from tests.scenarios.telegram_driver import TelegramBot, telegram_config

HANG_GUARD = 60.0  # a hang guard, not a timing assertion


def webhook_config(fake: FakeTelegram, command_rate: int = 20) -> Config:
    """Webhook mode through each process's own web server (port 0: each its own port, as behind a proxy)."""
    config = telegram_config(fake)
    webhook = dataclasses.replace(config.telegram, mode="webhook", webhook_url="https://bot.example.org/tg-hook")
    return dataclasses.replace(config, telegram=webhook, bot=dataclasses.replace(config.bot, command_rate=command_rate),
                               web=WebSettings(enabled=True, port=0, base_url="https://bot.example.org"))


greeter = Cog("greeter", "Test greetings", grouped=False)
greeted: list[str] = []  # the worker that ran /greet, each time it ran
ASKED = "What should “Whom” be?"


@greeter.command("Greet someone")
async def greet(ctx: Context, name: Annotated[str, Param("Whom")]) -> Reply:
    greeted.append(ctx.app.worker.id)
    return Reply(f"Hei {name}!")


@asynccontextmanager
async def processes(tmp_path: Path, fake: FakeTelegram, count: int,
                    command_rate: int = 20) -> AsyncIterator[list[TelegramBot]]:
    """`count` bot processes (applications) on one database, each a worker of its own."""
    config = webhook_config(fake, command_rate)
    bots: list[TelegramBot] = []
    try:
        for _ in range(count):
            bots.append(await TelegramBot.start(tmp_path, fake, config, extra_cogs=(greeter,)))
        for each in bots:  # the ones started first count the later ones at their next beat: now, here
            await each.app.worker.present()
        yield bots
    finally:
        for each in bots:
            if each.app.started:
                await each.stop()


async def test_three_processes_keep_to_one_tokens_budget_together(tmp_path: Path) -> None:
    async with FakeTelegram() as fake, processes(tmp_path, fake, 3) as bots:
        assert [b.frontend.limiter.shared_by for b in bots] == [3, 3, 3]
        assert [(b.frontend.limiter._overall.limit, b.frontend.limiter._group_limit) for b in bots] == [(10, 6)] * 3
        fake.flood_limit(per_second=30, per_group_per_minute=None)  # Telegram's limit for the one token
        people = [fake.user(7000 + n, f"Jäsen {n}", "fi") for n in range(90)]
        message = render_reply(Reply("Tiedote"), "fi")

        async def send_share(index: int, bot_: TelegramBot) -> None:  # 30 DMs from each process at once
            await asyncio.gather(*(bot_.frontend.send(Target("user", str(person.id)), message)
                                   for person in people[index::3]))

        await asyncio.wait_for(asyncio.gather(*(send_share(i, b) for i, b in enumerate(bots))), HANG_GUARD)
        assert sum(len(fake.bot_messages(person.id)) for person in people) == 90
        assert fake.flood_429s == 0  # alone, each would have sent 30 a second: 90 a second together
        # One stops: the other two count again and take half each.
        await bots[0].stop()
        for each in bots[1:]:
            await each.app.worker.present()
        assert [b.frontend.limiter.shared_by for b in bots[1:]] == [2, 2]


async def test_one_process_keeps_the_whole_budget(tmp_path: Path) -> None:
    async with FakeTelegram() as fake, processes(tmp_path, fake, 1) as [only]:
        limiter = only.frontend.limiter
        assert limiter.shared_by == 1 and limiter._overall.limit == 30 and limiter._group_limit == 20


async def push(fake: FakeTelegram, bot_: TelegramBot) -> None:
    """Telegram POSTs the update queued last to this process (the proxy chose it); it counts as handled there once
    answered or handed on."""
    update = fake._updates.pop()
    server = bot_.app.web
    assert server is not None
    async with aiohttp.ClientSession() as http:
        answer = await http.post(f"http://127.0.0.1:{server.port}/tg-hook", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": fake.webhook["secret_token"]})
        assert answer.status == 200
    bot_.queued()
    await bot_.settle()


async def texts(fake: FakeTelegram, user: TgUser, count: int) -> list[str]:
    """The bot's messages to `user`, once there are `count` of them."""
    async def arrived() -> None:
        while len(fake.bot_messages(user.id)) < count:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(arrived(), HANG_GUARD)
    return [m.text for m in fake.bot_messages(user.id)]


def button(message: StoredMessage, payload: str) -> str:
    return next(data for data in message.callback_data() if payload_of(data) == payload)


@pytest.mark.postgresql
async def test_an_answer_that_reaches_another_process_completes_the_prompt_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No polling to fall back on: the owner takes a hand-over because PostgreSQL notified it.
    monkeypatch.setattr(bot.frontends.telegram_fleet, "SLOW_SECONDS", 3600.0)
    greeted.clear()
    async with FakeTelegram() as fake, processes(tmp_path, fake, 2) as [asker, other]:
        user = fake.user(501, "Olli", "en")
        fake.send_text(user, "/greet")
        await push(fake, asker)
        assert await texts(fake, user, 1) == [ASKED]
        fake.send_text(user, "Maija")
        await push(fake, other)  # the proxy sent the answer to the other process: it hands it to the asker
        asker.queued()
        await asker.settle()
        assert (await texts(fake, user, 2))[1] == "Hei Maija!"
        assert greeted == [asker.app.worker.id]
        assert other.frontend.hand_over is not None and other.frontend.hand_over.handed == 1
        assert await asker.app.db.fetchval("SELECT COUNT(*) FROM prompt_owners") == 0
        assert await asker.app.db.fetchval("SELECT COUNT(*) FROM handoffs") == 0
        # A prompt asked by the other process, cancelled by a button press that reaches the first one.
        fake.send_text(user, "/greet")
        await push(fake, other)
        question = fake.bot_messages(user.id)[-1]
        assert (await texts(fake, user, 3))[2] == ASKED
        fake.press(user, question, button(question, "core:cancel"))
        await push(fake, asker)
        other.queued()
        await other.settle()
        assert [m.text for m in fake.bot_messages(user.id)][2:] == ["Cancelled."]  # the question, edited
        assert greeted == [asker.app.worker.id]
        assert asker.frontend.hand_over is not None and asker.frontend.hand_over.handed == 1
        # Nothing is open: a line that is no answer is answered where it arrives.
        fake.send_text(user, "Maija")
        await push(fake, asker)
        assert (await texts(fake, user, 4))[3].startswith("I understand commands")


@pytest.mark.postgresql
async def test_a_message_held_for_a_choice_of_conversation_is_sent_by_the_process_holding_it(
        tmp_path: Path) -> None:
    async with FakeTelegram() as fake, processes(tmp_path, fake, 2) as [holder, other]:
        user, aino_user = fake.user(503, "Olli", "en"), fake.user(504, "Aino", "en")
        app = holder.app
        olli = (await app.people.get_or_create("telegram", str(user.id), "Olli", "en")).id
        aino = (await app.people.get_or_create("telegram", str(aino_user.id), "Aino", "en")).id
        await app.conversations.open("study", "Matikka", [Member.person(olli), Member.person(aino)])
        await app.conversations.open("study", "Fysiikka", [Member.person(olli), Member.person(aino)])
        fake.send_text(user, "Milloin tavataan?")
        await push(fake, holder)  # in two conversations: held here until Olli picks one
        question = fake.bot_messages(user.id)[-1]
        assert "several conversations" in (question.text or "")
        fake.press(user, question, question.callback_data()[0])
        await push(fake, other)  # the press reaches the other process: handed to the holder
        holder.queued()
        await holder.settle()
        assert fake.bot_messages(user.id)[-1].text == "Sent to “Matikka”."
        await holder.app.settle()
        relayed = [m.text or "" for m in fake.bot_messages(aino_user.id)]
        assert len([t for t in relayed if "Milloin tavataan?" in t]) == 1 and "Matikka" in relayed[-1]
        assert await app.db.fetchval("SELECT COUNT(*) FROM prompt_owners") == 0


@pytest.mark.postgresql
async def test_the_per_person_rate_holds_over_both_processes(tmp_path: Path) -> None:
    async with FakeTelegram() as fake, processes(tmp_path, fake, 2, command_rate=4) as bots:
        user = fake.user(502, "Sanni", "en")
        for turn in range(7):  # the proxy alternates: 4, 3 or fewer reach each process
            fake.send_text(user, f"/ping {turn}")
            await push(fake, bots[turn % 2])
        replies = await texts(fake, user, 5)
        assert [t.split(":")[0] for t in replies] == ["Pong"] * 4 + [
            "You are sending commands too fast. Wait a moment and try again."]
        assert len(fake.bot_messages(user.id)) == 5  # told once; the rest unanswered
