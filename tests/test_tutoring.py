"""Tutoring (issue 22) on the console, through the real command path: a student (Sanni) and two tutors (Olli,
Tiina). Requests, the live card and queue place, claims into a conversation, handovers, closing and rating,
escalations under the controlled clock, away tutors, the queue's filters, stats and the privacy hooks.

Readers are English (the community default is set so) so that the texts asserted are the source texts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.testing import ConsoleBot, Printed, test_bot, texts

ASK = '/tutor request topic=study_skills language=en where=online description="{text}"'


def config(**tutoring: Any) -> dict[str, Any]:
    return {"community": {"default_language": "en"}, "tutoring": tutoring}


@pytest.fixture
async def bot() -> AsyncIterator[ConsoleBot]:
    async with test_bot(cogs=["tutoring"], config=config()) as bot:
        await bot.say("/tutor back", as_="Olli", roles="tutor")
        await bot.say("/tutor back", as_="Tiina", roles="tutor")
        yield bot


async def ask(bot: ConsoleBot, text: str = "Planning my first year", who: str = "Sanni",
              roles: str = "student") -> Printed:
    printed = await bot.say(ASK.format(text=text), as_=who, roles=roles)
    [status] = [p for p in printed if p.kind == "reply"]
    return status


def card(bot: ConsoleBot, request_id: int, where: str = "#tutors") -> Printed:
    """The first copy of the request's card at `where`, as it looks now."""
    first = next(p for p in bot.sent_to(where) if p.text.startswith(f"Tutoring request #{request_id}\n"))
    return bot.message(first.number)


def last(bot: ConsoleBot, where: str) -> Printed:
    """The last message sent (not edited) to `where`."""
    return [p for p in bot.sent_to(where) if p.kind == "sent"][-1]


async def claim(bot: ConsoleBot, request_id: int, tutor: str = "Olli") -> list[Printed]:
    return await bot.press("Claim", message=card(bot, request_id).number, as_=tutor)


async def test_a_request_shows_its_place_and_its_card_until_a_tutor_claims_it(bot: ConsoleBot) -> None:
    first = await ask(bot, "first")
    second = await ask(bot, "second", who="Aino")
    assert "Your place in the queue: 1" in first.text
    assert "Your place in the queue: 2" in second.text
    assert "Waiting for a tutor." in card(bot, 2).text and card(bot, 2).buttons[0][0] == "Claim"

    reply = texts(await claim(bot, 1))
    assert "You claimed request #1" in reply
    # The earlier request left the queue: Aino's place moves up on her message, Sanni's shows the tutor.
    assert "Your place in the queue: 1" in bot.message(second.number).text
    assert "Olli is helping you" in bot.message(first.number).text
    assert "Claimed by Olli." in card(bot, 1).text and card(bot, 1).buttons == []


async def test_student_and_tutor_talk_both_ways_and_a_second_claim_is_refused(bot: ConsoleBot) -> None:
    await ask(bot)
    await claim(bot, 1)
    assert "Olli is helping you with request #1" in last(bot, "@sanni").text
    await bot.say("When can we meet?", as_="Sanni")
    assert last(bot, "@olli").text.endswith("· Sanni\nWhen can we meet?")
    await bot.say("Tomorrow at ten", as_="Olli")
    assert last(bot, "@sanni").text.endswith("· Olli\nTomorrow at ten")  # the tutor's display name

    refused = await bot.press_action("tut:claim:1", as_="Tiina", message=card(bot, 1).number)
    assert "Request #1 was already claimed by Olli." in texts(refused)
    rows = await bot.rows("SELECT state, tutor_id FROM tutoring_requests")
    assert rows == [{"state": "claimed", "tutor_id": (await bot.person("Olli")).id}]


async def test_bad_input_changes_nothing(bot: ConsoleBot) -> None:
    # A student calling tutor commands and buttons.
    assert "Only" in texts(await bot.say("/tutor queue", as_="Sanni", roles="student"))
    await ask(bot)
    assert "Only" in texts(await bot.press_action("tut:claim:1", as_="Sanni", message=card(bot, 1).number))
    # A tutor claiming their own request.
    await ask(bot, "mine too", who="Tiina", roles="tutor")
    assert "You cannot claim your own request." in texts(await claim(bot, 2, tutor="Tiina"))
    # An unknown request.
    assert "There is no tutoring request #99." in texts(await bot.say("/tutor resolve request=99", as_="Olli"))
    assert "There is no tutoring request #99." in texts(await bot.say("/tutor release request=99", as_="Olli"))
    # Someone else's request.
    assert "Only the student or a tutor" in texts(await bot.say("/tutor resolve request=1", as_="Aino"))
    assert "Only the student who asked" in texts(await bot.say("/tutor cancel request=1", as_="Aino"))
    states = await bot.rows("SELECT state FROM tutoring_requests ORDER BY id")
    assert states == [{"state": "open"}, {"state": "open"}]


async def test_release_puts_it_back_at_its_place_and_a_transfer_waits_for_acceptance(bot: ConsoleBot) -> None:
    first = await ask(bot, "first")
    second = await ask(bot, "second", who="Aino")
    await claim(bot, 1)
    assert "Your place in the queue: 1" in bot.message(second.number).text
    released = await bot.say("/tutor release request=1", as_="Olli")
    assert "Request #1 is back in the queue." in texts(released)
    assert "Your place in the queue: 1" in bot.message(first.number).text
    assert "Your place in the queue: 2" in bot.message(second.number).text
    assert card(bot, 1).buttons[0][0] == "Claim"

    await claim(bot, 1, tutor="Tiina")
    asked = await bot.say("/tutor transfer request=1 to=Olli", as_="Tiina")
    assert "Asked Olli to take over request #1." in texts(asked)
    offer = last(bot, "@olli")
    assert "Tiina asks you to take over tutoring request #1." in offer.text
    # Only Olli can accept; a refusal by anyone else changes nothing.
    assert "for the person" in texts(await bot.press("Accept", message=offer.number, as_="Tiina"))
    assert "You took over request #1." in texts(await bot.press("Accept", message=offer.number, as_="Olli"))
    assert "Claimed by Olli." in card(bot, 1).text
    await bot.say("Olli here now", as_="Olli")
    assert last(bot, "@sanni").text.endswith("· Olli\nOlli here now")
    await bot.say("Thanks", as_="Sanni")
    assert last(bot, "@olli").text.endswith("Thanks")
    assert not any(p.text.endswith("Thanks") for p in bot.sent_to("@tiina"))  # she is out of the room

    # A second tutor joins the same room.
    added = await bot.say("/tutor add request=1 tutor=Tiina", as_="Olli")
    assert "Tiina is now a second tutor of request #1." in texts(added)
    await bot.say("Both of you?", as_="Sanni")
    assert last(bot, "@tiina").text.endswith("Both of you?")
    assert "Claimed by Olli and Tiina." in card(bot, 1).text


async def test_resolve_rate_once_comment_and_transcript(bot: ConsoleBot) -> None:
    await ask(bot)
    await claim(bot, 1)
    await bot.say("Hello Olli", as_="Sanni")
    await bot.say("Hello Sanni", as_="Olli")
    assert "Request #1 is resolved." in texts(await bot.say("/tutor resolve request=1", as_="Olli"))
    rate = last(bot, "@sanni")
    assert "How well did the tutoring help you" in rate.text
    thanks = await bot.press("★★★★", message=rate.number, as_="Sanni")
    assert "Thank you for the rating." in texts(thanks)
    assert "already rated" in texts(await bot.say("/tutor rate request=1 stars=1", as_="Sanni"))
    assert "already rated" in texts(await bot.press("★★", message=rate.number, as_="Sanni"))
    await bot.say('/tutor comment request=1 text="Very helpful"', as_="Sanni")
    assert await bot.rows("SELECT rating, comment, closed_by FROM tutoring_requests") == [
        {"rating": 4, "comment": "Very helpful", "closed_by": "tutor"}]
    assert "Resolved." in card(bot, 1).text

    # Both get the transcript; the student's messages no longer reach the tutor.
    for who in ("Sanni", "Olli"):
        [file] = [p for p in await bot.say("/tutor transcript request=1", as_=who) if p.files]
        data = file.file_data[file.files[0]].decode()
        assert "Sanni: Hello Olli" in data and "Olli: Hello Sanni" in data
    assert "Only the student and the tutors" in texts(await bot.say("/tutor transcript request=1", as_="Tiina"))
    before = len(bot.sent_to("@olli"))
    await bot.say("One more thing", as_="Sanni")
    assert len(bot.sent_to("@olli")) == before
    # A closed request's conversation takes no more changes.
    assert "already closed" in texts(await bot.say("/tutor release request=1", as_="Olli"))
    assert "already closed" in texts(await bot.say("/tutor cancel request=1", as_="Sanni"))


async def test_the_student_cancels_and_the_queue_moves(bot: ConsoleBot) -> None:
    first = await ask(bot, "first")
    second = await ask(bot, "second", who="Aino")
    await bot.press("Cancel the request", message=first.number, as_="Sanni")
    assert "Cancelled by the student." in card(bot, 1).text
    assert "Your place in the queue: 1" in bot.message(second.number).text
    assert await bot.rows("SELECT state, closed_by FROM tutoring_requests WHERE id = 1") == [
        {"state": "cancelled", "closed_by": "student"}]


async def test_cancelling_a_released_request_closes_its_conversation(bot: ConsoleBot) -> None:
    await ask(bot)
    await claim(bot, 1)
    await bot.say("/tutor release request=1", as_="Olli")
    await bot.say("/tutor cancel request=1", as_="Sanni")
    assert await bot.rows("SELECT status FROM conversations") == [{"status": "closed"}]


async def test_unclaimed_is_reannounced_to_tutors_not_away_then_the_coordinator_is_told() -> None:
    # Tutors' hours 8-20 on weekdays; the clock starts on Thursday 14:00 Helsinki time.
    async with test_bot(cogs=["tutoring"], config=config(reannounce_hours=1, coordinator_hours=5)) as bot:
        await bot.say("/tutor back", as_="Olli", roles="tutor")
        await bot.say("/tutor away", as_="Tiina", roles="tutor")
        await ask(bot)
        await bot.wait("50m")
        assert len([p for p in bot.sent_to("#tutors") if p.kind == "sent"]) == 1
        await bot.wait("15m")
        assert len([p for p in bot.sent_to("#tutors") if p.kind == "sent"]) == 2  # posted again
        assert last(bot, "@olli").text.startswith("Tutoring request #1")
        assert bot.sent_to("@tiina") == []  # away: skipped
        assert bot.sent_to("#board") == []
        await bot.wait("4h")
        assert "Tutoring request #1 has found no tutor yet." in bot.sent_to("#board")[-1].text


async def test_the_unclaimed_time_counts_only_within_tutors_hours() -> None:
    # 14:00 on Thursday, hours 8-15: one hour left today, the second at 8-9 on Friday.
    async with test_bot(cogs=["tutoring"], config=config(reannounce_hours=2, hours_end=15)) as bot:
        await ask(bot)
        await bot.wait("3h")
        assert len([p for p in bot.sent_to("#tutors") if p.kind == "sent"]) == 1
        await bot.wait("14h")  # Friday 07:00 Helsinki time: tutors' hours have not begun
        assert len([p for p in bot.sent_to("#tutors") if p.kind == "sent"]) == 1
        await bot.wait("125m")  # Friday 09:05
        assert len([p for p in bot.sent_to("#tutors") if p.kind == "sent"]) == 2


async def test_silent_tutor_is_reminded_then_the_coordinator_and_a_silent_student_is_asked_then_closed() -> None:
    settings = config(tutor_silent_hours=1, student_silent_hours=2, student_close_hours=3)
    async with test_bot(cogs=["tutoring"], config=settings) as bot:
        await ask(bot)
        await bot.say("/tutor back", as_="Olli", roles="tutor")
        await bot.press("Claim", message=card(bot, 1).number, as_="Olli")
        await bot.wait("65m")
        assert "Request #1 is waiting for your answer." in last(bot, "@olli").text
        await bot.wait("65m")
        assert "waiting for its tutor's answer" in bot.sent_to("#board")[-1].text

        await bot.say("Are you there?", as_="Olli")  # now waiting on the student
        await bot.wait("125m")
        asked = last(bot, "@sanni")
        assert "Do you still need help?" in asked.text
        await bot.wait("185m")
        assert "closed itself" in last(bot, "@sanni").text
        assert "closed itself" in last(bot, "@olli").text
        assert await bot.rows("SELECT state, closed_by FROM tutoring_requests") == [
            {"state": "expired", "closed_by": "bot"}]


async def test_a_student_message_stops_the_closing_clock() -> None:
    async with test_bot(cogs=["tutoring"], config=config(student_silent_hours=1, student_close_hours=1)) as bot:
        await ask(bot)
        await bot.say("/tutor back", as_="Olli", roles="tutor")
        await bot.press("Claim", message=card(bot, 1).number, as_="Olli")
        await bot.say("Hi!", as_="Olli")
        await bot.wait("65m")
        assert "Do you still need help?" in last(bot, "@sanni").text
        await bot.press("I still need help", as_="Sanni")
        await bot.wait("3h")
        assert await bot.rows("SELECT state FROM tutoring_requests") == [{"state": "claimed"}]


async def test_the_queue_filters_and_mine(bot: ConsoleBot) -> None:
    await bot.say('/tutor request topic=wellbeing language=fi where=helsinki description="a"', as_="Sanni")
    await bot.say('/tutor request topic=study_skills language=en where=online description="b"', as_="Aino")
    await bot.say('/tutor request topic=wellbeing language=en where=online description="c"', as_="Emma")
    everything = texts(await bot.say("/tutor queue", as_="Olli"))
    assert everything.index("#1") < everything.index("#2") < everything.index("#3")
    online = texts(await bot.say("/tutor queue where=online", as_="Olli"))
    assert "#1" not in online and "#2" in online and "#3" in online
    english_wellbeing = texts(await bot.say("/tutor queue language=en topic=wellbeing", as_="Olli"))
    assert "#3" in english_wellbeing and "#2" not in english_wellbeing and "#1" not in english_wellbeing
    helsinki = texts(await bot.say("/tutor queue where=helsinki", as_="Olli"))
    assert "#1" in helsinki and "#2" not in helsinki
    await bot.press("Claim", as_="Olli")  # the one request listed: #1
    mine = texts(await bot.say("/tutor mine", as_="Olli"))
    assert "#1" in mine and "Claimed by Olli." in mine and "#2" not in mine


async def test_stats_by_campus_language_topic_and_the_online_share(bot: ConsoleBot) -> None:
    await bot.say('/tutor request topic=wellbeing language=fi where=helsinki description="a"', as_="Sanni")
    await ask(bot, "b", who="Aino")
    await bot.wait("1h")
    await claim(bot, 2)
    await bot.wait("1h")
    await bot.say("Hi", as_="Olli")
    await bot.say("/tutor resolve request=2", as_="Olli")
    await bot.say("/tutor rate request=2 stars=5", as_="Aino")
    assert "Only" in texts(await bot.say("/tutor stats", as_="Olli"))
    shown = texts(await bot.say("/tutor stats days=7", as_="Kaisa", roles="tutor_coordinator"))
    assert "2 requests" in shown
    assert "to claim: median 1.0 h, p90 1.0 h" in shown
    assert "to first answer: median 2.0 h, p90 2.0 h" in shown
    assert "rating 5.0 (1 rating)" in shown
    assert "Online students asked 50 % of the requests." in shown
    for group in ("Helsinki", "Study skills", "Wellbeing", "Finnish", "English", "On campus"):
        assert group in shown
    # Issue 20: Finnish decimals and plurals ("1,0 h", "1 arvio", "viimeisen 1 päivän").
    await bot.say("/language fi", as_="Kaisa")
    finnish = texts(await bot.say("/tutor stats days=1"))
    assert "1,0 h" in finnish and "(1 arvio)" in finnish and "viimeisen 1 päivän" in finnish


async def test_mydata_and_forgetme_keep_an_anonymous_record(bot: ConsoleBot) -> None:
    await ask(bot, "my secret worry")
    await claim(bot, 1)
    await bot.say("Hello there", as_="Sanni")
    [data] = [p for p in await bot.say("/mydata", as_="Sanni") if p.files]
    exported = json.loads(data.file_data[data.files[0]])
    assert exported["features"]["tutor"]["requests"][0]["description"] == "my secret worry"
    assert exported["features"]["tutor"]["messages"][0]["text"] == "Hello there"

    await bot.say("/forgetme", as_="Sanni")
    await bot.press("Yes")
    rows = await bot.rows("SELECT student_id, description, state FROM tutoring_requests")
    assert rows == [{"student_id": None, "description": "", "state": "cancelled"}]
    assert await bot.rows("SELECT * FROM tutoring_messages") == []
    # The tutor kept a record for the stats.
    assert "1 request" in texts(await bot.say("/tutor stats", as_="Kaisa", roles="tutor_coordinator"))


async def test_a_tutor_who_forgets_leaves_no_name_and_their_request_goes_back_to_the_queue(bot: ConsoleBot) -> None:
    status = await ask(bot)
    await claim(bot, 1)
    await bot.say("Hello from Olli", as_="Olli")
    olli = (await bot.person("Olli")).id
    await bot.say("/forgetme", as_="Olli")
    await bot.press("Yes")
    assert await bot.rows("SELECT state, tutor_id FROM tutoring_requests") == [{"state": "open", "tutor_id": None}]
    assert await bot.rows("SELECT person_id, author FROM tutoring_messages") == [{"person_id": None, "author": ""}]
    assert await bot.rows("SELECT * FROM tutoring_tutors WHERE person_id = ?", (olli,)) == []
    assert "Your place in the queue: 1" in bot.message(status.number).text
    assert card(bot, 1).buttons[0][0] == "Claim"


async def test_a_topic_with_intake_questions_asks_them_as_a_form_first() -> None:
    questions = ["online_tools: Which tool or course is it about?", "online_tools: What have you tried?"]
    async with test_bot(cogs=["tutoring"], config=config(questions=questions)) as bot:
        asked = await bot.say('/tutor request topic=online_tools language=en where=online description="Moodle"',
                              as_="Sanni")
        assert "Which tool or course is it about?" in texts(asked)
        assert await bot.rows("SELECT id FROM tutoring_requests") == []  # nothing made before the answers
        asked = await bot.say("Moodle quiz of Statistics 1")
        assert "What have you tried?" in texts(asked)
        done = await bot.press("Skip")
        assert "Your place in the queue: 1" in texts(done)
        assert "Which tool or course is it about? Moodle quiz of Statistics 1" in card(bot, 1).text
        assert "What have you tried?" not in card(bot, 1).text
        # A topic without questions is made at once.
        made = await bot.say('/tutor request topic=other language=en where=online description="x"', as_="Aino")
        assert "Your place in the queue: 2" in texts(made)


async def test_intake_questions_must_name_a_topic() -> None:
    with pytest.raises(RuntimeError, match=r"is not one of tutoring\.topics"):
        async with test_bot(cogs=["tutoring"], config=config(questions=["nosuch: Why?"])):
            pass
