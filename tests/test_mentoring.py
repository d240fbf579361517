"""Mentoring (issue 23) through the real command path: a coordinator (Kaisa), two mentors (Matti, Minna) and
three aktoris (Aino alone; Eero and Elli as a team). Readers are English so the asserted texts are the source."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.testing import ConsoleBot, Printed, test_bot, texts

CONFIG: dict[str, Any] = {"community": {"default_language": "en"}}
PROGRAMME = ('/mentor programme name="Mentoring 2027" start="1.12.2026" end="31.5.2027" '
             'deadline="10.12.2026" kickoff=7')
COORD = "mentor_coordinator"


async def as_coordinator(bot: ConsoleBot, line: str) -> list[Printed]:
    return await bot.say(line, as_="Kaisa", roles=COORD)


async def applied(bot: ConsoleBot) -> None:
    await as_coordinator(bot, PROGRAMME)
    for who in ("Aino", "Eero", "Elli", "Matti", "Minna"):  # everyone exists before names are typed
        await bot.say("/help", as_=who, roles="student")
    await bot.say('/mentor apply side=mentor field="youth work" languages=fi,en mode=online '
                  'about="Ten years in youth work"', as_="Matti", roles="mentor")
    await bot.say('/mentor apply side=mentor field="cultural management" languages=fi mode=campus '
                  'campus=helsinki about="Festival producer"', as_="Minna", roles="mentor")
    await bot.say('/mentor apply side=aktori field="youth work" languages=en mode=online '
                  'about="Finding my first job" stage=thesis', as_="Aino", roles="aktori")
    await bot.say('/mentor apply side=aktori field="cultural management" languages=fi mode=campus '
                  'campus=helsinki about="Our coaching team" stage=first team=Elli', as_="Eero", roles="aktori")


async def paired(bot: ConsoleBot) -> None:
    await applied(bot)
    await as_coordinator(bot, "/mentor pair mentor=Matti aktori=Aino")
    await as_coordinator(bot, "/mentor pair mentor=Minna aktori=Elli")


@pytest.fixture
async def bot() -> AsyncIterator[ConsoleBot]:
    async with test_bot(cogs=["mentoring"], config=CONFIG) as bot:
        yield bot


def dms(bot: ConsoleBot, who: str) -> str:
    return "\n".join(p.text for p in bot.sent_to(f"@{who.lower()}"))


def last_with(bot: ConsoleBot, who: str, text: str) -> Printed:
    return [p for p in bot.sent_to(f"@{who.lower()}") if text in p.text and p.buttons][-1]


async def test_applications_show_ranked_match_suggestions_with_reasons(bot: ConsoleBot) -> None:
    await applied(bot)
    shown = texts(await as_coordinator(bot, "/mentor applications"))
    aino = shown[shown.index("Aino (aktori)"):]
    aino = aino[:aino.index("Eero")]
    # Matti shares the field, English and the mode with Aino; Minna shares nothing but is listed after him.
    assert "Suggested: Matti (6): same field (work, youth), speaks English and meeting mode fits" in aino
    assert aino.index("Suggested: Matti") < aino.index("Suggested: Minna")
    team = shown[shown.index("Eero and Elli (aktori)"):]
    assert "Suggested: Minna (7)" in team and "same campus" in team


async def test_pairs_and_groups_are_told_and_get_a_conversation(bot: ConsoleBot) -> None:
    await paired(bot)
    pairs = await bot.rows("SELECT id, kind, conversation_id FROM mentoring_pairs ORDER BY id")
    assert [(p["id"], p["kind"]) for p in pairs] == [(1, "individual"), (2, "group")]
    assert all(p["conversation_id"] for p in pairs)
    for who in ("Matti", "Aino"):
        assert "You are paired in Mentoring 2027: Mentoring: Matti and Aino." in dms(bot, who)
    for who in ("Minna", "Eero", "Elli"):
        assert "Mentoring: Minna, Eero and Elli" in dms(bot, who)
        assert "Welcome to your mentoring group, number 2." in dms(bot, who)
        assert "The online kick-off, where pairs fill in their agreement: /event show 7" in dms(bot, who)
    # What Aino writes reaches Matti, and nobody of the group.
    await bot.say("Hello Matti!", as_="Aino", where="dm")
    assert "Hello Matti!" in dms(bot, "Matti")
    assert all("Hello Matti!" not in dms(bot, w) for w in ("Minna", "Eero", "Elli"))


async def test_the_agreement_counts_once_every_member_confirms(bot: ConsoleBot) -> None:
    await paired(bot)
    await bot.say('/mentor agreement goals="Career paths" rhythm="every three weeks" mode=either pair=2 '
                  'cost_plan="Museum tickets" cost_limit=20', as_="Minna")
    assert "Goals: Career paths" in dms(bot, "Elli")
    for who, expected in (("Minna", "Waiting for 2 more members."), ("Eero", "Waiting for 1 more member.")):
        answer = texts(await bot.press("Confirm", message=last_with(bot, who, "Goals").number, as_=who))
        assert expected in answer
    # Elli's button is hers alone.
    refused = texts(await bot.press("Confirm", message=last_with(bot, "Elli", "Goals").number, as_="Eero"))
    assert "This button is for the person it was shown to." in refused
    done = texts(await bot.press("Confirm", message=last_with(bot, "Elli", "Goals").number, as_="Elli"))
    assert "Everyone has confirmed: the agreement is agreed." in done
    assert "Every member has confirmed the agreement." in dms(bot, "Eero")
    status = texts(await as_coordinator(bot, "/mentor status"))
    assert "Pair 2 (group): Minna, Eero and Elli; meetings held 0/4; no meeting held; agreed" in status
    assert "Pair 1 (individual): Matti and Aino; meetings held 0/4; no meeting held; no agreement" in status


async def test_a_planned_meeting_tells_reminds_and_gives_a_calendar_file(bot: ConsoleBot) -> None:
    await paired(bot)
    answer = texts(await bot.say('/mentor meeting_plan when="3.12.2026 klo 17" place="https://meet.example/x"',
                                 as_="Aino"))
    assert "Meeting planned for" in answer
    planned = [p for p in bot.sent_to("@matti") if "Mentoring meeting planned" in p.text][-1]
    assert "https://meet.example/x" in planned.text
    [ics] = [data for name, data in planned.file_data.items() if name.endswith(".ics")]
    assert b"DTSTART;TZID=Europe/Helsinki:20261203T170000" in ics and b"LOCATION:https://meet.example/x" in ics
    await bot.wait("6d")  # to 2.12. 14:00: the day-before reminder is due at 17:00
    assert not [p for p in bot.sent_to("@aino") if "Reminder: mentoring meeting" in p.text]
    await bot.wait("1d")  # to 3.12. 14:00: the day-before one is sent, the hour-before one is at 16:00
    assert len([p for p in bot.sent_to("@aino") if "Reminder: mentoring meeting" in p.text]) == 1
    await bot.wait("3h")
    reminders = [p for p in bot.sent_to("@aino") if "Reminder: mentoring meeting" in p.text]
    assert len(reminders) == 2 and "https://meet.example/x" in reminders[-1].text
    assert not [p for p in bot.sent_to("@minna") if "Reminder" in p.text]


async def test_held_meetings_count_towards_the_target_and_the_first_asks_about_fit(bot: ConsoleBot) -> None:
    await paired(bot)
    await bot.say('/mentor meeting_log notes="Talked about the CV"', as_="Matti")
    fit = last_with(bot, "Aino", "does your mentoring pairing fit")
    await bot.press("Not a good fit", message=fit.number, as_="Aino")
    assert "Aino says pair 1 (Matti and Aino) is not a good fit" in dms(bot, "Kaisa")
    await bot.press("Good", message=last_with(bot, "Matti", "pairing fit").number, as_="Matti")
    await bot.say("/mentor meeting_log", as_="Aino")
    assert len([p for p in bot.sent_to("@matti") if "pairing fit" in p.text]) == 1  # asked once
    status = texts(await as_coordinator(bot, "/mentor status"))
    assert "meetings held 2/4" in status
    # The coordinator sees meetings, not notes; the pair sees its notes, the other pair does not.
    assert "CV" not in status
    assert "Talked about the CV" in texts(await bot.say("/mentor mine", as_="Aino"))
    assert "CV" not in texts(await bot.say("/mentor mine", as_="Minna"))


async def test_need_help_reaches_the_coordinator_and_a_quiet_pair_is_nudged_then_reported(bot: ConsoleBot) -> None:
    await paired(bot)
    await bot.say('/mentor meeting_plan when="3.12.2026 klo 17" place=Kahvila', as_="Eero")
    await bot.wait("15d")  # the first check-in
    check = last_with(bot, "Aino", "How is your mentoring going?")
    await bot.press("Need help", message=check.number, as_="Aino")
    assert "Aino in pair 1 (Matti and Aino) needs help" in dms(bot, "Kaisa")
    assert "NEEDS HELP" in texts(await as_coordinator(bot, "/mentor status"))
    await bot.wait("14d")  # 29 days
    assert "no meeting held or planned lately" not in dms(bot, "Aino")
    await bot.wait("14d")  # 43 days without a meeting: nudged
    assert "no meeting held or planned lately" in dms(bot, "Aino")
    assert "even after a nudge" not in dms(bot, "Kaisa")
    await bot.wait("14d")  # still none: the coordinator hears
    assert "Pair 1 (Matti and Aino) has had no meeting held or planned since" in dms(bot, "Kaisa")
    assert "since 2026-11-26" in dms(bot, "Kaisa")
    assert "OVERDUE" in texts(await as_coordinator(bot, "/mentor status"))


async def test_costs_need_an_agreed_plan_and_come_out_as_csv(bot: ConsoleBot) -> None:
    await paired(bot)
    refused = texts(await bot.say('/mentor meeting_log cost=12 cost_what="Bus"', as_="Matti"))
    assert "Costs need a cost plan in an agreement every member has confirmed." in refused
    await bot.say('/mentor agreement goals="Job search" rhythm=monthly mode=online cost_plan="Travel" '
                  'cost_limit=15', as_="Matti")
    await bot.press("Confirm", message=last_with(bot, "Matti", "Goals").number, as_="Matti")
    refused = texts(await bot.say('/mentor meeting_log cost=12 cost_what="Bus"', as_="Matti"))
    assert "Costs need a cost plan" in refused  # Aino has not confirmed yet
    await bot.press("Confirm", message=last_with(bot, "Aino", "Goals").number, as_="Aino")
    assert "at most 15 €" in texts(await bot.say('/mentor meeting_log cost=40 cost_what="Taxi"', as_="Matti"))
    assert "Only the mentor claims costs." in texts(await bot.say('/mentor meeting_log cost=5 cost_what="x"',
                                                                 as_="Aino"))
    assert await bot.rows("SELECT id FROM mentoring_meetings") == []  # nothing refused was stored
    await bot.say('/mentor meeting_log cost=12 cost_what="Bus tickets"', as_="Matti")
    [reply] = await as_coordinator(bot, "/mentor costs")
    assert "1 claim, 12 € in all." in reply.text
    rows = list(csv.reader(io.StringIO(reply.file_data["mentoring-costs.csv"].decode())))
    assert rows == [["pair", "date", "mentor", "euros", "for"], ["1", "2026-11-26", "Matti", "12", "Bus tickets"]]


async def test_end_feedback_per_goal_and_programme(bot: ConsoleBot) -> None:
    await paired(bot)
    assert "Pair 1 ended" in texts(await as_coordinator(bot, "/mentor close pair=1"))
    await bot.press("Give feedback", message=last_with(bot, "Matti", "has ended").number, as_="Matti")
    for score in ("5", "4", "4", "5", "5", "Great year"):
        await bot.say(score, as_="Matti")
    await bot.press("Give feedback", message=last_with(bot, "Aino", "has ended").number, as_="Aino")
    for score in ("3", "4", "2", "5", "3"):
        await bot.say(score, as_="Aino")
    await bot.press("Skip", as_="Aino")
    assert "already ended" in texts(await as_coordinator(bot, "/mentor close pair=1"))
    await bot.wait("200d")  # the programme ends: the group is closed and asked too
    assert "has ended" in dms(bot, "Elli")
    summary = texts(await as_coordinator(bot, "/mentor feedback"))
    assert "2 answers." in summary
    assert "Belonging to the professional community: 4.0 (mentors 5.0 and aktoris 3.0)" in summary
    assert "Pausing for professional reflection: 3.0 (mentors 4.0 and aktoris 2.0)" in summary
    assert "- Great year" in summary


async def test_bad_input_changes_nothing(bot: ConsoleBot) -> None:
    await applied(bot)
    refused = texts(await bot.say("/mentor pair mentor=Matti aktori=Aino", as_="Matti", roles="mentor"))
    assert "Only mentor coordinators can use /mentor pair." in refused
    assert "Only mentor coordinators can use /mentor status." in texts(await bot.say("/mentor status"))
    assert await bot.rows("SELECT id FROM mentoring_pairs") == []
    same = texts(await as_coordinator(bot, "/mentor pair mentor=Matti aktori=Matti"))
    assert "The same person cannot be both the mentor and the aktori." in same
    assert "has not applied as an aktori" in texts(await as_coordinator(bot, "/mentor pair mentor=Minna aktori=Matti"))
    assert await bot.rows("SELECT id FROM mentoring_pairs") == []
    await as_coordinator(bot, "/mentor pair mentor=Matti aktori=Aino")
    again = texts(await as_coordinator(bot, "/mentor pair mentor=Minna aktori=Aino"))
    assert "They are already in pair 1" in again
    old = texts(await bot.say('/mentor meeting_plan when="20.11.2026 klo 17" place=X', as_="Aino"))
    assert "already passed" in old and await bot.rows("SELECT id FROM mentoring_meetings") == []
    # Another pair's number is not even known to a member.
    other = texts(await bot.say('/mentor meeting_plan when="3.12.2026 klo 17" place=X pair=1', as_="Eero"))
    assert "You have no mentoring pair number 1." in other
    late = texts(await bot.say("/mentor apply side=mentor field=x languages=klingon mode=online about=y",
                               as_="Minna"))
    assert "Languages are fi, en or sv" in late


async def test_mydata_and_forgetme_cover_what_mentoring_stores(bot: ConsoleBot) -> None:
    await paired(bot)
    await bot.say("/mentor meeting_log", as_="Aino")
    await bot.press("Good", message=last_with(bot, "Aino", "pairing fit").number, as_="Aino")
    [data] = [p for p in await bot.say("/mydata", as_="Aino") if p.files]
    mine = json.loads(data.file_data["mydata.json"])["features"]["mentor"]
    assert mine["applications"][0]["about"] == "Finding my first job"
    assert mine["pairs"] == [{"pair_id": 1, "side": "aktori", "fit": "good"}]
    aino = (await bot.person("Aino")).id
    await bot.say("/forgetme", as_="Aino")
    await bot.press("Yes")
    for table in ("mentoring_applications", "mentoring_members", "mentoring_confirmations"):
        assert await bot.rows(f"SELECT * FROM {table} WHERE person_id = ?", (aino,)) == []
    # Matti's pair lives on without her; his status line no longer names her.
    assert "Pair 1 (individual): Matti;" in texts(await as_coordinator(bot, "/mentor status"))


async def test_a_coordinator_re_pairs_after_a_pair_that_does_not_fit(bot: ConsoleBot) -> None:
    await paired(bot)
    await bot.say("/mentor meeting_log", as_="Aino")
    await bot.press("Not a good fit", message=last_with(bot, "Aino", "pairing fit").number, as_="Aino")
    await as_coordinator(bot, "/mentor close pair=1")
    assert "Pair 3 made: Mentoring: Minna and Aino." in texts(
        await as_coordinator(bot, "/mentor pair mentor=Minna aktori=Aino"))
    assert [p["id"] for p in await bot.rows("SELECT id FROM mentoring_pairs WHERE state = 'open'")] == [2, 3]
    # Aino now has one open pair: her commands find it without a number.
    assert "Meeting planned" in texts(await bot.say('/mentor meeting_plan when="3.12.2026 klo 17" place=X',
                                                    as_="Aino"))
    assert "Pair 3." in dms(bot, "Minna")
