"""Anonymous feedback (issue #21) through the console's real command path: the round of send, the team's
answer and the sender's answer; routing of every category; harassment kept from the board; escalation;
blocks; the rate limit; retention; /mydata and /forgetme; and every kind of bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.commands import Reply
from bot.context import ServiceContext
from bot.frontends.console import Printed
from storage.db import from_iso
from tests.feedback_helpers import code_in, feedback_config
from tests.harness import ConsoleBot, texts
from tests.personal_helpers import rows

SEND = '/feedback send category={category} text="{text}"'
TEAM = {"studies": "#advocacy", "wellbeing": "#advocacy", "campus": "#advocacy", "events": "#board",
        "international": "#section_international", "harassment": "#harassment"}
ROLE = {"#advocacy": "advocacy", "#board": "organiser", "#section_international": "section_international",
        "#harassment": "harassment"}


async def start(tmp_path: Path, **settings: Any) -> ConsoleBot:
    settings = {"delay_min_minutes": 5, "delay_max_minutes": 5, **settings}
    return await ConsoleBot.start(tmp_path, config=feedback_config(tmp_path, **settings))


@pytest.fixture
async def fb(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    bot = await start(tmp_path)
    try:
        yield bot
    finally:
        await bot.stop()


async def send(bot: ConsoleBot, who: str, text: str, category: str = "studies", extra: str = "") -> str:
    out = texts(await bot.say(SEND.format(category=category, text=text) + extra, as_=who, where="dm"))
    return code_in(out)


async def click(bot: ConsoleBot, label: str, message: int | None = None) -> list[Any]:
    """Press the button with this label on a message (default: the last one printed with buttons)."""
    shown = bot.message(message) if message is not None else next(
        p for p in reversed(bot.console.printed) if p.buttons and p.kind != "info")
    index = [text for text, _action in shown.buttons].index(label) + 1
    return await bot.click(index, message=shown.number)


def seen(bot: ConsoleBot, where: str) -> list[str]:
    return [p.text for p in bot.sent_to(where)]


async def test_a_case_goes_round_anonymously_on_the_console(fb: ConsoleBot) -> None:
    out = texts(await fb.say(SEND.format(category="studies", text="Luennot alkavat liian aikaisin")
                             + " campus=helsinki", as_="aino", where="dm"))
    code = code_in(out)
    assert f"Lähetetty: Edunvalvontatiimi, tapaus {code}." in out
    assert "Mitä nimettömyys tässä tarkoittaa" in out and "enintään 5 minuutin" in out
    # The team gets nothing until the delay is over, then the text as "Lähettäjä".
    await fb.wait("4m")
    assert seen(fb, "#advocacy") == []
    await fb.wait("1m")
    head = f"Yksityiskeskustelu ”Palaute {code} · Opinnot · Helsinki”"
    assert seen(fb, "#advocacy") == [f"{head} · Lähettäjä\nLuennot alkavat liian aikaisin"]
    relayed = fb.sent_to("#advocacy")[0]
    assert [label for label, _action in relayed.buttons] == ["Vastaa"]

    # The team answers by replying in its channel: the sender reads "Edunvalvontatiimi", never a name.
    await fb.say(":channel advocacy", as_="eeva", roles="advocacy")
    await fb.line(f":reply #{relayed.number}")
    await fb.line("Kiitos, selvitämme asian")
    assert seen(fb, "@aino") == [f"{head} · Edunvalvontatiimi\nKiitos, selvitämme asian"]
    # ... and with /feedback reply, from anywhere.
    out = texts(await fb.say(f'/feedback reply {code} "Palaamme ensi viikolla"', as_="eeva"))
    assert f"Vastauksesi tapaukseen {code} on matkalla lähettäjälle nimellä ”Edunvalvontatiimi”." in out
    assert seen(fb, "@aino")[-1] == f"{head} · Edunvalvontatiimi\nPalaamme ensi viikolla"
    assert all("eeva" not in text.lower() for text in seen(fb, "@aino"))

    # The sender answers twice, a plain message and /feedback reply: the team gets both, in order, as
    # "Lähettäjä", after the delay.
    await fb.say("Kiitos!", as_="aino", where="dm")
    out = texts(await fb.say(f"/feedback reply {code.lower()} Tentit myös", as_="aino", where="dm"))
    assert f"Lähetetty tapaukseen {code}. Tiimi saa viestin pienen viiveen jälkeen." in out
    assert len(seen(fb, "#advocacy")) == 1
    await fb.wait("6m")  # the second waits a second after the first, never ahead of it
    assert seen(fb, "#advocacy")[1:] == [f"{head} · Lähettäjä\nKiitos!", f"{head} · Lähettäjä\nTentit myös"]
    # Nothing waits any more, and the texts are not kept.
    assert await rows(fb, "SELECT * FROM feedback_pending") == []
    [case] = await rows(fb, "SELECT * FROM feedback_cases")
    created = from_iso(case["created_hour"])
    assert case["state"] == "answered" and (created.minute, created.second, created.microsecond) == (0, 0, 0)


async def test_every_category_reaches_its_own_team(fb: ConsoleBot) -> None:
    for index, category in enumerate(TEAM):
        await send(fb, f"student{index}", f"Palaute {category}", category=category)
    await fb.wait("5m")
    for category, where in TEAM.items():
        got = [t for t in seen(fb, where) if t.endswith(f"Palaute {category}")]
        assert len(got) == 1, (category, where)
        others = [w for w in set(TEAM.values()) if w != where]
        assert all(not t.endswith(f"Palaute {category}") for w in others for t in seen(fb, w))
    # Each team lists only its own cases.
    listed = texts(await fb.say("/feedback cases", as_="sami", roles="section_international"))
    assert listed.count("F-") == 1 and "Kansainvälisyysjaosto" in listed
    listed = texts(await fb.say("/feedback cases", as_="eeva", roles="advocacy"))
    assert listed.count("F-") == 3 and "Häirintä" not in listed


async def test_harassment_is_for_the_harassment_contacts_only(fb: ConsoleBot) -> None:
    code = await send(fb, "aino", "Häiritsevää käytöstä", category="harassment")
    studies = await send(fb, "olli", "Kurssipalaute")
    await fb.wait("5m")
    assert [t.endswith("Häiritsevää käytöstä") for t in seen(fb, "#harassment")] == [True]
    assert all("Häiritsevää" not in p.text for p in fb.console.printed if p.where not in ("#harassment", "@aino")
               and p.kind == "sent")
    # The board (admin is board and organiser) cannot list, read or answer it.
    listed = texts(await fb.say("/feedback cases", as_="admin"))
    assert code not in listed
    assert f"Tapaus {code} kuuluu toiselle tiimille." in texts(await fb.say(f"/feedback reply {code} Hei",
                                                                              as_="admin"))
    signer = fb.app.core.signer
    admin = (await rows(fb, "SELECT person_id FROM accounts WHERE platform_user_id = 'admin'"))[0]["person_id"]
    for action in (f"fb:show:{code}", f"fb:done:{code}", f"fb:blk:{code}", f"fb:blkd:{code}:7"):
        # A genuine button id for each team action, as if the board had been shown one.
        fb.console.messages["999"] = Printed(999, "reply", "@admin", "x", [("x", signer.sign(action, admin))])
        out = texts(await fb.click(1, message=999))
        assert "kuuluu toiselle tiimille" in out, action
    assert await rows(fb, "SELECT * FROM feedback_blocks") == []
    # Statistics: a count, nothing more (not per campus, month or answer time).
    await fb.say(f"/feedback reply {studies} Kiitos", as_="eeva", roles="advocacy")
    stats = texts(await fb.say("/feedback stats", as_="admin"))
    assert "Häirintä: 1 (vain lukumäärä)" in stats and "Opinnot: 1" in stats
    assert "kampusta ei annettu: 1" in stats and "2026-11: 1" in stats
    # The harassment contacts can.
    listed = texts(await fb.say("/feedback cases", as_="hanna", roles="harassment"))
    assert code in listed and studies not in listed
    out = texts(await fb.say(f"/feedback reply {code} Olemme tukenasi", as_="hanna"))
    assert "Häirintäyhdyshenkilöt" in out
    assert seen(fb, "@aino")[-1].endswith("· Häirintäyhdyshenkilöt\nOlemme tukenasi")
    # A student cannot see statistics at all.
    assert "on vain näiden käytössä" in texts(await fb.say("/feedback stats", as_="olli"))


async def test_help_and_the_start_message_show_how_to_reach_the_harassment_contacts(fb: ConsoleBot) -> None:
    note = "Häirintäyhdyshenkilöt tavoitat luottamuksellisesti komennolla /feedback send"
    assert note in texts(await fb.say("/help", as_="aino", where="dm"))
    assert note in texts(await fb.say("/start", as_="aino", where="dm"))


async def test_a_section_escalates_to_the_advocacy_team(fb: ConsoleBot) -> None:
    code = await send(fb, "aino", "Jaoston tapahtumat ovat vain suomeksi", category="international")
    await fb.wait("5m")
    assert len(seen(fb, "#section_international")) == 1
    listed = await fb.say("/feedback cases", as_="sami", roles="section_international")
    await fb.click(1, message=listed[-1].number)  # the case
    view = fb.console.printed[-1]
    assert [label for label, _a in view.buttons] == ["Vastaa", "Merkitse käsitellyksi", "Siirrä eteenpäin",
                                                     "Estä lähettäjä"]
    asked = await fb.click(3, message=view.number)
    assert "Mitä seuraavan tiimin pitää tietää?" in texts(asked)
    out = texts(await fb.say("Tämä koskee koko yhdistystä", as_="sami"))
    assert f"Tapaus {code} siirrettiin: Edunvalvontatiimi; lähettäjälle kerrottiin." in out
    # The section's conversation is closed with a note; the advocacy team's goes on, the sender told.
    assert seen(fb, "#section_international")[-2:] == [
        f"Yksityiskeskustelu ”Palaute {code} · Kansainvälisyysjaosto”\nTapaus {code} siirrettiin: "
        "Edunvalvontatiimi.",
        f"Yksityiskeskustelu ”Palaute {code} · Kansainvälisyysjaosto”\nTämä keskustelu suljettiin."]
    moved = (f"Kansainvälisyysjaosto siirsi tapauksen {code} eteenpäin: Edunvalvontatiimi. Keskustelu jatkuu "
             "täällä; lähettäjä on yhä nimetön.\nViesti: Tämä koskee koko yhdistystä")
    assert seen(fb, "#advocacy")[-1].endswith(moved)
    assert seen(fb, "@aino")[-1].endswith(moved)
    assert all("suljettiin" not in t for t in seen(fb, "@aino"))
    # The advocacy team answers now; the section cannot any more; the sender's answer reaches advocacy.
    assert "kuuluu toiselle tiimille" in texts(await fb.say(f"/feedback reply {code} Hei", as_="sami"))
    await fb.say(f"/feedback reply {code} Otamme asian hallitukseen", as_="eeva", roles="advocacy")
    assert seen(fb, "@aino")[-1].endswith("Edunvalvontatiimi\nOtamme asian hallitukseen")
    await fb.say("Kiitos", as_="aino", where="dm")
    await fb.wait("5m")
    assert seen(fb, "#advocacy")[-1].endswith("Lähettäjä\nKiitos")
    assert all(not t.endswith("Kiitos") for t in seen(fb, "#section_international"))


async def test_handled_and_reopened(fb: ConsoleBot) -> None:
    code = await send(fb, "aino", "Kahvi loppuu")
    await fb.wait("5m")
    listed = await fb.say("/feedback cases", as_="eeva", roles="advocacy")
    await fb.click(1, message=listed[-1].number)
    view = fb.console.printed[-1]
    # The view's Answer asks for the text (a form), then it goes to the sender as the team's.
    assert "Mitä vastaat?" in texts(await click(fb, "Vastaa", message=view.number))
    await fb.say("Tilaamme lisää")
    assert seen(fb, "@aino")[-1] == f"Yksityiskeskustelu ”Palaute {code} · Opinnot” · Edunvalvontatiimi\nTilaamme lisää"
    await fb.click(2, message=view.number)  # mark handled
    assert seen(fb, "@aino")[-2:] == [
        f"Yksityiskeskustelu ”Palaute {code} · Opinnot”\nTiimi merkitsi tapauksen {code} käsitellyksi. Kiitos "
        "palautteestasi.", f"Yksityiskeskustelu ”Palaute {code} · Opinnot”\nTämä keskustelu suljettiin."]
    out = texts(await fb.say(f"/feedback reply {code} Vielä yksi", as_="aino", where="dm"))
    assert f"Tapaus {code} on suljettu. Lähetä uusi komennolla /feedback send." in out
    assert "Ei avoimia palautetapauksia." in texts(await fb.say("/feedback cases", as_="eeva"))
    listed = await fb.say("/feedback cases handled=yes", as_="eeva")
    assert "käsitelty" in texts(listed)
    await fb.click(1, message=listed[-1].number)
    await fb.click(2, message=fb.console.printed[-1].number)  # reopen
    assert seen(fb, "@aino")[-1].endswith("Tämä keskustelu avattiin uudelleen.")
    assert "Lähetetty tapaukseen" in texts(await fb.say(f"/feedback reply {code} Vielä yksi", as_="aino",
                                                        where="dm"))


async def test_a_blocked_sender_is_told_until_when_and_the_block_expires(fb: ConsoleBot) -> None:
    code = await send(fb, "aino", "Asiatonta")
    await fb.wait("5m")
    listed = await fb.say("/feedback cases", as_="eeva", roles="advocacy")
    await fb.click(1, message=listed[-1].number)
    asked = await click(fb, "Estä lähettäjä")
    assert "Kuinka pitkäksi aikaa" in texts(asked)
    assert [label for label, _a in fb.console.printed[-1].buttons] == ["1 päivä", "7 päivää", "30 päivää"]
    out = texts(await click(fb, "1 päivä"))
    # Blocked to the end of the hour a day later: 12:00 UTC now, so 15.00 Helsinki tomorrow.
    assert f"Tapauksen {code} lähettäjä on estetty. Hän voi lähettää taas perjantaina 27.11. klo 15.00." in out
    assert seen(fb, "@aino")[-1] == ("Et voi nyt lähettää palautetta etkä vastauksia. Voit lähettää taas "
                                     "perjantaina 27.11. klo 15.00.")
    [block] = await rows(fb, "SELECT * FROM feedback_blocks")
    assert "aino" not in str(dict(block))
    # Neither a new case nor an answer, until then; the team hears nothing of them.
    refused = "Et voi nyt lähettää palautetta. Voit lähettää taas perjantaina 27.11. klo 15.00."
    assert refused in texts(await fb.say(SEND.format(category="studies", text="Uusi"), as_="aino", where="dm"))
    assert refused in texts(await fb.say(f"/feedback reply {code} Taas", as_="aino", where="dm"))
    await fb.say("Kuuleeko kukaan", as_="aino", where="dm")
    assert seen(fb, "@aino")[-1] == "Et voi nyt lähettää palautetta; tätä viestiä ei välitetty."
    before = len(seen(fb, "#advocacy"))
    await fb.wait("10m")
    assert len(seen(fb, "#advocacy")) == before
    # Another student is not blocked; after the block, Aino can write again.
    await send(fb, "olli", "Oma palaute")
    await fb.wait("1d")
    await fb.wait("1h")
    assert "Lähetetty:" in texts(await fb.say(SEND.format(category="studies", text="Uusi"), as_="aino",
                                              where="dm"))


async def test_the_rate_limit_counts_per_sender(tmp_path: Path) -> None:
    fb = await start(tmp_path, rate=2, rate_hours=24)
    try:
        await send(fb, "aino", "Yksi")
        await send(fb, "aino", "Kaksi")
        out = texts(await fb.say(SEND.format(category="studies", text="Kolme"), as_="aino", where="dm"))
        assert "Olet lähettänyt 2 tapausta 24 tunnin sisällä, enempää en ota vastaan." in out
        assert len(await rows(fb, "SELECT code FROM feedback_cases")) == 2
        await send(fb, "olli", "Olli saa")
        await fb.wait("25h")
        await send(fb, "aino", "Kolme")
    finally:
        await fb.stop()


async def test_retention_deletes_cases_conversations_and_routes(tmp_path: Path) -> None:
    fb = await start(tmp_path, retention_days=30)
    try:
        old = await send(fb, "aino", "Vanha asia")
        await fb.wait("5m")
        await fb.wait("20d")
        recent = await send(fb, "olli", "Tuore asia")
        await fb.wait("5m")
        assert len(await rows(fb, "SELECT * FROM conversations")) == 2
        await fb.wait("11d")
        [left] = await rows(fb, "SELECT code FROM feedback_cases")
        assert left["code"] == recent
        assert len(await rows(fb, "SELECT * FROM conversations")) == 1
        assert len(await rows(fb, "SELECT * FROM sealed_routes")) == 1
        assert f"Tapausta {old} ei ole." in texts(await fb.say(f"/feedback reply {old} Hei", as_="aino",
                                                              where="dm"))
    finally:
        await fb.stop()


async def test_bad_input_is_refused_and_changes_nothing(fb: ConsoleBot) -> None:
    code = await send(fb, "aino", "Palaute")
    await fb.wait("5m")
    before = await rows(fb, "SELECT * FROM feedback_cases")
    cases = [
        (SEND.format(category="studies", text="   "), "aino", "”Palautteesi” ei voi olla tyhjä."),
        (SEND.format(category="studies", text="x" * 2001), "aino", "2000"),
        (SEND.format(category="nope", text="Hei"), "aino", "nope"),
        ("/feedback reply F-ZZZZZZ Hei", "aino", "Tapausta F-ZZZZZZ ei ole."),
        ("/feedback reply 12 Hei", "aino", "Tapausta 12 ei ole."),
        (f"/feedback reply {code} Hei", "olli", f"Vain tapauksen {code} lähettäjä ja sen tiimi voivat vastata"),
        (f"/feedback reply {code} Hei", "sami", f"Tapaus {code} kuuluu toiselle tiimille."),
        (f"/feedback reply {code} \"  \"", "aino", "”Vastauksesi” ei voi olla tyhjä."),
    ]
    for line, who, expected in cases:
        roles = "section_international" if who == "sami" else None
        out = texts(await fb.say(line, as_=who, roles=roles, where="dm"))
        assert expected in out, (line, out)
    await fb.wait("10m")
    assert await rows(fb, "SELECT * FROM feedback_cases") == before
    assert await rows(fb, "SELECT * FROM feedback_pending") == []
    assert len(seen(fb, "#advocacy")) == 1 and seen(fb, "@olli") == []


async def test_in_a_channel_it_answers_privately_and_points_to_the_direct_chat(fb: ConsoleBot) -> None:
    out = await fb.say(SEND.format(category="studies", text="Julkisesti"), as_="aino", where="general")
    assert "/feedback send toimii vain yksityisviestissä kanssani" in texts(out)
    assert all(p.where != "#general" for p in out if p.kind == "sent")
    assert await rows(fb, "SELECT * FROM feedback_cases") == []


async def test_mydata_lists_only_the_askers_open_cases_and_forgetme_closes_them(fb: ConsoleBot) -> None:
    import json

    mine = await send(fb, "aino", "Eka")
    second = await send(fb, "aino", "Toka")
    theirs = await send(fb, "olli", "Ollin")
    await fb.wait("5m")
    data = (await fb.say("/mydata", as_="aino", where="dm"))[0]
    listed = json.loads(data.file_data["mydata.json"])["features"]["feedback"]["open_cases"]
    assert sorted(listed) == sorted([mine, second]) and theirs not in listed
    asked = await fb.say("/forgetme", as_="aino")
    await fb.click(1, message=asked[0].number)
    await fb.wait("1s")  # the teams are told by a task run right after the erase
    states = {r["code"]: r["state"] for r in await rows(fb, "SELECT code, state FROM feedback_cases")}
    assert states == {mine: "handled", second: "handled", theirs: "open"}
    told = [t for t in seen(fb, "#advocacy") if "poisti tietonsa" in t]
    assert sorted(code_in(t) for t in told) == sorted([mine, second])
    assert told[0].endswith(f"Tapauksen {code_in(told[0])} lähettäjä poisti tietonsa: tapaus on suljettu, "
                            "eivätkä vastaukset enää tavoita häntä.")
    assert len(await rows(fb, "SELECT * FROM sealed_routes")) == 1
    assert all("poisti tietonsa" not in t for t in seen(fb, "@aino"))


async def test_the_scheduled_row_does_not_tell_when_it_was_sent_nor_by_whom(fb: ConsoleBot) -> None:
    await send(fb, "aino", "Palaute")
    [row] = await rows(fb, "SELECT * FROM scheduled WHERE task = 'feedback_deliver'")
    assert row["person_id"] is None and row["created_at"] == row["due_at"]
    assert "Palaute" not in row["payload"]


async def test_the_delay_is_random_within_the_bounds_and_keeps_the_order(tmp_path: Path) -> None:
    fb = await start(tmp_path, delay_min_minutes=0, delay_max_minutes=15)
    try:
        code = await send(fb, "aino", "Eka")
        for index in range(5):
            await fb.say(f"/feedback reply {code} viesti{index}", as_="aino", where="dm")
        due = [r["due_at"] for r in await rows(fb, "SELECT due_at FROM feedback_pending ORDER BY due_at")]
        assert len(due) == 6 and len(set(due)) == 6
        await fb.wait("15m")
        await fb.wait("10s")
        got = [t.split("\n")[-1] for t in seen(fb, "#advocacy")]
        assert got == ["Eka", *(f"viesti{index}" for index in range(5))]
    finally:
        await fb.stop()


async def test_a_post_as_a_member_is_not_sent_back_to_them(fb: ConsoleBot) -> None:
    """The core piece the cog's delayed relay stands on: post_to_conversation(as_member=...)."""
    from bot.conversations import Member

    ctx = ServiceContext(fb.app)
    person = await fb.app.people.get_or_create("console", "tiina", "Tiina")
    conversation = await ctx.open_conversation("feedback_test", "T", [Member.person(person.id),
                                                                       Member.team("advocacy")])
    await fb.app.settle()
    await ctx.post_to_conversation(conversation, Reply("Moi"), as_member=Member.person(person.id))
    await fb.app.settle()
    assert seen(fb, "#advocacy")[-1] == "Yksityiskeskustelu ”T” · Tiina\nMoi"
    assert all(not t.endswith("Moi") for t in seen(fb, "@tiina"))
    with pytest.raises(ValueError):
        await ctx.post_to_conversation(conversation, Reply("x"), as_member=Member.person(person.id + 99))


@pytest.mark.parametrize(("settings", "problem"), [
    ({"delay_max_minutes": 121}, "feedback.delay_max_minutes: must be between 0 and 120"),
    ({"rate": 0}, "feedback.rate: must be between 1 and 100"),
    ({"retention_days": 100000}, "feedback.retention_days: must be between 1 and 3650"),
    ({"block_days": [0, 7]}, "feedback.block_days: must contain only numbers between 1 and 365"),
    ({"block_days": []}, "feedback.block_days: must have at least 1 entries"),
    ({"page_size": 11}, "feedback.page_size: must be between 1 and 10"),
])
def test_settings_have_bounds(tmp_path: Path, settings: dict[str, Any], problem: str) -> None:
    from bot.config import ConfigError

    with pytest.raises(ConfigError) as raised:
        feedback_config(tmp_path, **settings)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_a_category_without_its_team_is_refused(tmp_path: Path) -> None:
    from bot.config import ConfigError
    from tests.harness import ROOT

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for broken, problem in ((text.replace('#team_en = "Events team"\n', ""), "[3].team_en: required"),
                            (text.replace('#escalate_to = "studies"', '#escalate_to = "x"'), "[4].escalate_to: 'x'")):
        with pytest.raises(ConfigError) as raised:
            feedback_config(tmp_path, text=broken)
        assert any(p.startswith(f"feedback.categories: {problem}") for p in raised.value.problems), \
            raised.value.problems


@pytest.mark.parametrize(("change", "problem"), [
    ({"delay_min_minutes": 10, "delay_max_minutes": 5}, "delay_min_minutes"),
    ({"role": "nobody"}, r"categories\[0\].role: no role 'nobody'"),
    ({"destination": "nowhere"}, r"categories\[0\].destination: no destination 'nowhere'"),
])
async def test_start_refuses_settings_that_do_not_fit_the_rest(tmp_path: Path, change: dict[str, Any],
                                                                problem: str) -> None:
    import dataclasses

    config = feedback_config(tmp_path)
    section = dict(config.sections["feedback"])
    first = {**section["categories"][0], **{k: v for k, v in change.items() if k in ("role", "destination")}}
    section.update({k: v for k, v in change.items() if k.startswith("delay")})
    section["categories"] = [first, *section["categories"][1:]]
    config = dataclasses.replace(config, sections={**config.sections, "feedback": section})
    with pytest.raises(RuntimeError, match=problem):
        await ConsoleBot.start(tmp_path, config=config)


async def test_the_case_list_pages_and_shows_times_only_to_the_hour(fb: ConsoleBot) -> None:
    await fb.wait("7m")  # sent at 14.07 Helsinki time
    codes = [await send(fb, f"student{index}", f"Palaute {index}") for index in range(7)]
    await fb.wait("5m")
    await fb.wait("3h")
    first = await fb.say("/feedback cases", as_="eeva", roles="advocacy")
    text = texts(first)
    assert "Palautetapaukset, sivu 1/2" in text and "Ajat näytetään tunnin tarkkuudella." in text
    assert sum(code in text for code in codes) == 5 and "3 tuntia" in text
    await click(fb, "Seuraava", message=first[-1].number)
    second = fb.message(first[-1].number).text  # the list turned in place
    assert "sivu 2/2" in second and sum(code in second for code in codes) == 2
    await click(fb, next(c for c in codes if c in second))
    view = fb.console.printed[-1].text
    assert "Saapunut to 26.11. klo 14.00." in view  # 14.07, shown to the hour
