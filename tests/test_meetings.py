"""Meetings end to end through the console: reminders to the destination and by DM, answers, the quorum view,
the chair's warning, minutes, the list, a calendar file, a restart and bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.testing import TEST_NOW, ConsoleBot, test_bot, texts

COGS = ["meetings"]
ADD = ('/meeting add kind=board title=Hallitus when="28.11. klo 18" place="Toimisto" to=board '
       'members="Aino,Bertta,Cecilia" agenda=https://docs.example/agenda')


async def meet_people(bot: ConsoleBot) -> None:
    for name in ("Aino", "Bertta", "Cecilia", "Olli"):
        await bot.say("/help", as_=name, roles="student", where="dm")


async def chair(bot: ConsoleBot, line: str) -> str:
    return texts(await bot.say(line, as_="Hanna", roles="board", where="dm"))


async def test_reminders_answers_quorum_and_the_chairs_warning() -> None:
    async with test_bot(cogs=COGS) as bot:
        await meet_people(bot)
        assert "1" in await chair(bot, ADD)
        await bot.wait("1679m")  # 27.11. 17:59 Helsinki time
        assert bot.sent_to("#board") == []
        await bot.wait("1m")  # 27.11. 18:00: a day before
        [posted] = bot.sent_to("#board")
        assert "Hallitus" in posted.text and "https://docs.example/agenda" in posted.text
        dms = {name: bot.sent_to(f"@{name.lower()}") for name in ("Aino", "Bertta", "Cecilia")}
        assert all(len(sent) == 1 for sent in dms.values())
        # The chair hears there is no quorum (0 of 3 answered; more than half needed).
        warning = texts(bot.sent_to("@hanna"))
        assert "0/2" in warning
        await bot.click(1, message=dms["Aino"][0].number, as_="Aino")  # coming
        await bot.click(3, message=posted.number, as_="Bertta")  # remote, on the shared post
        refused = texts(await bot.click(1, message=posted.number, as_="Olli"))
        assert refused
        view = await chair(bot, "/meeting attendance 1")
        assert "Aino" in view and "Bertta" in view and "Cecilia" in view and "Olli" not in view
        assert "2/2" in view
        answers = await bot.rows("SELECT person_id, answer FROM meeting_answers ORDER BY answer")
        assert [row["answer"] for row in answers] == ["remote", "yes"]
        await bot.wait("23h")  # an hour before
        assert len(bot.sent_to("#board")) == 2 and len(bot.sent_to("@cecilia")) == 2
        await bot.wait("2h")
        await chair(bot, "/meeting minutes 1 https://docs.example/minutes")
        listed = await chair(bot, "/meeting list")
        assert "https://docs.example/minutes" in listed


async def test_weekly_meeting_keeps_its_time_over_dst_and_survives_a_restart(tmp_path: Path) -> None:
    async with test_bot(cogs=COGS, data_dir=tmp_path) as bot:
        await meet_people(bot)
        await chair(bot, '/meeting add kind=council title=Edustajisto when="25.3.2027 klo 18" place=Sali '
                         'to=board members=Aino repeat=weekly')
    async with test_bot(cogs=COGS, data_dir=tmp_path, now=TEST_NOW + timedelta(days=110)) as bot:
        await bot.wait("25d")
        rows = await bot.rows("SELECT due_at FROM scheduled WHERE task = 'mt_remind' AND key LIKE '%:r1'"
                              " ORDER BY due_at")
        # An hour before 18:00 Helsinki time: 15:00 UTC in winter time, 14:00 UTC from 28.3. on.
        assert [row["due_at"][:16] for row in rows][:3] == ["2027-03-25T15:00", "2027-04-01T14:00",
                                                           "2027-04-08T14:00"]
        assert len(bot.sent_to("@aino")) == 2 * 3  # two reminders for each of three weeks, once each


async def test_bad_input_is_refused() -> None:
    async with test_bot(cogs=COGS) as bot:
        await meet_people(bot)
        past = await chair(bot, '/meeting add kind=board title=X when="20.11.2026 klo 18" place=A to=board '
                                'members=Aino')
        unknown = await chair(bot, '/meeting add kind=board title=X when="28.11. klo 18" place=A to=nowhere '
                                   'members=Aino')
        nobody = await chair(bot, '/meeting add kind=board title=X when="28.11. klo 18" place=A to=board '
                                  'members=Zorro')
        never = await chair(bot, '/meeting add kind=board title=X when="28.11. klo 18" place=A to=board '
                                 'members=Aino rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"')
        student = texts(await bot.say('/meeting add kind=board title=X when="28.11. klo 18" place=A to=board '
                                      'members=Aino', as_="Olli", roles="student", where="dm"))
        assert "nowhere" in unknown and "Zorro" in nobody and "FREQ" in never and past and student
        assert await bot.rows("SELECT id FROM meetings") == []


async def test_members_get_a_calendar_file_and_their_data() -> None:
    async with test_bot(cogs=COGS) as bot:
        await meet_people(bot)
        await chair(bot, ADD)
        [out] = [p for p in await bot.say("/meeting calendar", as_="Aino", where="dm") if p.file_data]
        data = next(iter(out.file_data.values()))
        assert b"BEGIN:VEVENT" in data and b"Hallitus" in data


async def test_no_warning_to_the_chair_when_the_quorum_is_met() -> None:
    async with test_bot(cogs=COGS, config={"meetings": {"warning_hours": 2, "quorum_board": 1}}) as bot:
        await meet_people(bot)
        await chair(bot, ADD)
        await bot.wait("1680m")  # the reminder a day before
        [dm] = bot.sent_to("@aino")
        await bot.click(3, message=dm.number, as_="Aino")  # remote counts as present
        await bot.wait("1d")
        assert bot.sent_to("@hanna") == []
        assert "1/1" in await chair(bot, "/meeting attendance 1")


async def test_mydata_and_forgetme_cover_memberships_and_answers() -> None:
    async with test_bot(cogs=COGS) as bot:
        await meet_people(bot)
        await chair(bot, ADD)
        await bot.wait("1680m")
        [dm] = bot.sent_to("@aino")
        await bot.click(1, message=dm.number, as_="Aino")
        out = await bot.say("/mydata", as_="Aino")
        data = json.loads(out[0].file_data["mydata.json"])
        assert data["features"]["meeting"]["member_of"] == [1]
        assert [a["answer"] for a in data["features"]["meeting"]["answers"]] == ["yes"]
        aino = await bot.person("Aino")
        await bot.say("/forgetme", as_="Aino")
        await bot.click(1)
        assert await bot.rows("SELECT * FROM meeting_answers WHERE person_id = ?", (aino.id,)) == []
        assert await bot.rows("SELECT * FROM meeting_members WHERE person_id = ?", (aino.id,)) == []
        assert len(await bot.rows("SELECT * FROM meeting_members")) == 2  # Bertta's and Cecilia's stay


async def test_a_cancelled_meeting_sends_nothing_more_and_a_chair_adds_only_team_meetings() -> None:
    async with test_bot(cogs=COGS) as bot:
        await meet_people(bot)
        await chair(bot, ADD)
        refused = texts(await bot.say(ADD.replace("kind=board", "kind=council"), as_="Tiina", roles="chair",
                                      where="dm"))
        assert refused and len(await bot.rows("SELECT id FROM meetings")) == 1
        await bot.say(ADD.replace("kind=board", "kind=team"), as_="Tiina", roles="chair", where="dm")
        assert len(await bot.rows("SELECT id FROM meetings")) == 2
        not_theirs = texts(await bot.say("/meeting cancel 1", as_="Tiina", roles="chair", where="dm"))
        assert "1" in not_theirs
        await chair(bot, "/meeting cancel 1")
        assert [len(bot.sent_to(f"@{n}")) for n in ("aino", "bertta", "cecilia")] == [1, 1, 1]  # told
        await bot.wait("3d")
        assert await bot.rows("SELECT key FROM scheduled WHERE key LIKE 'mt:1:%' AND status = 'done'") == []


async def test_members_by_role_are_its_known_holders_for_dms_and_the_quorum() -> None:
    async with test_bot(cogs=COGS) as bot:
        for name, roles in (("Aino", "student,tutor"), ("Bertta", "student,tutor"), ("Cecilia", "student")):
            await bot.say("/help", as_=name, roles=roles, where="dm")
        await bot.say("/help", as_="Bertta", roles="student", where="dm")  # no longer a tutor
        await chair(bot, '/meeting add kind=team title=Tuutorit when="28.11. klo 18" place=Kahvio to=tutors '
                         'role=tutor')
        await bot.wait("1680m")  # the reminder a day before
        assert len(bot.sent_to("@aino")) == 1  # the one holder the bot knows
        assert bot.sent_to("@bertta") == [] and bot.sent_to("@cecilia") == []
        assert "0/1" in texts(bot.sent_to("@hanna"))  # the chair: no quorum among the known holders
        await bot.click(1, message=bot.sent_to("@aino")[0].number, as_="Aino")
        view = await chair(bot, "/meeting attendance 1")
        assert "Aino" in view and "Bertta" not in view and "1/1" in view
        [out] = [p for p in await bot.say("/meeting calendar", as_="Aino", roles="student,tutor", where="dm")
                 if p.file_data]
        assert b"Tuutorit" in next(iter(out.file_data.values()))


async def test_the_roles_the_bot_has_seen_are_in_mydata_and_go_with_forgetme() -> None:
    async with test_bot(cogs=COGS) as bot:
        await bot.say("/help", as_="Aino", roles="student,tutor", where="dm")
        out = await bot.say("/mydata", as_="Aino", roles="student,tutor")
        data = json.loads(out[0].file_data["mydata.json"])
        assert [row["role"] for row in data["roles_seen"]] == ["tutor"]
        await bot.say("/forgetme", as_="Aino", roles="student,tutor")
        await bot.click(1)
        assert await bot.rows("SELECT * FROM role_holders") == []
