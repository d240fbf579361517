"""Anonymous feedback on the real libraries: ONE application runs python-telegram-bot against FakeTelegram
and discord.py against FakeDiscord (the rig of tests/test_conversations_platforms.py). A Telegram sender and
a Discord team, and a Discord sender and a Telegram team (a forum topic): send, the team's answer, the
sender's answer. Then the anonymity test: nothing stored, logged or shown to the team names the sender."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application
from bot.frontends.discord import DiscordFrontend
from bot.sealed import Sealer
from bot.signing import payload_of
from tests.debug_logs import bot_debug_logging
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, TgUser
from tests.feedback_helpers import KEY, code_in, feedback_config
from tests.scenarios.discord_driver import DiscordDriver, with_role_ids
from tests.scenarios.driver import Who
from tests.scenarios.telegram_driver import telegram_config
from tests.test_conversations_platforms import dc_write, tg_send, thread_texts
from tests.test_live_cross_platform import TwoPlatforms

ADVOCACY_TEAM_CHAT = -1002000000999  # the advocacy team's Telegram group (membership = the role)
EPHEMERAL = 64


@dataclasses.dataclass
class Rig:
    both: TwoPlatforms
    driver: DiscordDriver

    @property
    def app(self) -> Application:
        return self.both.app


async def start(tmp_path: Path, tg: FakeTelegram) -> Rig:
    base = with_role_ids(feedback_config(tmp_path, delay_min_minutes=5, delay_max_minutes=5))
    config = telegram_config(tg, base, team_chats=False)
    roles = dict(config.roles)
    roles["advocacy"] = dataclasses.replace(roles["advocacy"], telegram_chat_ids=(ADVOCACY_TEAM_CHAT,))
    config = dataclasses.replace(config, roles=roles)
    both = await TwoPlatforms.on_config(tmp_path, tg, config)
    both.discord.member_cache_seconds = 0.0
    driver = DiscordDriver(dataclasses.replace(_DriverHost(both.dc, both.app, both.discord)))  # type: ignore[arg-type]
    return Rig(both, driver)


@dataclasses.dataclass
class _DriverHost:
    """What DiscordDriver reads of a DiscordBot."""

    fake: FakeDiscord
    app: Application
    frontend: DiscordFrontend


@pytest.fixture
async def rig(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[Rig]:
    started = await start(tmp_path, tg)
    try:
        yield started
    finally:
        await started.both.stop()


def channel(rig: Rig, destination: str) -> int:
    return int(rig.app.config.destinations[destination].discord_channel_id or 0)


def group(rig: Rig, destination: str) -> int:
    return int(rig.app.config.destinations[destination].telegram_chat_id or 0)


def tg_texts(rig: Rig, chat_id: int) -> list[str]:
    return [m.text or m.caption or "" for m in rig.both.tg.bot_messages(chat_id)]


async def press(rig: Rig, user: TgUser, message: StoredMessage, label: str) -> None:
    data = next(b["callback_data"] for b in message.buttons() if b["text"] == label)
    rig.both.updates += 1
    rig.both.tg.press(user, message, data)
    await rig.both.settle()


async def wait(rig: Rig, seconds: float) -> None:
    await rig.app.scheduler.advance(seconds)
    await rig.both.settle()


async def telegram_send(rig: Rig, user: TgUser, text: str) -> str:
    """Step by step, as on Telegram: the command, a category button, then the text as the next message."""
    await rig.both.tg_say(user, "/feedback_send")
    await press(rig, user, rig.both.tg.last_bot_message(user.id), "Opinnot")
    assert "Palautteesi" in (rig.both.tg.last_bot_message(user.id).text or "")
    await rig.both.tg_say(user, text)
    receipt = rig.both.tg.last_bot_message(user.id)
    assert "Mitä nimettömyys tässä tarkoittaa" in (receipt.text or "")
    return code_in(receipt.text or "")


def advocacy_thread(rig: Rig) -> int:
    [created] = rig.both.dc.calls_to("POST", rf"^/channels/{channel(rig, 'advocacy')}/threads$")
    assert created.json["type"] == 11  # public in the team's own channel: its permissions keep it to the team
    return int(created.response["id"])


async def test_a_telegram_sender_and_a_discord_team(rig: Rig) -> None:
    sanni = rig.both.tg_user("Sanni")
    code = await telegram_send(rig, sanni, "Luentotallenteet puuttuvat")
    assert rig.both.dc.calls_to("POST", r"/threads$") == []  # not before the delay
    await wait(rig, 300)
    thread = advocacy_thread(rig)
    assert thread_texts(rig.both, thread) == ["Lähettäjä\nLuentotallenteet puuttuvat"]
    assert rig.both.dc.calls_to("POST", r"/threads$")[0].json["name"] == f"Palaute {code} · Opinnot"

    # The team answers in its thread: Sanni reads it in her chat, signed by the team.
    emma = rig.driver._user(Who("Emma", frozenset({"advocacy"})))
    await dc_write(rig.both, thread, emma, "Kiitos, selvitämme")
    head = f"Yksityiskeskustelu ”Palaute {code} · Opinnot”"
    answer = rig.both.tg.last_bot_message(sanni.id)
    assert answer.text == f"{head} · Edunvalvontatiimi\nKiitos, selvitämme"
    assert [b["text"] for b in answer.buttons()] == ["Vastaa"]

    # Sanni answers with the Reply button (a form: the text as her next message) and a plain message.
    await press(rig, sanni, answer, "Vastaa")
    await rig.both.tg_say(sanni, "Tallenteet tulisivat viikon sisällä")
    assert f"Lähetetty tapaukseen {code}." in (rig.both.tg.last_bot_message(sanni.id).text or "")
    await rig.both.tg_say(sanni, "Kiitos!")
    assert thread_texts(rig.both, thread)[-1] == "Kiitos, selvitämme"
    await wait(rig, 301)
    assert thread_texts(rig.both, thread)[-2:] == ["Lähettäjä\nTallenteet tulisivat viikon sisällä",
                                                    "Lähettäjä\nKiitos!"]
    # A photo is not passed on (its metadata can name her or the place); she is told why.
    await tg_send(rig.both, lambda: rig.both.tg.send_photo(sanni, b"\xff\xd8\xff\xe0 exif", caption=""))
    assert rig.both.tg.last_bot_message(sanni.id).text == (
        "Nimettömästä palautteesta ei välitetä tiedostoja eikä kuvia (niissä voi olla nimesi tai kuvauspaikka). "
        "Kirjoita asia tekstinä.")
    await wait(rig, 301)
    assert thread_texts(rig.both, thread)[-1] == "Lähettäjä\nKiitos!"
    assert all(not m.get("attachments") for m in rig.both.dc.channel_messages(thread))


async def test_a_discord_sender_and_a_telegram_team_in_a_forum_topic(rig: Rig) -> None:
    team_group = rig.both.tg.group(group(rig, "advocacy"), "advocacy", forum=True)
    dora = rig.driver._user(Who("Dora"))
    # In a server channel: the command's options, the text in a modal, every answer ephemeral.
    handle = await rig.both.dc.slash("feedback send", {"category": "studies", "campus": "turku"}, user_id=dora,
                                     channel_id=channel(rig, "announcements"))
    opened = (await handle.response()).json
    assert opened["type"] == 9
    submit = await rig.both.dc.submit_modal(opened["data"]["custom_id"], {"text": "Turun kampuksella on kylmä"},
                                            user_id=dora, channel_id=channel(rig, "announcements"))
    receipt = (await submit.response()).json["data"]
    assert receipt["flags"] == EPHEMERAL
    code = code_in(json.dumps(receipt, ensure_ascii=False))
    await rig.app.settle()
    shown = rig.both.dc.channel_messages(channel(rig, "announcements"))
    assert shown and all(m.get("flags", 0) & EPHEMERAL for m in shown)  # only Dora saw anything there

    await wait(rig, 300)
    [topic_call] = rig.both.tg.calls_of("createForumTopic")
    assert topic_call.params["name"] == f"Palaute {code} · Opinnot · Turku"
    topic = topic_call.result["message_thread_id"]
    in_topic = [m for m in rig.both.tg.bot_messages(team_group.id) if m.message_thread_id == topic]
    assert [m.text for m in in_topic] == ["Lähettäjä\nTurun kampuksella on kylmä"]

    # Tero answers in the topic: Dora gets it as a DM, signed by the team.
    tero = rig.both.tg_user("Tero")
    await tg_send(rig.both, lambda: rig.both.tg.send_text(tero, "Välitämme kiinteistölle", chat=team_group,
                                                          topic=topic))
    dm = rig.both.dc.channel_messages(rig.both.dc.dm_channel_for(dora))[-1]
    assert dm["embeds"][0]["title"] == f"Yksityiskeskustelu ”Palaute {code} · Opinnot · Turku” · Edunvalvontatiimi"
    assert dm["embeds"][0]["description"] == "Välitämme kiinteistölle"
    # Dora answers in her DMs; after the delay the topic has it as "Lähettäjä".
    await dc_write(rig.both, rig.both.dc.dm_channel_for(dora), dora, "Kiitos nopeasta vastauksesta")
    await wait(rig, 300)
    in_topic = [m.text for m in rig.both.tg.bot_messages(team_group.id) if m.message_thread_id == topic]
    assert in_topic[-1] == "Lähettäjä\nKiitos nopeasta vastauksesta"


# ------------------------------------------------------------------------------------------ anonymity


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with bot_debug_logging(caplog, KEY):
        yield


def cells(path: str) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every cell of every table, read with a connection of its own."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = []
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            found += [(table, name, value) for row in cursor for name, value in zip(names, row, strict=True)]
        return found
    finally:
        connection.close()


def page_owners(path: str) -> dict[int, str]:
    """Which table or index each database page belongs to now (SQLite's dbstat)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {pageno: name for name, pageno in connection.execute("SELECT name, pageno FROM dbstat")}
    finally:
        connection.close()


def pages_holding(data: bytes, needle: bytes, page_size: int, *, wal: bool) -> set[int]:
    """Page numbers whose image (in the database file, or in a WAL frame) contains `needle`."""
    found: set[int] = set()
    if wal:
        offset = 32  # the WAL header; then frames of a 24-byte header (page number first) and a page image
        while offset + 24 + page_size <= len(data):
            if needle in data[offset + 24: offset + 24 + page_size]:
                found.add(int.from_bytes(data[offset: offset + 4], "big"))
            offset += 24 + page_size
    else:
        for index in range(len(data) // page_size):
            if needle in data[index * page_size: (index + 1) * page_size]:
                found.add(index + 1)
    return found


PEOPLE_TABLES = {"people", "accounts", "sqlite_autoindex_accounts_1"}  # where a person is, by design


@pytest.mark.sqlite_only  # reads SQLite's file and WAL pages
async def test_nothing_stored_logged_or_shown_to_the_team_names_the_sender(
        rig: Rig, caplog: pytest.LogCaptureFixture, debug_logging: None) -> None:
    caplog.set_level(logging.DEBUG)
    both = rig.both
    # The sender: a unique name, username and id among others who also use the bot and give feedback.
    sender = both.tg.user(7_391_824_650, "Zirkonia", username="zirkonia_qx81", last_name="Väinämöinen-Quist")
    others = [both.tg_user(name) for name in ("Aino", "Eero", "Liisa")]
    for other in others:
        await both.tg_say(other, "/help")
    await telegram_send(rig, others[0], "Muiden palaute")
    code = await telegram_send(rig, sender, "Ryhmätöiden arviointi on epäreilua")
    await telegram_send(rig, others[1], "Vielä yksi palaute")
    await wait(rig, 300)
    thread = next(int(c.response["id"]) for c in both.dc.calls_to("POST", r"/threads$")
                  if c.json["name"] == f"Palaute {code} · Opinnot")

    # Two answers each way: the team in its thread and with /feedback reply; the sender twice.
    emma = rig.driver._user(Who("Emma", frozenset({"advocacy"})))
    await dc_write(both, thread, emma, "Kerrotko lisää?")
    handle = await both.dc.slash("feedback reply", {"code": code}, user_id=emma, channel_id=channel(rig, "advocacy"))
    opened = (await handle.response()).json
    submit = await both.dc.submit_modal(opened["data"]["custom_id"], {"text": "Viemme asian opettajille"},
                                        user_id=emma, channel_id=channel(rig, "advocacy"))
    assert (await submit.response()).json["data"]["flags"] == EPHEMERAL
    await both.settle()
    await both.tg_say(sender, "Arvosana annettiin koko ryhmälle samana")
    await both.tg_say(sender, f"/feedback_reply {code} Kiitos avusta")
    await wait(rig, 301)
    answers = [t for t in tg_texts(rig, sender.id) if t.startswith("Yksityiskeskustelu") and "Edunvalvontatiimi" in t]
    assert len(answers) == 2
    assert thread_texts(both, thread)[-2:] == ["Lähettäjä\nArvosana annettiin koko ryhmälle samana",
                                               "Lähettäjä\nKiitos avusta"]

    person_id = (await both.app.people.get_or_create("telegram", str(sender.id), "Zirkonia")).id
    identifying = [str(sender.id), "Zirkonia", "zirkonia_qx81", "Väinämöinen-Quist"]

    # 1. Every cell of every table but the people's own two: none holds the id, a name or the username; no
    # column that points at people holds the sender; the feedback tables have no person column at all.
    path = both.app.database_path
    for table, column, value in cells(path):
        if table in ("people", "accounts"):
            continue
        assert not any(word.lower() in str(value).lower() for word in identifying), (table, column)
    foreign = {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for fk in connection.execute(f'PRAGMA foreign_key_list("{table}")'):
                if fk[2] == "people":
                    foreign.setdefault(table, []).append(fk[3])
        for table, columns in foreign.items():
            for column in columns:
                held = connection.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = ?', (person_id,))
                assert held.fetchone()[0] == 0 or table in ("accounts",), (table, column)
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    finally:
        connection.close()
    assert not [t for t in foreign if t.startswith("feedback")]

    # 2. The database file and its -wal bytes: the id and names only in the pages of people and accounts.
    owners = page_owners(path)
    hits = 0
    for suffix, wal in (("", False), ("-wal", True)):
        data = Path(path + suffix).read_bytes()
        for word in identifying:
            for page in pages_holding(data, word.encode(), page_size, wal=wal):
                assert owners.get(page) in PEOPLE_TABLES, (suffix, word, page, owners.get(page))
                hits += 1
    assert hits > 0  # the search does find the sender where they are by design (their own account row)

    # 3. Every log line at DEBUG: nothing of the sender (nor the texts).
    logged = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    assert logged
    for word in [*identifying, "Ryhmätöiden", "Arvosana"]:
        assert [line for line in logged if word in line] == [], word

    # 4. Every message the team got, on either platform: no name, no id, no username.
    team_texts = [json.dumps(m, ensure_ascii=False) for m in both.dc.channel_messages(thread)]
    team_texts += [json.dumps(c.json, ensure_ascii=False) for c in both.dc.calls
                   if c.json and str(channel(rig, "advocacy")) in c.path]
    team_texts += [json.dumps(m.__dict__, default=str, ensure_ascii=False)
                   for m in both.tg.bot_messages(group(rig, "advocacy"))]
    assert team_texts
    for text in team_texts:
        assert not any(word in text for word in identifying)
    # The sealed route, read by anyone without the key, is noise.
    [(route,)] = [(r["route"],) for r in await both.app.db.fetchall(
        "SELECT route FROM sealed_routes JOIN feedback_cases USING (handle) WHERE code = ?", (code,))]
    stranger = Sealer(b"another key that is not the bot's own secret at all")
    assert stranger.open(route) is None
    assert both.app.sealed.sealer.open(route) is not None  # with the key it is the way back (delivery only)
    assert re.fullmatch(r"[0-9a-f]{32}", next(iter(
        await both.app.db.fetchall("SELECT sender FROM feedback_cases WHERE code = ?", (code,))))["sender"])
    # What came through the sealed route carries no person id in its buttons either (they are shared ones).
    relayed = [m for m in both.tg.bot_messages(sender.id) if (m.text or "").startswith("Yksityiskeskustelu")]
    assert relayed and all(payload_of(d).startswith("fb:ans:") and d.split("~")[1] == ""
                           for m in relayed for d in m.callback_data())
