"""One event, one RSVP list, on both platforms at once (issue #15).

ONE Application runs the real Telegram frontend (python-telegram-bot against FakeTelegram) and the real Discord
frontend (discord.py against FakeDiscord). An event is announced to `announcements`, which maps to a Discord
channel and a Telegram group; presses on either copy must move the counts on both, through the core's live
copies (bot/live.py), within each platform's limits. The console side of the same flow (the card in
#announcements edited after RSVPs, cancel, the end of an event) is covered in tests/test_events.py
(`test_rsvp_counts_update_on_every_posted_copy`) and tests/test_events_manage.py.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application
from bot.clock import Clock
from bot.commands import Cog, Rendered
from bot.config import Config
from bot.context import Context, Origin
from bot.core import Core
from bot.frontends.base import Sent
from bot.frontends.discord import DiscordFrontend
from bot.frontends.telegram import TelegramFrontend
from bot.signing import payload_of
from tests.fakes.discord_server import FakeDiscord, FakeMember, FakeUser
from tests.fakes.telegram_api import CallbackPress, FakeTelegram, StoredMessage, TgUser
from tests.harness import TEST_NOW
from tests.harness import test_config as example_config
from tests.scenarios.discord_driver import discord_config, guild_for, with_role_ids
from tests.scenarios.telegram_driver import telegram_config

TITLE = "Syyskokous"
CREATE = ('/event create title={title} start="4.12. klo 18" end="4.12. klo 20" where=online '
          'link=https://meet.example/syys description="Tervetuloa kaikki"')
DISCORD_USER_BASE = 610000000000000001
TELEGRAM_USER_BASE = 810001


@dataclass
class EditLog:
    """When each copy's successful edits ended (and began; monotonic): the tests count them, the bench times them."""

    times: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)
    spans: dict[tuple[str, str, str], list[tuple[float, float]]] = field(default_factory=dict)

    def record(self, platform: str, sent: Sent, began: float) -> None:
        key = (platform, sent.chat_id, sent.message_id)
        now = time.monotonic()
        self.times.setdefault(key, []).append(now)
        self.spans.setdefault(key, []).append((began, now))

    def count(self, platform: str, chat_id: int | str, message_id: int | str) -> int:
        return len(self.times.get((platform, str(chat_id), str(message_id)), []))

    def last(self, platform: str, chat_id: int | str, message_id: int | str) -> float:
        return self.times[(platform, str(chat_id), str(message_id))][-1]


class TwoPlatforms:
    """The bot on both fakes at once, a frozen bot clock, and helpers to press and read either copy."""

    def __init__(self, app: Application, tg: FakeTelegram, dc: FakeDiscord, telegram: TelegramFrontend,
                 discord: DiscordFrontend) -> None:
        self.app, self.tg, self.dc, self.telegram, self.discord = app, tg, dc, telegram, discord
        self.updates = 0  # Telegram updates queued so far (the frontend counts the handled ones)
        self.edits = EditLog()
        self.pressed: list[tuple[str, Origin | None]] = []  # (action, origin) as core.press saw them
        self.tg_group = int(app.config.destinations["announcements"].telegram_chat_id or 0)
        self.dc_channel = int(app.config.destinations["announcements"].discord_channel_id or 0)
        self._tg_ids = itertools.count(TELEGRAM_USER_BASE)
        self._dc_ids = itertools.count(DISCORD_USER_BASE)
        self._wrap()

    def _wrap(self) -> None:
        """Record every successful live edit and every press's origin, without changing what they do."""
        for frontend in (self.telegram, self.discord):
            original = frontend.edit

            async def edit(sent: Sent, message: Rendered, *, _original: Any = original,
                           _platform: str = frontend.platform) -> None:
                began = time.monotonic()
                await _original(sent, message)
                self.edits.record(_platform, sent, began)

            frontend.edit = edit  # type: ignore[method-assign]
        press = self.app.core.press

        async def recording_press(ctx: Context, action: str) -> Any:
            self.pressed.append((payload_of(action), ctx.origin))
            return await press(ctx, action)

        self.app.core.press = recording_press  # type: ignore[method-assign]

    @classmethod
    async def start(cls, data_dir: Path, tg: FakeTelegram, *, live_edit_seconds: float,
                    extra_cogs: tuple[Cog, ...] = (), cogs: tuple[str, ...] = ("ping", "events"),
                    settings: dict[str, dict[str, Any]] | None = None) -> TwoPlatforms:
        base = with_role_ids(example_config(cogs=list(cogs), settings=settings, live_edit_seconds=live_edit_seconds))
        # team_chats=False keeps the Discord role ids next to the example's Telegram team chats.
        config: Config = telegram_config(tg, base, team_chats=False)
        return await cls.on_config(data_dir, tg, config, extra_cogs=extra_cogs)

    @classmethod
    async def on_config(cls, data_dir: Path, tg: FakeTelegram, config: Config, *,
                        extra_cogs: tuple[Cog, ...] = ()) -> TwoPlatforms:
        """Both real frontends started on `config` (already pointed at the fake Telegram) and a fake Discord."""
        dc = await FakeDiscord(guild_for(config)).start()
        app = Application(discord_config(dc, config), data_dir, clock=Clock(frozen_at=TEST_NOW))
        if extra_cogs:  # test-only cogs go through the same registration as configured ones
            app.cogs += list(extra_cogs)
            app.core = Core(app, app.cogs)
        telegram = TelegramFrontend(app, poll_interval=0.0, poll_timeout=1)
        discord = DiscordFrontend(app, guild_ready_timeout=0.05)
        app.add_frontend(telegram)
        app.add_frontend(discord)
        try:
            await app.start()
        except BaseException:
            await dc.stop()
            raise
        for name, destination in app.config.destinations.items():
            if destination.telegram_chat_id is not None:
                tg.group(destination.telegram_chat_id, name)
        return cls(app, tg, dc, telegram, discord)

    async def stop(self) -> None:
        try:
            await self.app.stop()
        finally:
            await self.dc.stop()

    # ------------------------------------------------------------------------------------------ people

    def tg_user(self, name: str, language: str = "fi", roles: tuple[str, ...] = ()) -> TgUser:
        user = self.tg.user(next(self._tg_ids), name, language_code=language)
        for role in roles:
            for chat_id in self.app.config.roles[role].telegram_chat_ids:
                self.tg.set_member(chat_id, user.id, "member")
        return user

    def dc_user(self, name: str) -> int:
        user = FakeUser(next(self._dc_ids), name.lower(), global_name=name)
        self.dc.users[user.id] = user
        self.dc.guild.members.append(FakeMember(user, []))
        return user.id

    # ----------------------------------------------------------------------------------------- actions

    async def tg_say(self, user: TgUser, text: str) -> None:
        self.tg.send_text(user, text)
        self.updates += 1
        await self.settle()

    def tg_press(self, user: TgUser, message: StoredMessage, answer: str) -> CallbackPress:
        data = next(d for d in message.callback_data() if payload_of(d).endswith(f":{answer}"))
        self.updates += 1
        return self.tg.press(user, message, data)

    async def dc_press(self, user_id: int, message_id: int, answer: str, locale: str = "fi") -> float:
        """Press on a Discord card; returns the seconds until the interaction was answered (for the bench)."""
        message = self.dc.message(message_id)
        assert message is not None, "the Discord card is gone"
        custom_id = next(b["custom_id"] for row in message["components"] for b in row["components"]
                         if payload_of(b.get("custom_id", "")).endswith(f":{answer}"))
        started = time.monotonic()
        handle = await self.dc.press(custom_id, message_id=message_id, user_id=user_id, locale=locale)
        await handle.response(timeout=3.0)
        answered = time.monotonic() - started
        await self.discord.wait_handled(handle.id)
        return answered

    async def settle(self) -> None:
        await self.telegram.wait_handled(self.updates)
        await self.app.settle()

    # ------------------------------------------------------------------------------------------ reading

    def tg_card(self, chat_id: int | None = None, title: str = TITLE) -> StoredMessage:
        [card] = [m for m in self.tg.bot_messages(chat_id or self.tg_group) if title in (m.text or "")]
        return card

    def dc_card(self, title: str = TITLE) -> dict[str, Any]:
        [card] = [m for m in self.dc.channel_messages(self.dc_channel)
                  if any(title in (e.get("title") or "") for e in m.get("embeds") or [])]
        return card

    def dc_text(self, message_id: int | str) -> str:
        message = self.dc.message(int(message_id))
        assert message is not None, f"Discord message {message_id} is gone"
        embed = message["embeds"][0]
        fields = [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        return "\n".join([embed.get("title") or "", embed.get("description") or "", *fields])

    def dc_buttons(self, message_id: int | str) -> list[str]:
        message = self.dc.message(int(message_id))
        assert message is not None
        return [b.get("label", "") for row in message.get("components") or [] for b in row["components"]]

    def tg_buttons(self, message: StoredMessage) -> list[str]:
        return [b["text"] for b in message.buttons()]

    def tg_answer(self, press: CallbackPress) -> str | None:
        calls = [c for c in self.tg.calls_of("answerCallbackQuery")
                 if c.params.get("callback_query_id") == press.query_id and c.ok]
        assert len(calls) == 1, "every press is answered exactly once"
        return calls[0].params.get("text")

    def dc_edits(self, message_id: int | str) -> int:
        return len(self.dc.calls_to("PATCH", rf"^/channels/{self.dc_channel}/messages/{message_id}$",
                                    include_429=False))

    async def live_rows(self) -> list[tuple[str, str, str, str]]:
        rows = await self.app.db.fetchall("SELECT platform, chat_id, message_id, language FROM live_copies"
                                          " ORDER BY id")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    async def announce(self, title: str = TITLE) -> tuple[StoredMessage, dict[str, Any]]:
        """Olli (an organiser through his Telegram team chat) creates the event; both copies are posted."""
        olli = self.tg_user("Olli", roles=("organiser",))
        await self.tg_say(olli, CREATE.format(title=title))
        assert "luotu" in (self.tg.last_bot_message(olli.id).text or "")
        return self.tg_card(title=title), self.dc_card(title)


@pytest.fixture
async def both(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[TwoPlatforms]:
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=0.0)
    rig.discord.edit_interval = 0.0  # these tests check what is edited, not the pacing (the burst test does)
    rig.telegram.group_edit_seconds = 0.0
    rig.discord.defer_after = 60.0  # presses are answered directly, however busy the machine (deferral: own test)
    try:
        yield rig
    finally:
        await rig.stop()


def going_line(text: str) -> str:
    return next(line for line in text.splitlines() if "Tulossa" in line or "Going" in line)


# ------------------------------------------------------------------------------------------------- tests

async def test_a_press_on_either_platform_moves_the_count_on_the_other(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    assert {(p, c) for p, c, _m, _l in await both.live_rows()} == {
        ("telegram", str(both.tg_group)), ("discord", str(both.dc_channel))}
    assert "Tulossa 0 · Ehkä 0" in tg_card.text and "Tulossa 0 · Ehkä 0" in both.dc_text(dc_card["id"])

    # Telegram -> Discord: the callback is answered with the notice as its toast, the Discord card follows.
    sanni = both.tg_user("Sanni")
    press = both.tg_press(sanni, tg_card, "yes")
    await both.settle()
    assert both.pressed[-1] == ("ev:rsvp:1:yes", Origin("telegram", str(both.tg_group), str(tg_card.message_id)))
    assert both.tg_answer(press) == f"Olet tulossa: {TITLE}."  # Sanni's Telegram is in Finnish
    assert "Osallistujat: Tulossa 1 · Ehkä 0" in both.dc_text(dc_card["id"])
    assert "Tulossa 1 · Ehkä 0" in (tg_card.text or "")

    # Discord -> Telegram: the interaction is answered directly (not deferred), privately, in the presser's
    # language.
    emma = both.dc_user("Emma")
    await both.dc_press(emma, int(dc_card["id"]), "maybe", locale="en-GB")
    await both.settle()
    assert both.pressed[-1] == ("ev:rsvp:1:maybe", Origin("discord", str(both.dc_channel), dc_card["id"]))
    notices = [c.json for c in both.dc.calls_to("POST", r"^/interactions/\d+/[^/]+/callback$") if c.json]
    assert notices[-1]["data"]["flags"] & 64 and TITLE in notices[-1]["data"]["content"]
    assert "maybe" in notices[-1]["data"]["content"]  # Emma's Discord is in English
    assert "Tulossa 1 · Ehkä 1" in (tg_card.text or "")  # the group copy stays in the destination's Finnish
    assert "Tulossa 1 · Ehkä 1" in both.dc_text(dc_card["id"])
    assert both.tg_buttons(tg_card) == ["Tulen", "Ehkä", "En tule"]
    assert both.dc_buttons(dc_card["id"]) == ["Tulen", "Ehkä", "En tule"]


async def test_a_discord_answer_asks_for_its_message_only_when_it_is_kept_current(both: TwoPlatforms) -> None:
    """An answer that shows a stored thing (/event show) asks Discord for the message it made, to keep that copy
    current; a plain answer (/ping) does not (Discord answers 204), and it still reads and presses as usual."""
    tg_card, _dc_card = await both.announce()
    pekka = both.dc_user("Pekka")
    shown = await both.dc.slash("event show", {"event": "1"}, user_id=pekka, channel_id=both.dc_channel)
    await both.discord.wait_handled(shown.id)
    asked = await shown.response()
    assert (asked.status, asked.query.get("with_response")) == (200, "1")
    copy = shown.original_message()
    assert copy is not None and ("discord", str(copy["channel_id"]), copy["id"], "fi") in await both.live_rows()

    pinged = await both.dc.slash("ping", user_id=pekka, channel_id=both.dc_channel)
    await both.discord.wait_handled(pinged.id)
    plain = await pinged.response()
    assert plain.status == 204 and "with_response" not in plain.query
    message = pinged.original_message()
    assert message is not None and message["content"] == "Pong!"
    assert pinged._record.response_type == 4  # answered: Discord counts it as the interaction's response

    await both.dc_press(pekka, int(copy["id"]), "yes")  # the kept copy moves with the press
    await both.settle()
    assert "Tulossa 1" in both.dc_text(copy["id"]) and "Tulossa 1" in (tg_card.text or "")


async def test_a_dm_copy_is_kept_in_its_readers_language(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    emma = both.tg_user("Emma", language="en")
    await both.tg_say(emma, "/event show 1")
    dm = both.tg_card(emma.id)
    assert "Going 0 · Maybe 0" in (dm.text or "")
    assert ("telegram", str(emma.id), str(dm.message_id), "en") in await both.live_rows()

    await both.dc_press(both.dc_user("Pekka"), int(dc_card["id"]), "yes")
    await both.settle()
    assert "Going 1 · Maybe 0" in (dm.text or "") and [b["text"] for b in dm.buttons()] == [
        "Going", "Maybe", "Not going"]
    assert "Tulossa 1 · Ehkä 0" in (tg_card.text or "")
    press = both.tg_press(emma, dm, "maybe")  # a press on the DM copy moves the group copies too
    await both.settle()
    assert "maybe" in (both.tg_answer(press) or "")
    assert "Tulossa 1 · Ehkä 1" in (tg_card.text or "") and "Tulossa 1 · Ehkä 1" in both.dc_text(dc_card["id"])
    assert "Going 1 · Maybe 1" in (dm.text or "")


class PacingClock:
    """Stands in for the `time` module of bot/live.py: the pacing of live edits sees only the time the test
    lets pass, so which presses are coalesced does not depend on how fast a busy machine runs the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def test_fifty_presses_are_coalesced_on_both_copies(tmp_path: Path, tg: FakeTelegram,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.live

    pacing = PacingClock()
    monkeypatch.setattr(bot.live, "time", pacing)
    interval = 1.0  # config.bot.live_edit_seconds; a Telegram group card keeps to 3 s whatever it says
    rig = await TwoPlatforms.start(tmp_path, tg, live_edit_seconds=interval)
    try:
        rig.discord.defer_after = 60.0  # every press answers directly (deferral has its own test)
        tg_card, dc_card = await rig.announce()
        tg_key = ("telegram", str(rig.tg_group), str(tg_card.message_id))
        dc_key = ("discord", str(rig.dc_channel), str(dc_card["id"]))
        dc_patch = rf"^/channels/{rig.dc_channel}/messages/{dc_card['id']}$"
        tg_people = [rig.tg_user(f"T{i}") for i in range(25)]
        dc_people = [rig.dc_user(f"D{i}") for i in range(25)]
        answers = ["yes", "yes", "maybe"]  # 2 of 3 going, 1 of 3 maybe, on each platform
        presses: list[CallbackPress] = []
        dc_answers: list[asyncio.Task[float]] = []
        for i in range(25):  # 50 presses, alternating platforms, while no pacing time passes
            presses.append(rig.tg_press(tg_people[i], tg_card, answers[i % 3]))
            await asyncio.sleep(0)
            dc_answers.append(asyncio.create_task(rig.dc_press(dc_people[i], int(dc_card["id"]), answers[i % 3])))
            await asyncio.sleep(0)
        await asyncio.gather(*dc_answers)
        await rig.telegram.wait_handled(rig.updates)

        # Every press was answered (Discord's interaction, Telegram's toast) while the edits waited their turn.
        assert all(rig.tg_answer(p) for p in presses)
        callbacks = rig.dc.calls_to("POST", r"^/interactions/\d+/[^/]+/callback$", include_429=False)
        assert sum(1 for c in callbacks if (c.json or {}).get("type") == 4) == 25
        # The first press edited each copy at once (those edits run on their own tasks: wait until they are
        # made, however slowly a busy machine runs them); the other 49 are coalesced into the next edit.
        await rig.dc.wait_for_call("PATCH", dc_patch, timeout=30, count=1, include_429=False)
        for _ in range(3000):
            if rig.edits.times.get(tg_key):
                break
            await asyncio.sleep(0.01)
        for _ in range(20):  # nothing more comes while no pacing time passes
            await asyncio.sleep(0)
        assert len(rig.edits.times.get(tg_key, [])) == 1 and len(rig.dc.calls_to("PATCH", dc_patch)) == 1

        # One interval later the Discord copy gets its last edit, showing every press, with no further press;
        # the Telegram group copy still waits for its 3 s.
        going, maybe = 2 * sum(1 for i in range(25) if answers[i % 3] == "yes"), 2 * 8
        final = f"Tulossa {going} · Ehkä {maybe}"
        assert going + maybe == 50 and final not in (tg_card.text or "")
        pacing.advance(interval)
        await rig.dc.wait_for_call("PATCH", dc_patch, timeout=10, count=2, include_429=False)
        assert final in rig.dc_text(dc_card["id"])
        assert len(rig.edits.times.get(tg_key, [])) == 1 and final not in (tg_card.text or "")
        pacing.advance(3.0 - interval)
        await rig.settle()
        assert final in (tg_card.text or "") and final in rig.dc_text(dc_card["id"])
        assert (len(tg_card.history), len(rig.edits.times[tg_key])) == (2, 2)
        assert (rig.dc_edits(dc_card["id"]), len(rig.edits.times[dc_key])) == (2, 2)
    finally:
        await rig.stop()


async def test_a_deleted_copy_is_dropped_and_the_others_keep_updating(
        both: TwoPlatforms, caplog: pytest.LogCaptureFixture) -> None:
    tg_card, dc_card = await both.announce()
    emma = both.tg_user("Emma", language="en")
    await both.tg_say(emma, "/event show 1")
    dm = both.tg_card(emma.id)
    assert len(await both.live_rows()) == 3

    # Someone deleted the Discord card: the fake answers 404 Unknown Message (10008) to the edit.
    both.dc._remove_message(int(dc_card["id"]))
    caplog.set_level(logging.INFO, logger="bot.live")
    both.tg_press(both.tg_user("Sanni"), tg_card, "yes")
    await both.settle()
    assert "discord" not in {p for p, *_rest in await both.live_rows()}
    assert "dropping discord copy" in caplog.text
    assert "Tulossa 1" in (tg_card.text or "") and "Going 1" in (dm.text or "")

    # Then the Telegram group card: the fake answers "message to edit not found".
    both.tg.messages[both.tg_group].remove(tg_card)
    both.tg_press(emma, dm, "maybe")
    await both.settle()
    assert await both.live_rows() == [("telegram", str(emma.id), str(dm.message_id), "en")]
    assert "Going 1 · Maybe 1" in (dm.text or "")
    edits = [c for c in both.tg.calls_of("editMessageText") if c.params["chat_id"] == both.tg_group]
    assert "message to edit not found" in (edits[-1].description or "")
    both.tg_press(both.tg_user("Aino"), dm, "yes")  # nothing crashed: still answering, still editing
    await both.settle()
    assert "Going 2 · Maybe 1" in (dm.text or "") and len(dm.history) == 3


async def test_a_bot_removed_from_the_chat_loses_those_copies_only(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    emma = both.tg_user("Emma", language="en")
    await both.tg_say(emma, "/event show 1")
    dm = both.tg_card(emma.id)
    # Discord: Missing Access (50001) after losing the channel; Telegram: 403 after being kicked from the group.
    both.dc.fail_next("PATCH", rf"^/channels/{both.dc_channel}/messages/", 403, 50001, "Missing Access")
    both.tg.fail_next("editMessageText", 403, "Forbidden: bot was kicked from the supergroup chat",
                      predicate=lambda call: call.params.get("chat_id") == both.tg_group)
    both.tg_press(emma, dm, "yes")
    await both.settle()
    assert await both.live_rows() == [("telegram", str(emma.id), str(dm.message_id), "en")]
    assert "Going 1" in (dm.text or "")
    assert "Tulossa 0" in (tg_card.text or "") and "Tulossa 0" in both.dc_text(dc_card["id"])
    # The metrics saw it: one edit, two copies gone.
    sample = both.app.metrics.registry.get_sample_value
    assert sample("humako_live_edits_total", {"platform": "telegram", "result": "edited"}) == 1
    assert sample("humako_live_edits_total", {"platform": "telegram", "result": "gone"}) == 1
    assert sample("humako_live_edits_total", {"platform": "discord", "result": "gone"}) == 1


async def test_cancel_edits_both_copies_once_and_removes_their_buttons(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    both.tg_press(both.tg_user("Sanni"), tg_card, "yes")
    await both.settle()
    tg_before, dc_before = len(tg_card.history), both.dc_edits(dc_card["id"])

    olli = next(u for u in both.tg.users.values() if u.first_name == "Olli")
    await both.tg_say(olli, '/event cancel event=1 reason="Sali on varattu"')
    assert len(tg_card.history) == tg_before  # asked first: nothing changed yet
    [question] = [m for m in both.tg.bot_messages(olli.id) if "Perutaanko" in (m.text or "")]
    both.tg_press(olli, question, "1")  # "Peru tapahtuma": ev:cancel_all:1
    await both.settle()
    assert len(tg_card.history) == tg_before + 1 and both.dc_edits(dc_card["id"]) == dc_before + 1
    assert (tg_card.text or "").startswith(f"PERUTTU: #1 {TITLE}") and "Sali on varattu" in (tg_card.text or "")
    assert tg_card.reply_markup is None and both.tg_buttons(tg_card) == []
    assert both.dc_text(dc_card["id"]).startswith(f"PERUTTU: #1 {TITLE}")
    assert both.dc_card()["components"] == []
    last_patch = both.dc.calls_to("PATCH", rf"^/channels/{both.dc_channel}/messages/{dc_card['id']}$")[-1]
    assert last_patch.json["components"] == []
    assert "Tulossa 1" in (tg_card.text or "") and "Tulossa 1" in both.dc_text(dc_card["id"])


async def test_an_event_that_has_ended_keeps_its_counts_and_loses_its_buttons(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    both.tg_press(both.tg_user("Sanni"), tg_card, "yes")
    await both.dc_press(both.dc_user("Pekka"), int(dc_card["id"]), "maybe")
    await both.settle()

    await both.app.scheduler.advance(9 * 24 * 3600)  # from 26.11. 14:00 past 4.12. 20:00 (local)
    await both.settle()
    for text in (tg_card.text or "", both.dc_text(dc_card["id"])):
        assert "Tämä tapahtuma on jo ohi" in text and "Tulossa 1 · Ehkä 1" in text
    assert both.tg_buttons(tg_card) == [] and both.dc_buttons(dc_card["id"]) == []


async def test_an_edit_that_fails_for_a_while_is_retried_until_the_copy_is_current(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    # Telegram is briefly down (502) for the group's edit; Discord answers 503 (discord.py retries those itself).
    both.tg.fail_next("editMessageText", 502, "Bad Gateway",
                      predicate=lambda call: call.params.get("chat_id") == both.tg_group)
    both.tg_press(both.tg_user("Sanni"), tg_card, "yes")
    await both.settle()
    assert "Tulossa 1" in both.dc_text(dc_card["id"])
    assert "Tulossa 1" in (tg_card.text or ""), "a transient failure must not leave the copy stale"
    assert len(await both.live_rows()) == 2  # and the copy is kept


async def test_one_platform_waiting_does_not_hold_up_the_other(both: TwoPlatforms) -> None:
    tg_card, dc_card = await both.announce()
    # Telegram keeps us waiting (a 429 pause, a slow network): its edit is held until the test lets it go.
    # The Discord copy must be edited meanwhile, not after it.
    release = asyncio.Event()
    telegram_edit = both.telegram.edit

    async def held(sent: Sent, message: Rendered) -> None:
        await release.wait()
        await telegram_edit(sent, message)

    both.telegram.edit = held  # type: ignore[method-assign]
    both.tg_press(both.tg_user("Sanni"), tg_card, "yes")
    await both.telegram.wait_handled(both.updates)
    await both.dc.wait_for_call("PATCH", rf"^/channels/{both.dc_channel}/messages/{dc_card['id']}$", timeout=10)
    assert "Tulossa 1" in both.dc_text(dc_card["id"])
    assert both.edits.count("telegram", both.tg_group, tg_card.message_id) == 0 and "Tulossa 0" in (tg_card.text or "")
    release.set()
    await both.settle()
    assert "Tulossa 1" in (tg_card.text or "")
