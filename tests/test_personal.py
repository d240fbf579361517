"""Personal features end to end through the console, as several people: /remind, /reminders, /settings,
/link, /mydata and /forgetme (which must leave no row that names the person)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import ConsoleBot, texts
from tests.personal_helpers import link_code, rows


async def test_remind_once_is_sent_privately_at_its_time(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/remind huomenna klo 9 Palauta kirjaston kirjat", as_="Olli"))
    assert "Muistutan sinua perjantaina 27.11. klo 09.00: Palauta kirjaston kirjat" in out
    await bot.say("/remind 2026-11-26 18:00 Annan oma", as_="Anna")
    await bot.wait("18h")  # Friday 06:00 UTC = 08:00 local
    assert bot.sent_to("@olli") == [] and len(bot.sent_to("@anna")) == 1
    await bot.wait("1h")
    assert [p.text for p in bot.sent_to("@olli")] == ["Muistutus\nPalauta kirjaston kirjat"]
    assert "Annan oma" not in texts(bot.sent_to("@olli"))
    await bot.wait("7d")
    assert len(bot.sent_to("@olli")) == 1
    assert "Sinulla ei ole muistutuksia" in texts(await bot.say("/reminders", as_="Olli"))


async def test_remind_in_english_and_refuses_the_past_and_long_texts(bot: ConsoleBot) -> None:
    await bot.say("/language en", as_="Emma")
    out = texts(await bot.say("/remind tomorrow 18:00 Call mum"))
    assert "I'll remind you" in out and "Call mum" in out
    assert "in the past" in texts(await bot.say("/remind 1.1.2020 klo 12 Too late"))
    assert "too long" in texts(await bot.say("/remind tomorrow 18:00 " + "x" * 501))
    assert len(await rows(bot, "SELECT id FROM reminders")) == 1


async def test_remind_in_a_group_redirects_to_a_private_chat(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/remind huomenna klo 9 Salainen", as_="Olli", where="general"))
    assert "yksityisviestissä" in out
    assert await rows(bot, "SELECT id FROM reminders") == []


async def test_repeating_reminder_fires_every_day_and_can_be_stopped(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/remind huomenna klo 8 Lääkkeet repeat=daily", as_="Olli", where="dm"))
    assert "Toistuu: joka päivä" in out
    await bot.wait("3d")
    fired = bot.sent_to("@olli")
    assert len(fired) == 3 and all("Lääkkeet" in p.text for p in fired)
    assert fired[0].buttons and fired[0].buttons[0][0] == "Lopeta toisto"
    await bot.click(1, message=fired[-1].number, as_="Olli")
    await bot.wait("3d")
    assert len(bot.sent_to("@olli")) == 3


async def test_reminders_lists_and_cancels_with_buttons(bot: ConsoleBot) -> None:
    await bot.say("/remind 2026-11-27 10:00 Ensimmäinen", as_="Olli")
    await bot.say("/remind 2026-11-28 10:00 Toinen repeat=weekly")
    await bot.say("/remind 2026-11-27 11:00 Annan muistutus", as_="Anna")
    listing = (await bot.say("/reminders", as_="Olli"))[0]
    assert "Ensimmäinen" in listing.text and "Toinen" in listing.text and "joka viikko" in listing.text
    assert "Annan" not in listing.text
    assert [label for label, _action in listing.buttons] == ["Peru 1", "Peru 2"]
    assert all(len(action.encode()) <= 64 for _label, action in listing.buttons)
    # Anna pressing Olli's button changes nothing of Olli's.
    await bot.click(1, message=listing.number, as_="Anna")
    assert len(await rows(bot, "SELECT id FROM reminders WHERE status = 'active'")) == 3
    edited = await bot.click(1, message=listing.number, as_="Olli")
    edit = next(p for p in edited if p.kind == "edit")
    assert "Ensimmäinen" not in edit.text and "Toinen" in edit.text
    await bot.wait("3d")
    assert [p.text for p in bot.sent_to("@olli") if p.kind == "sent"] == ["Muistutus\nToinen"]
    assert len(bot.sent_to("@anna")) == 1


async def test_settings_show_and_change(bot: ConsoleBot) -> None:
    shown = texts(await bot.say("/settings", as_="Olli"))
    assert "Kieli: suomi" in shown and "pois käytöstä" in shown and "konsoli" in shown
    assert "Telegram" in texts(await bot.say("/settings platform=telegram"))  # no such account: refused
    assert "Sinulla ei ole yhdistettyä Telegram-tiliä" in texts(await bot.say("/settings platform=telegram"))
    assert "En ymmärtänyt" in texts(await bot.say("/settings quiet=myöhään"))
    changed = texts(await bot.say("/settings language=en quiet=22:30-7"))
    assert "Saved." in changed and "Language: English" in changed and "22:30–07:00" in changed
    assert "I'll remind you" in texts(await bot.say("/remind tomorrow 9:00 x"))
    assert "off" in texts(await bot.say("/settings quiet=off"))
    other = texts(await bot.say("/settings", as_="Anna"))
    assert "Kieli: suomi" in other  # Anna's settings are her own


async def test_link_makes_one_person_of_two_accounts(bot: ConsoleBot) -> None:
    await bot.say("/remind 2026-11-27 10:00 Olli muistaa", as_="Olli")
    await bot.say("/remind 2026-11-27 11:00 Puhelimesta", as_="olli_tg")
    code = link_code(texts(await bot.say("/link", as_="Olli")))
    assert "Yhdistämiskoodisi" in texts(await bot.say("/link", as_="Anna"))
    assert "ei kelpaa" in texts(await bot.say("/link ABCDEFGH", as_="olli_tg"))
    assert "samalta tililtä" in texts(await bot.say(f"/link {code}", as_="Olli"))
    code = link_code(texts(await bot.say("/link", as_="Olli")))  # the used-up one is gone; a new one
    out = texts(await bot.say(f"/link {code.lower()}", as_="olli_tg"))
    assert "Yhdistetty" in out
    assert len(await rows(bot, "SELECT id FROM people")) == 2  # Olli and Anna
    assert "ei kelpaa" in texts(await bot.say(f"/link {code}", as_="olli_tg"))  # one-time
    both = texts(await bot.say("/reminders", as_="olli_tg"))
    assert "Olli muistaa" in both and "Puhelimesta" in both
    assert "Olli muistaa" in texts(await bot.say("/reminders", as_="Olli"))
    await bot.wait("1d")
    assert len(bot.sent_to("@olli")) == 2 and bot.sent_to("@olli_tg") == []  # the first account: Olli's


async def test_link_code_expires_after_ten_minutes(bot: ConsoleBot) -> None:
    code = link_code(texts(await bot.say("/link", as_="Olli")))
    await bot.wait("11m")
    assert "vanhentunut" in texts(await bot.say(f"/link {code}", as_="olli_tg"))
    assert len(await rows(bot, "SELECT id FROM people")) == 2


async def test_merge_moves_rows_of_cog_tables_it_does_not_know(bot: ConsoleBot) -> None:
    await bot.say("/ping", as_="Olli")
    await bot.say("/ping", as_="olli_tg")
    db = bot.app.db
    await db.execute("CREATE TABLE test_rsvps (event INTEGER, person_id INTEGER NOT NULL"
                     " REFERENCES people(id) ON DELETE CASCADE, answer TEXT, UNIQUE (event, person_id))")
    olli, tg = (r["id"] for r in await rows(bot, "SELECT id FROM people ORDER BY id"))
    for event, person, answer in [(1, olli, "yes"), (1, tg, "no"), (2, tg, "yes")]:
        await db.execute("INSERT INTO test_rsvps VALUES (?, ?, ?)", (event, person, answer))
    code = link_code(texts(await bot.say("/link", as_="olli_tg")))
    assert "Yhdistetty" in texts(await bot.say(f"/link {code}", as_="Olli"))
    assert await rows(bot, "SELECT event, person_id, answer FROM test_rsvps ORDER BY event") == [
        {"event": 1, "person_id": olli, "answer": "yes"}, {"event": 2, "person_id": olli, "answer": "yes"}]


async def test_mydata_gives_everything_as_a_json_file(bot: ConsoleBot) -> None:
    await bot.say("/remind 2026-11-27 10:00 Hammaslääkäri", as_="Olli")
    await bot.say("/settings quiet=23-7")
    await bot.say("/remind 2026-11-27 10:00 Annan salaisuus", as_="Anna")
    out = await bot.say("/mydata", as_="Olli")
    assert out[0].files == ["mydata.json"] and out[0].where == "you"
    data = json.loads(out[0].file_data["mydata.json"])
    assert data["person"]["display_name"] == "Olli" and data["person"]["quiet_start"] == "23:00"
    assert data["accounts"][0]["platform_user_id"] == "olli"
    assert [r["text"] for r in data["features"]["reminders"]["reminders"]] == ["Hammaslääkäri"]
    assert "Annan salaisuus" not in out[0].file_data["mydata.json"].decode()


def _names_the_person(value: object, person_id: int, words: list[str]) -> bool:
    if isinstance(value, str):
        folded = value.casefold()
        return any(word in folded for word in words) or f'"person_id": {person_id}' in value
    return False


async def test_forgetme_leaves_no_row_that_names_the_person(tmp_path: Path) -> None:
    bot = await ConsoleBot.start(tmp_path)
    await bot.say("/ping", as_="Anna")
    await bot.say("/remind 2026-11-27 10:00 Annan juttu", as_="Anna")
    await bot.say("/ping hei", as_="Olli")
    await bot.say("/language en")
    await bot.say("/remind 2026-11-26 16:00 Olli once")
    await bot.say("/remind 2026-11-27 09:00 Olli weekly repeat=weekly")
    await bot.say("/settings quiet=22-8")
    code = link_code(texts(await bot.say("/link")))
    await bot.say(f"/link {code}", as_="olli_tg")
    await bot.wait("2h")  # one reminder delivered: an outbox row and a done scheduled row exist
    await bot.say("/link", as_="Olli")  # a fresh code row
    await bot.say("/mydata")
    person_id = (await rows(bot, "SELECT person_id FROM accounts WHERE platform_user_id = 'olli'"))[0]["person_id"]
    assert await rows(bot, "SELECT id FROM outbox WHERE person_id = ?", (person_id,))

    asked = await bot.say("/forgetme", as_="Olli")
    assert [label for label, _action in asked[0].buttons] == ["Yes, erase everything", "No, keep my data"]
    assert "erased" in texts(await bot.click(1))
    await bot.stop()

    # Every table, every column: no name, account id or person id of Olli's is left.
    words = ["olli"]  # the display name and both account ids ("olli", "olli_tg") contain it
    async with bot.stored() as db:
        refs: dict[str, set[str]] = {}
        for table, column, _on_delete in await db.foreign_keys_to("people"):
            refs.setdefault(table, set()).add(column)
        found = []
        for table in await db.tables():
            for row in await db.fetchall(f'SELECT * FROM "{table}"'):
                for name in row.keys():  # noqa: SIM118 - a Row, not a dict
                    value = row[name]
                    person_column = (name in refs.get(table, ()) or "person" in name
                                     or (table == "people" and name == "id"))
                    if (person_column and value == person_id) or _names_the_person(value, person_id, words):
                        found.append((table, name, value))
        assert found == []
        # Anna's data is untouched.
        assert await db.fetchval("SELECT COUNT(*) FROM reminders") == 1
        assert await db.fetchval("SELECT COUNT(*) FROM people") == 1


async def test_forgetme_can_be_declined(bot: ConsoleBot) -> None:
    await bot.say("/remind 2026-11-27 10:00 Pidä tämä", as_="Olli")
    await bot.say("/forgetme")
    assert "Mitään ei poistettu" in texts(await bot.click(2))
    assert len(await rows(bot, "SELECT id FROM reminders")) == 1
    asked = await bot.say("/forgetme", as_="Olli")
    await bot.click(1, message=asked[0].number, as_="Anna")  # not Anna's to press
    assert len(await rows(bot, "SELECT id FROM people")) == 2
