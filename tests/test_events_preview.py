"""Issue 20: /event create shows the organiser a preview (the card as each destination will see it) with Publish /
Edit / Discard; nothing is announced, scheduled or listed for a draft; an unanswered preview expires and says so.
And the English title and description beside the Finnish ones: each reader and destination gets theirs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import icalendar
import pytest

from bot.context import ServiceContext
from bot.testing import ConsoleBot, Printed, test_bot, texts
from cogs.events.common import queries

QUIZ = '/event create title="Tietovisa" start="4.12. klo 18" where=helsinki description="Neljän hengen joukkueet"'
BILINGUAL = (QUIZ + ' title_en="Quiz night" description_en="Teams of four" language=both')
PREVIEW = {"events": {"preview": True}}


@pytest.fixture
async def bot() -> AsyncIterator[ConsoleBot]:
    async with test_bot(config=PREVIEW) as started:
        yield started


async def ask(bot: ConsoleBot, line: str = QUIZ, as_: str = "Olli") -> list[Printed]:
    return await bot.say(line, as_=as_, roles="organiser", where="dm")


def preview_of(printed: list[Printed]) -> Printed:
    return next(p for p in printed if p.buttons and "Julkaise" in p.buttons[0][0])


async def scheduled(bot: ConsoleBot) -> list[dict[str, object]]:
    return await bot.rows("SELECT key FROM scheduled WHERE status = 'pending' AND key LIKE 'ev:%'"
                          " AND key NOT LIKE 'ev:draft:%'")


async def test_create_previews_the_card_and_announces_nothing_until_publish(bot: ConsoleBot) -> None:
    shown = preview_of(await ask(bot))
    assert [label for label, _action in shown.buttons] == ["Julkaise", "Muokkaa", "Hylkää"]
    assert "Esikatselu" in shown.text and "Tietovisa" in shown.text and "Neljän hengen joukkueet" in shown.text
    assert "Tulossa 0" in shown.text  # the card's own attendee line, as it will be posted
    assert bot.sent_to("#announcements") == [] and await scheduled(bot) == []
    assert "Tietovisa" not in texts(await bot.say("/event list", as_="Sanni"))
    assert await bot.rows("SELECT id FROM events") == []

    published = texts(await bot.press("Julkaise", message=shown.number, as_="Olli"))
    assert "Tapahtuma #1 Tietovisa luotu ja julkaistu" in published
    [card] = [p for p in bot.sent_to("#announcements") if "Tietovisa" in p.text]
    assert "#1 Tietovisa" in card.text and await scheduled(bot)
    assert await bot.rows("SELECT id FROM event_drafts") == []
    # A second press (a stale copy of the preview) publishes nothing twice.
    olli = await bot.person("Olli")
    again = texts(await bot.press_action("ev:publish:1", owner=olli.id, as_="Olli"))
    assert "ei ole enää auki" in again and len(await bot.rows("SELECT id FROM events")) == 1


async def test_the_preview_is_in_the_languages_of_its_destinations(bot: ConsoleBot) -> None:
    await bot.say(":lang en", as_="Olli", roles="organiser")  # the organiser's own language is English
    printed = await ask(bot, BILINGUAL)
    shown = next(p for p in printed if p.buttons and p.buttons[0][0] == "Publish")
    # announcements (Finnish) first, then the international destination (English) below it.
    assert shown.text.index("Tietovisa") < shown.text.index("— English —") < shown.text.index("Quiz night")
    assert "Neljän hengen joukkueet" in shown.text and "Teams of four" in shown.text
    assert "Preview: this is the card as it will be announced" in shown.text  # the heading: the reader's own


async def test_discard_drops_the_draft_and_says_so(bot: ConsoleBot) -> None:
    shown = preview_of(await ask(bot))
    out = texts(await bot.press("Hylkää", message=shown.number, as_="Olli"))
    assert "Hylätty: tapahtumaa Tietovisa ei julkaistu." in out
    assert await bot.rows("SELECT id FROM event_drafts") == [] and bot.sent_to("#announcements") == []
    assert await bot.rows("SELECT key FROM scheduled WHERE status = 'pending' AND key LIKE 'ev:draft:%'") == []
    olli = await bot.person("Olli")
    late = texts(await bot.press_action("ev:publish:1", owner=olli.id, as_="Olli"))
    assert "ei ole enää auki" in late and await bot.rows("SELECT id FROM events") == []


async def test_only_the_organiser_can_press_publish(bot: ConsoleBot) -> None:
    shown = preview_of(await ask(bot))
    await bot.say("/help", as_="Aino", roles="organiser")
    refused = texts(await bot.press("Julkaise", message=shown.number, as_="Aino"))
    assert "Tämä painike on sille, jolle viesti näytettiin." in refused
    assert await bot.rows("SELECT id FROM events") == []


async def test_edit_reopens_the_form_with_the_answers_kept(bot: ConsoleBot) -> None:
    shown = preview_of(await ask(bot, QUIZ + " capacity=20"))
    asked = await bot.press("Muokkaa", message=shown.number, as_="Olli")
    first = texts(asked)
    assert "Nyt: Tietovisa" in first and any("Säilytä" in label for p in asked for label, _ in p.buttons)
    assert await bot.rows("SELECT id FROM event_drafts") == []
    printed = await bot.say("Syysvisa")  # a new title; every other answer kept with one press each
    questions: list[str] = []
    for _step in range(15):
        question = next(p for p in reversed(printed) if p.buttons)
        questions.append(question.text)
        labels = [label for label, _action in question.buttons]
        if "Julkaise" in labels:
            break
        printed = await bot.press("Säilytä" if "Säilytä" in labels else "Ohita", message=question.number)
    preview = preview_of(printed)
    assert "Nyt: Helsinki" in "\n".join(questions)  # a choice kept shows its label, not its code
    assert "Syysvisa" in preview.text and "Tietovisa" not in preview.text
    assert "Tulossa 0/20" in preview.text and "klo 18.00" in preview.text  # the capacity and time were kept
    await bot.press("Julkaise", message=preview.number, as_="Olli")
    assert [p for p in bot.sent_to("#announcements") if "Syysvisa" in p.text]


async def test_an_unanswered_preview_expires_and_its_organiser_is_told(bot: ConsoleBot) -> None:
    shown = preview_of(await ask(bot))
    await bot.wait("25h")
    told = [p for p in bot.sent_to("@olli") if "vanhentui" in p.text]
    assert len(told) == 1 and "Tietovisa" in told[0].text and "mitään ei julkaistu" in told[0].text
    late = texts(await bot.press("Julkaise", message=shown.number, as_="Olli"))
    assert "ei ole enää auki" in late
    assert await bot.rows("SELECT id FROM events") == [] and bot.sent_to("#announcements") == []


async def test_a_start_passed_while_previewing_is_refused_at_publish(bot: ConsoleBot) -> None:
    shown = preview_of(await ask(bot, QUIZ.replace("4.12. klo 18", "26.11. klo 18")))  # in four hours
    await bot.wait("5h")  # past the start, before the preview expires
    out = texts(await bot.press("Julkaise", message=shown.number, as_="Olli"))
    assert "olisi jo alkanut" in out and await bot.rows("SELECT id FROM events") == []


# ---------------------------------------------------------------------- English title and description


async def published(bot: ConsoleBot, line: str = BILINGUAL) -> None:
    shown = preview_of(await ask(bot, line))
    await bot.press("Julkaise", message=shown.number, as_="Olli")


async def test_each_destination_and_reader_gets_their_language(bot: ConsoleBot) -> None:
    await published(bot)
    [finnish] = bot.sent_to("#announcements")
    [english] = bot.sent_to("#international")
    assert "#1 Tietovisa" in finnish.text and "Neljän hengen joukkueet" in finnish.text
    assert "#1 Quiz night" in english.text and "Teams of four" in english.text and "Tietovisa" not in english.text
    await bot.say(":lang en", as_="Emma")
    assert "Quiz night" in texts(await bot.say("/event list", as_="Emma"))
    assert "Teams of four" in texts(await bot.say("/event show 1", as_="Emma"))
    assert "Tietovisa" in texts(await bot.say("/event list", as_="Sanni"))
    # Found by either title (the suggestions of /event show and the like).
    ctx = ServiceContext(bot.app)
    assert [e.id for e in await queries(ctx).search("quiz", ctx.now())] == [1]
    assert [e.id for e in await queries(ctx).search("tietov", ctx.now())] == [1]


async def test_an_english_reader_without_an_english_title_gets_the_finnish_one(bot: ConsoleBot) -> None:
    await published(bot, QUIZ)
    await bot.say(":lang en", as_="Emma")
    assert "Tietovisa" in texts(await bot.say("/event list", as_="Emma"))
    assert not bot.sent_to("#international")  # a Finnish event is not announced in English


async def test_reminders_go_in_each_readers_language(bot: ConsoleBot) -> None:
    await published(bot)
    [card] = bot.sent_to("#announcements")
    await bot.say(":lang en", as_="Emma")
    await bot.click(1, message=card.number, as_="Emma")
    await bot.click(1, message=card.number, as_="Sanni")
    await bot.wait("8d")
    emma = [p.text for p in bot.sent_to("@emma") if "Reminder" in p.text]
    sanni = [p.text for p in bot.sent_to("@sanni") if "Muistutus" in p.text]
    assert emma and all("Quiz night" in t for t in emma) and sanni and all("Tietovisa" in t for t in sanni)


async def test_the_calendar_file_has_the_readers_title_with_its_language(bot: ConsoleBot) -> None:
    await published(bot)
    for person, language, title in (("Emma", "en", "Quiz night"), ("Sanni", "fi", "Tietovisa")):
        await bot.say(f":lang {language}", as_=person)
        reply = next(p for p in await bot.say("/event ics", as_=person) if p.file_data)
        calendar = icalendar.Calendar.from_ical(next(iter(reply.file_data.values())))
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["SUMMARY"]) == title and vevent["SUMMARY"].params["LANGUAGE"] == language
        assert vevent["DESCRIPTION"].params["LANGUAGE"] == language


async def test_editing_the_english_title_tells_and_changes_the_english_card(bot: ConsoleBot) -> None:
    await published(bot)
    await bot.say(":lang en", as_="Emma")
    await bot.click(1, message=bot.sent_to("#international")[0].number, as_="Emma")
    out = texts(await bot.say('/event edit 1 title_en="Pub quiz"', as_="Olli"))
    assert "#1" in out
    told = [p.text for p in bot.sent_to("@emma") if "Pub quiz" in p.text]
    assert told and "New name: Pub quiz" in told[-1]
    english = bot.sent_to("#international")[0]
    assert "Pub quiz" in bot.message(english.number).text
    assert "Tietovisa" in bot.message(bot.sent_to("#announcements")[0].number).text


async def test_an_english_reader_gets_english_examples_for_a_bad_date(bot: ConsoleBot) -> None:
    await bot.say(":lang en", as_="Emma", roles="organiser")
    out = texts(await bot.say('/event create title=X start="someday" where=helsinki description=x', as_="Emma"))
    assert re.search(r"for example “[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} 18:00”", out) and "klo" not in out
    finnish = texts(await ask(bot, '/event create title=X start="joskus" where=helsinki description=x'))
    assert "klo 18" in finnish


async def test_the_weekly_digest_lists_each_destination_in_its_language(bot: ConsoleBot) -> None:
    await published(bot)
    await bot.wait("4d")  # Monday 30.11. at 9.00: the digest
    finnish = [p.text for p in bot.sent_to("#announcements") if "Tietovisa (#1)" in p.text]
    english = [p.text for p in bot.sent_to("#international") if "Quiz night (#1)" in p.text]
    assert finnish and english and "Tietovisa" not in english[0]


async def test_a_draft_is_personal_data_listed_and_forgotten(bot: ConsoleBot) -> None:
    await ask(bot)
    olli = await bot.person("Olli")
    exported = await queries(ServiceContext(bot.app)).export_person(olli.id)
    [draft] = exported["event_previews_not_published"]
    assert "Tietovisa" in str(draft["fields"])
    await bot.say("/forgetme", as_="Olli")
    await bot.press("Kyllä, poista kaikki")
    assert await bot.rows("SELECT id FROM event_drafts") == []
