"""The events cog end to end through the console: create, announce, list, show, RSVP, waiting list."""

from __future__ import annotations

import pytest

from bot.signing import payload_of
from bot.testing import ConsoleBot, test_bot, texts

QUIZ = '/event create title="Quiz night" start="4.12. klo 18" where=helsinki description="Fun quiz" capacity=2'


async def create(bot: ConsoleBot, line: str = QUIZ, as_: str = "Olli") -> str:
    return texts(await bot.say(line, as_=as_, roles="organiser", where="dm"))


def card(bot: ConsoleBot, where: str = "#announcements", index: int = 0) -> int:
    """The message number of a posted card (bot.message(n) gives its latest version)."""
    return bot.sent_to(where)[index].number


async def going(bot: ConsoleBot, name: str, number: int, button: int = 1) -> str:
    return texts(await bot.click(button, message=number, as_=name))


async def every_week(bot: ConsoleBot, name: str, number: int, button: int = 1) -> str:
    """A press on a series' card asks which times: "Joka viikko" answers for all of them."""
    asked = await bot.click(button, message=number, as_=name)
    return texts(await bot.press("Joka viikko", message=asked[-1].number, as_=name))


async def test_create_announces_with_rsvp_buttons_in_announcements_and_campus(bot: ConsoleBot) -> None:
    out = await create(bot)
    assert "#1" in out and "Quiz night" in out
    for where in ("#announcements", "#campus_helsinki"):
        posted = bot.message(card(bot, where))
        assert "#1 Quiz night" in posted.text and "perjantaina 4.12. klo 18.00" in posted.text
        assert "Helsinki" in posted.text and "Fun quiz" in posted.text
        assert "Tulossa 0/2 · Ehkä 0 · Jonossa 0" in posted.text
        assert [label for label, _ in posted.buttons] == ["Tulen", "Ehkä", "En tule"]
        actions = [payload_of(action) for _, action in posted.buttons]
        assert actions == ["ev:rsvp:1:yes", "ev:rsvp:1:maybe", "ev:rsvp:1:no"]


async def test_online_event_is_announced_only_in_announcements(bot: ConsoleBot) -> None:
    await create(bot, '/event create title=Webinar start="5.12. klo 10" where=online link=https://meet.example/x '
                      'description=Online language=en')
    assert len(bot.sent_to("#announcements")) == 1
    assert all(not bot.sent_to(f"#campus_{c}") for c in ("helsinki", "joensuu", "turku"))
    assert "Verkossa" in bot.message(card(bot)).text and "englanti" in bot.message(card(bot)).text


async def test_missing_description_is_asked_for_as_the_next_message(bot: ConsoleBot) -> None:
    asked = await create(bot, '/event create title=Sauna start="5.12. klo 18" where=turku')
    assert "Mitä tapahtumassa tehdään?" in asked
    done = texts(await bot.say("Lämmin sauna ja iltapala"))
    assert "Sauna" in done and "Lämmin sauna" in bot.message(card(bot)).text


async def test_list_is_soonest_first_and_filters_by_campus_online_and_language(bot: ConsoleBot) -> None:
    await create(bot, '/event create title=Later start="20.12. klo 18" where=helsinki description=x language=fi')
    await create(bot, '/event create title=Webinar start="2.12. klo 10" where=online link=https://m.example/a '
                      'description=x language=en')
    await create(bot, '/event create title=Picnic start="1.12. klo 12" where=joensuu description=x language=both')
    listing = texts(await bot.say("/event list", as_="Sanni"))
    assert listing.index("Picnic") < listing.index("Webinar") < listing.index("Later")
    assert "ti 1.12. klo 12.00" in listing and "Joensuu" in listing
    helsinki = texts(await bot.say("/event list where=helsinki"))
    assert "Later" in helsinki and "Webinar" not in helsinki and "Picnic" not in helsinki
    online = texts(await bot.say("/event list where=online"))
    assert "Webinar" in online and "Later" not in online and "Picnic" not in online
    english = texts(await bot.say("/event list language=en"))
    assert "Webinar" in english and "Picnic" in english and "Later" not in english
    finnish = texts(await bot.say("/event list language=fi"))
    assert "Later" in finnish and "Picnic" in finnish and "Webinar" not in finnish
    nothing = texts(await bot.say("/event list where=kuopio"))
    assert "Hakuun sopivia tulevia tapahtumia ei ole" in nothing


async def test_list_in_english_for_an_english_reader(bot: ConsoleBot) -> None:
    await create(bot)
    await bot.say("/language en", as_="Emma")
    listing = texts(await bot.say("/event list"))
    assert "Upcoming events" in listing and "Fri 4 Dec 18:00" in listing


async def test_long_list_is_paged_with_buttons(bot: ConsoleBot) -> None:
    for day in range(1, 8):
        await create(bot, f'/event create title=Day{day} start="{day}.12. klo 18" where=turku description=x')
    first = await bot.say("/event list", as_="Sanni")
    assert "sivu 1/2" in first[0].text and "Day5" in first[0].text and "Day6" not in first[0].text
    labels = [label for label, _ in first[0].buttons]
    assert labels == [label for n in range(1, 6) for label in (f"Näytä #{n}", "Tulen")] + ["Seuraava"]
    await bot.click(11, message=first[0].number)
    second = bot.message(first[0].number)
    assert "sivu 2/2" in second.text and "Day6" in second.text and "Day7" in second.text
    assert "Day1" not in second.text


async def test_show_by_title_and_by_id_gives_a_live_card(bot: ConsoleBot) -> None:
    await create(bot)
    shown = await bot.say("/event show Quiz", as_="Sanni")
    assert "#1 Quiz night" in shown[0].text and shown[0].buttons
    by_id = await bot.say("/event show 1")
    assert "#1 Quiz night" in by_id[0].text
    await going(bot, "Emma", card(bot))
    assert "Tulossa 1/2" in bot.message(by_id[0].number).text  # the shown copy follows too (the newest one)
    unknown = texts(await bot.say("/event show 99"))
    assert "Tapahtumaa #99 ei ole" in unknown


async def test_rsvp_counts_update_on_every_posted_copy(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    assert "Olet tulossa" in await going(bot, "Sanni", number)
    assert "ehkä" in await going(bot, "Emma", number, button=2)
    assert "Tulossa 1/2 · Ehkä 1 · Jonossa 0" in bot.message(number).text
    assert "Tulossa 1/2 · Ehkä 1" in bot.message(card(bot, "#campus_helsinki")).text
    await going(bot, "Emma", number, button=1)  # changing one's mind
    assert "Tulossa 2/2 · Ehkä 0" in bot.message(number).text
    assert "Quiz night" in texts(await bot.say("/event mine", as_="Emma"))


async def test_full_event_puts_people_on_the_waiting_list_and_a_cancel_offers_the_place(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    await going(bot, "Sanni", number)
    await going(bot, "Emma", number)
    assert "jonossa sijalla 1" in await going(bot, "Aino", number)
    assert "jonossa sijalla 2" in await going(bot, "Pekka", number)
    assert "jonossa sijalla 2" in await going(bot, "Pekka", number)  # pressing again keeps the place
    assert "Tulossa 2/2 · Ehkä 0 · Jonossa 2" in bot.message(number).text
    assert "jonossa sijalla 2" in texts(await bot.say("/event mine", as_="Pekka"))

    await going(bot, "Sanni", number, button=3)  # Sanni cancels: Aino is offered the place
    offers = bot.sent_to("@aino")
    assert len(offers) == 1 and "vapautui paikka" in offers[0].text and "klo 2.00" in offers[0].text
    assert [label for label, _ in offers[0].buttons] == ["Ota paikka"]
    assert bot.sent_to("@pekka") == []
    # The offered place is held: taken on the card, and a new presser queues behind the two waiting.
    assert "Tulossa 2/2 · Ehkä 0 · Jonossa 1 · 1 paikka tarjottu" in bot.message(number).text
    assert "jonossa sijalla 2" in await going(bot, "Olli", number)
    assert "jonossa" in await going(bot, "Sanni", number)  # so Sanni cannot take it back

    taken = texts(await bot.click(1, message=offers[0].number, as_="Aino"))
    assert "Paikka on sinun" in taken
    assert "Tulossa 2/2 · Ehkä 0 · Jonossa 3" in bot.message(number).text  # Pekka, Olli and Sanni wait
    assert "Ota paikka" not in str(bot.message(offers[0].number).buttons)  # the offer message was replaced
    assert "Quiz night" in texts(await bot.say("/event mine", as_="Aino"))


async def test_an_offer_not_taken_in_time_passes_to_the_next_in_line(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    for name in ("Sanni", "Emma", "Aino", "Pekka"):
        await going(bot, name, number)
    await going(bot, "Sanni", number, button=3)
    offer = bot.sent_to("@aino")[0]
    await bot.wait("11h")
    assert bot.sent_to("@pekka") == []
    await bot.wait("1h")
    assert any("ei ottanut" in p.text or "Et ottanut" in p.text for p in bot.sent_to("@aino"))
    assert any("vapautui paikka" in p.text for p in bot.sent_to("@pekka"))
    late = texts(await bot.click(1, message=offer.number, as_="Aino"))
    assert "ei ole enää voimassa" in late
    assert "Tulossa 2/2 · Ehkä 0 · Jonossa 0 · 1 paikka tarjottu" in bot.message(number).text
    await bot.click(1, message=bot.sent_to("@pekka")[0].number, as_="Pekka")
    assert "Tulossa 2/2 · Ehkä 0 · Jonossa 0" in bot.message(number).text


async def test_raising_the_capacity_offers_places_to_the_waiting_list(bot: ConsoleBot) -> None:
    await create(bot)
    number = card(bot)
    for name in ("Sanni", "Emma", "Aino"):
        await going(bot, name, number)
    await bot.say("/event edit event=1 capacity=3", as_="Olli")
    assert any("vapautui paikka" in p.text for p in bot.sent_to("@aino"))
    assert "Tulossa 3/3" in bot.message(number).text


async def test_showing_a_card_again_keeps_one_live_copy_per_person(bot: ConsoleBot) -> None:
    await create(bot)
    first = await bot.say("/event show 1", as_="Sanni")
    again = await bot.say("/event show 1")
    assert first[0].number != again[0].number
    copies = await bot.app.db.fetchall(
        "SELECT message_id FROM live_copies WHERE kind = 'event' AND person_id IS NOT NULL")
    assert [row["message_id"] for row in copies] == [str(again[0].number)]
    await going(bot, "Emma", card(bot))
    assert "Tulossa 1" in bot.message(again[0].number).text  # the newest copy follows the counts


async def test_an_english_event_is_also_announced_in_english_for_international_students(bot: ConsoleBot) -> None:
    await create(bot, QUIZ.replace("capacity=2", "language=en"))
    [english] = bot.sent_to("#international")
    assert "Going 0" in english.text and "When: Friday 4 December at 18:00" in english.text
    assert "Tulossa 0" in bot.message(card(bot)).text  # the Finnish announcement as before
    await going(bot, "Emma", english.number)  # an RSVP on the English card counts everywhere
    assert "Going 1" in bot.message(english.number).text and "Tulossa 1" in bot.message(card(bot)).text


async def test_a_finnish_event_is_not_announced_to_the_english_destination(bot: ConsoleBot) -> None:
    await create(bot)
    assert bot.sent_to("#international") == []


async def test_an_unknown_english_destination_stops_start_up_with_its_key() -> None:
    with pytest.raises(RuntimeError, match=r"events\.english_destination"):
        async with test_bot(config={"events": {"english_destination": "internationl"}}):
            pass
