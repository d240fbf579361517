"""Sealed delivery (bot/sealed.py) through the test cog tests/cogs/sealed_demo.py: a route sealed from a console
and from a Telegram person reaches the right account, while no database row of it names them; rotate-key;
keyed sender hashes; start-up refuses a missing or weak secret when a cog needs it."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Reply
from bot.config import Config
from bot.context import Account, ServiceContext
from bot.frontends.base import RetryLater
from bot.sealed import SEALED, StartRefused
from storage.db import Database, is_postgresql_url
from tests.cogs.sealed_demo import demo_cog
from tests.debug_logs import bot_debug_logging
from tests.fakes.telegram_api import FakeTelegram, TgUser
from tests.harness import ROOT, TEST_NOW, ConsoleBot, texts
from tests.harness import test_config as make_config
from tests.personal_helpers import link_code, rows, start_with_telegram
from tests.scenarios.telegram_driver import TelegramBot, telegram_config

KEY = "sealed-test-secret-0123456789-abcdefghijklmnop"
NEW_KEY = "sealed-test-secret-rotated-9876543210-zyxwvuts"
SENDER = "annika_anonymous"  # a console account id no random ciphertext will spell by chance


def keyed(config: Config, key: str | None = KEY) -> Config:
    return dataclasses.replace(config, secrets=dataclasses.replace(config.secrets, secret_key=key))


async def cells(db: Database) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every cell of every table."""
    found = []
    for table in await db.tables():
        for row in await db.fetchall(f'SELECT * FROM "{table}"'):
            found += [(table, column, row[column]) for column in row.keys()]  # noqa: SIM118 - sqlite Row
    return found


async def assert_names_nobody(db: Database, user_id: str, person_id: int) -> None:
    """No sealed row has a person column or holds the account id; no table but people/accounts holds the id."""
    assert set(await db.columns("sealed_routes")) == {"handle", "route", "language"}
    assert "sealed_routes" not in {table for table, _column, _action in await db.foreign_keys_to("people")}
    sealed_rows = {r["id"] for r in await db.fetchall(f"SELECT id FROM outbox WHERE target_kind = '{SEALED}'")}
    everywhere = await cells(db)
    holding_id = [c for c in everywhere if c[0] not in ("people", "accounts") and user_id in str(c[2])]
    assert holding_id == []
    outbox_columns = await db.columns("outbox")
    people_columns = {column for table, column, _action in await db.foreign_keys_to("people") if table == "outbox"}
    for row in await db.fetchall("SELECT * FROM outbox"):
        if row["id"] in sealed_rows:
            assert {name: row[name] for name in people_columns} == dict.fromkeys(people_columns)
            assert row["platform"] == SEALED and row["destination"] is None
            assert person_id not in [row[c] for c in outbox_columns if "person" in c or c in people_columns]


@pytest.fixture
async def anon(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    bot = await ConsoleBot.start(tmp_path, config=keyed(make_config()), extra_cogs=(demo_cog(),))
    try:
        yield bot
    finally:
        await bot.stop()


async def test_a_console_sender_gets_the_answer_and_no_row_names_them(anon: ConsoleBot) -> None:
    out = texts(await anon.say("/anon send Kurssi on liian raskas", as_=SENDER, where="dm"))
    assert "Sent without your name as #1." in out
    assert [p.text for p in anon.sent_to("#board")] == ["Feedback #1: Kurssi on liian raskas"]
    person_id = (await rows(anon, "SELECT person_id FROM accounts WHERE platform_user_id = ?", (SENDER,)))[0]
    await anon.say("/anon send Toinen palaute", as_="olli", where="dm")
    assert "Answer sent." in texts(await anon.say("/anon answer 1 Kiitos, katsotaan", as_="henna", roles="board"))
    assert [p.text for p in anon.sent_to(f"@{SENDER}")] == ["Answer to your feedback #1: Kiitos, katsotaan"]
    assert anon.sent_to("@olli") == []
    # Only the sender may add to their case: the route says so, nothing stored names them.
    assert "Added to #1." in texts(await anon.say("/anon more 1 Varsinkin tentit", as_=SENDER, where="dm"))
    assert "Feedback #1 is not yours." in texts(await anon.say("/anon more 1 Ei ole minun", as_="olli", where="dm"))
    assert [p.text for p in anon.sent_to("#board")][-1] == "Feedback #1, more: Varsinkin tentit"
    # Delivered: the row is gone; the route is ciphertext without a time; nothing anywhere names the sender.
    assert await rows(anon, f"SELECT id FROM outbox WHERE target_kind = '{SEALED}'") == []
    routes = await rows(anon, "SELECT route FROM sealed_routes")
    assert len(routes) == 2 and len({len(r["route"]) for r in routes}) == 1  # padded: "olli" is shorter
    assert all(r["route"].startswith("gAAAAAAAAAAA") for r in routes)  # Fernet version byte, time 0
    await assert_names_nobody(anon.app.db, SENDER, person_id["person_id"])


async def test_closed_or_forgotten_routes_reach_no_one(anon: ConsoleBot) -> None:
    await anon.say("/anon send Eka", as_=SENDER, where="dm")
    await anon.say("/anon send Toka", as_="olli", where="dm")
    mydata = (await anon.say("/mydata", as_=SENDER))[0]
    assert json.loads(mydata.file_data["mydata.json"])["sealed_routes_to_you"] == 1
    asked = await anon.say("/forgetme")
    await anon.click(1, message=asked[0].number)
    assert len(await rows(anon, "SELECT handle FROM sealed_routes")) == 1  # Olli's stays
    out = texts(await anon.say("/anon answer 1 Vastaus", as_="henna", roles="board"))
    assert "That sender can no longer be reached." in out
    assert "#2 closed." in texts(await anon.say("/anon close 2"))
    assert "can no longer be reached" in texts(await anon.say("/anon answer 2 Vastaus"))
    assert await rows(anon, "SELECT * FROM sealed_routes") == [] and anon.sent_to("@olli") == []
    assert "No feedback #3." in texts(await anon.say("/anon answer 3 Kenelle"))


async def test_the_keyed_sender_hash_follows_a_person_across_linked_accounts(anon: ConsoleBot) -> None:
    await anon.say("/anon send Eka", as_="olli", where="dm")
    code = link_code(texts(await anon.say("/link")))
    await anon.say(f"/link {code}", as_="olli_toinen")
    assert "The sender of #1 is blocked." in texts(await anon.say("/anon block 1", as_="henna", roles="board"))
    assert "cannot send feedback" in texts(await anon.say("/anon send Taas", as_="olli_toinen", where="dm"))
    assert "cannot send feedback" in texts(await anon.say("/anon send Taas", as_="olli"))
    assert "Sent without your name as #2." in texts(await anon.say("/anon send Oma", as_="anna", where="dm"))

    sealed = anon.app.sealed
    olli, anna = (await rows(anon, "SELECT id FROM people ORDER BY id"))[:2]
    once = sealed.keyed_hash("anon-block", olli["id"])
    assert once == sealed.keyed_hash("anon-block", olli["id"]) and len(once) == 32
    assert once != sealed.keyed_hash("anon-rate", olli["id"]) != sealed.keyed_hash("anon-rate", anna["id"])
    assert once != sealed.keyed_hash("anon-block", anna["id"])
    with pytest.raises(ValueError):
        sealed.keyed_hash("", olli["id"])


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with bot_debug_logging(caplog, KEY):
        yield


async def test_a_telegram_sender_is_answered_in_their_own_chat(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                               debug_logging: None) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTelegram() as fake:
        tg = await TelegramBot.start(tmp_path, fake, config=keyed(telegram_config(fake)), extra_cogs=(demo_cog(),))
        try:
            aino, eero = fake.user(7_350_001, "Aino"), fake.user(7_350_002, "Eero")
            henna = fake.user(7_350_003, "Henna")
            fake.set_member(tg.app.config.roles["board"].telegram_chat_ids[0], henna.id, "member")
            await say(tg, aino, "/anon_send Luennot ovat liian aikaisin")
            await say(tg, eero, "/anon_send Kahvi loppuu aina")
            assert "Sent without your name as #2." in (fake.last_bot_message(eero.id).text or "")
            eero_id = (await rows(tg, "SELECT person_id FROM accounts WHERE platform_user_id = ?", (str(eero.id),)))
            before = len(fake.bot_messages(eero.id))

            fake.fail_next("sendMessage", 502, "Bad Gateway",
                           predicate=lambda call: call.params.get("chat_id") == eero.id)
            await say(tg, henna, "/anon_answer 2 Kahvia tilattu lisää")
            assert "Answer sent." in (fake.last_bot_message(henna.id).text or "")
            pending = await rows(tg, "SELECT * FROM outbox WHERE target_kind = ?", (SEALED,))
            assert len(pending) == 1 and pending[0]["status"] == "pending" and pending[0]["last_error"] == "RetryLater"
            await assert_names_nobody(tg.app.db, str(eero.id), eero_id[0]["person_id"])

            await tg.app.scheduler.advance(6)
            await tg.app.settle()
            answers = fake.bot_messages(eero.id)[before:]
            assert [m.text for m in answers] == ["Answer to your feedback #2: Kahvia tilattu lisää"]
            assert all("Kahvia" not in (m.text or "") for m in fake.bot_messages(aino.id))
            assert await rows(tg, "SELECT id FROM outbox WHERE target_kind = ?", (SEALED,)) == []
            await assert_names_nobody(tg.app.db, str(eero.id), eero_id[0]["person_id"])
            logged = [r.getMessage() for r in caplog.records]
            assert any("started" in line for line in logged)
            assert [line for line in logged if str(eero.id) in line or "Kahvi" in line] == []
        finally:
            await tg.stop()


async def test_an_unreachable_sealed_recipient_is_dropped_without_marking_anyone(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        tg = await TelegramBot.start(tmp_path, fake, config=keyed(telegram_config(fake)), extra_cogs=(demo_cog(),))
        try:
            aino, henna = fake.user(7_350_001, "Aino"), fake.user(7_350_003, "Henna")
            fake.set_member(tg.app.config.roles["board"].telegram_chat_ids[0], henna.id, "member")
            await say(tg, aino, "/anon_send Palaute")
            before = len(fake.bot_messages(aino.id))
            fake.block(aino.id)
            await say(tg, henna, "/anon_answer 1 Vastaus")
            assert len(fake.bot_messages(aino.id)) == before
            assert await rows(tg, "SELECT id FROM outbox WHERE target_kind = ?", (SEALED,)) == []
            assert await rows(tg, "SELECT platform_user_id FROM accounts WHERE unreachable_since IS NOT NULL") == []
        finally:
            await tg.stop()


async def test_a_sealed_delivery_that_keeps_failing_is_deleted_after_its_last_attempt(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bot, telegram = await start_with_telegram(tmp_path, TEST_NOW, fail=[RetryLater("busy")] * 10)
    try:
        handle = await bot.app.sealed.seal(Account("telegram", "7350009"), "fi")
        assert await ServiceContext(bot.app).notify_sealed(handle, Reply("Vastaus"))
        for _ in range(8):
            await bot.wait("2m")
        attempts = bot.app.config.outbox.max_attempts
        assert telegram.attempts == attempts and telegram.sent == []
        assert await rows(bot, "SELECT id FROM outbox") == []  # given up: no row is left to read
        assert f"a sealed delivery failed {attempts} times (RetryLater) and was dropped" in caplog.text
        assert "7350009" not in caplog.text and handle not in caplog.text
    finally:
        await bot.stop()


async def say(tg: TelegramBot, user: TgUser, text: str) -> None:
    tg.fake.send_text(user, text)
    tg.queued()
    await tg.settle()


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DISCORD_TOKEN", "TELEGRAM_TOKEN", "HUMAKO_SECRET_KEY", "HUMAKO_SECRET_KEY_OLD")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env={**clean, **env},
                          timeout=120)


def config_naming(database: str, path: Path) -> str:
    """A config file (the example's) whose `[database] url` names `database` (PostgreSQL in a PostgreSQL run)."""
    url = database if is_postgresql_url(database) else f"sqlite:///{Path(database).resolve()}"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert '\nurl = ""\n' in text
    path.write_text(text.replace('\nurl = ""\n', f'\nurl = "{url}"\n', 1), encoding="utf-8")
    return str(path)


async def test_rotate_key_re_encrypts_every_route_and_delivery_works_with_the_new_key_only(tmp_path: Path) -> None:
    cog = demo_cog()  # its cases (in memory) outlive the restarts, as a real cog's table would
    bot = await ConsoleBot.start(tmp_path, config=keyed(make_config()), extra_cogs=(cog,))
    await bot.say("/anon send Eka", as_=SENDER, where="dm")
    await bot.say("/anon send Toka", as_="olli", where="dm")
    before = {r["handle"]: r["route"] for r in await rows(bot, "SELECT * FROM sealed_routes")}
    await bot.stop()
    config = config_naming(bot.app.database_path, tmp_path / "config.toml")

    wrong = cli("-m", "bot", "rotate-key", "--config", config, "--data", str(tmp_path), HUMAKO_SECRET_KEY=NEW_KEY,
                HUMAKO_SECRET_KEY_OLD="not-the-key-they-were-sealed-under-at-all")
    assert wrong.returncode == 1 and "2 sealed route(s) open with neither key; nothing was changed" in wrong.stderr
    missing = cli("-m", "bot", "rotate-key", "--data", str(tmp_path), HUMAKO_SECRET_KEY=NEW_KEY)
    assert missing.returncode == 2 and "HUMAKO_SECRET_KEY_OLD" in missing.stderr
    elsewhere = cli("-m", "bot", "rotate-key", "--data", str(tmp_path / "typo"), HUMAKO_SECRET_KEY=NEW_KEY,
                    HUMAKO_SECRET_KEY_OLD=KEY)
    assert elsewhere.returncode == 2 and "no database at" in elsewhere.stderr and not (tmp_path / "typo").exists()
    done = cli("-m", "bot", "rotate-key", "--config", config, "--data", str(tmp_path), HUMAKO_SECRET_KEY=NEW_KEY,
               HUMAKO_SECRET_KEY_OLD=KEY)
    assert done.returncode == 0, done.stderr
    assert "Re-encrypted 2 sealed route(s)" in done.stdout and KEY not in done.stdout + done.stderr

    old_key_bot = await ConsoleBot.start(tmp_path, config=keyed(make_config()), extra_cogs=(cog,))
    after = {r["handle"]: r["route"] for r in await rows(old_key_bot, "SELECT * FROM sealed_routes")}
    assert after.keys() == before.keys() and not set(after.values()) & set(before.values())
    await old_key_bot.say("/anon answer 1 Vanhalla avaimella", as_="henna", roles="board")
    assert old_key_bot.sent_to(f"@{SENDER}") == []  # the old key opens nothing: dropped, not sent astray
    assert await rows(old_key_bot, "SELECT id FROM outbox WHERE target_kind = ?", (SEALED,)) == []
    await old_key_bot.stop()

    new_key_bot = await ConsoleBot.start(tmp_path, config=keyed(make_config(), NEW_KEY), extra_cogs=(cog,))
    await new_key_bot.say("/anon answer 1 Uudella avaimella", as_="henna", roles="board")
    await new_key_bot.say("/anon answer 2 Sinullekin")
    assert [p.text for p in new_key_bot.sent_to(f"@{SENDER}")] == ["Answer to your feedback #1: Uudella avaimella"]
    assert [p.text for p in new_key_bot.sent_to("@olli")] == ["Answer to your feedback #2: Sinullekin"]
    await new_key_bot.stop()


async def test_sender_hashes_change_with_the_secret(tmp_path: Path) -> None:
    first = await ConsoleBot.start(tmp_path / "a", config=keyed(make_config()), extra_cogs=(demo_cog(),))
    second = await ConsoleBot.start(tmp_path / "b", config=keyed(make_config(), NEW_KEY), extra_cogs=(demo_cog(),))
    try:
        assert first.app.sealed.keyed_hash("anon-block", 1) != second.app.sealed.keyed_hash("anon-block", 1)
    finally:
        await first.stop()
        await second.stop()


async def test_start_refuses_a_weak_or_missing_secret_when_a_cog_needs_it(tmp_path: Path) -> None:
    with pytest.raises(StartRefused) as weak:
        await ConsoleBot.start(tmp_path / "weak", config=keyed(make_config(), "tooweak"), extra_cogs=(demo_cog(),))
    assert "shorter than 32 characters" in str(weak.value) and "anon" in str(weak.value)
    assert "tooweak" not in str(weak.value)
    async with FakeTelegram() as fake:
        with pytest.raises(StartRefused, match="HUMAKO_SECRET_KEY is not set and the anon cog needs it"):
            await TelegramBot.start(tmp_path / "tg", fake, extra_cogs=(demo_cog(),))
    # Without such a cog the same weak secret starts; the console alone uses the data directory's key file.
    plain = await ConsoleBot.start(tmp_path / "plain", config=keyed(make_config(), "tooweak"))
    await plain.stop()
    console = await ConsoleBot.start(tmp_path / "console", config=keyed(make_config(), None), extra_cogs=(demo_cog(),))
    try:
        await console.say("/anon send Konsolissa", as_=SENDER, where="dm")
        await console.say("/anon answer 1 Perille", as_="henna", roles="board")
        assert [p.text for p in console.sent_to(f"@{SENDER}")] == ["Answer to your feedback #1: Perille"]
        assert (tmp_path / "console" / "action-signing.key").exists()
    finally:
        await console.stop()


def test_the_command_line_refuses_in_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    script = tmp_path / "ping.txt"
    script.write_text("/ping\n", encoding="utf-8")
    program = ("import sys, cogs.ping; cogs.ping.cog.needs_secret = True; from bot.__main__ import main; "
               f"sys.exit(main(['console', '--script', {str(script)!r}, '--data', {str(tmp_path)!r}]))")
    result = cli("-c", program, HUMAKO_SECRET_KEY="tooweak")
    assert result.returncode == 2 and "Pong" not in result.stdout
    assert result.stderr.splitlines() == [
        "humako-bot: HUMAKO_SECRET_KEY is shorter than 32 characters and the ping cog needs a long one; set it to "
        "the output of: python -c 'import secrets; print(secrets.token_urlsafe(32))'"]
