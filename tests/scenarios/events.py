"""Events scenarios, run on every frontend: create, preview and publish, RSVP counts on the posted card, the
waiting list and its promotion, and the list. Only the Driver protocol is used."""

from __future__ import annotations

from tests.scenarios.driver import Driver, Seen, Who, text_of

OLLI = Who("Olli", roles=frozenset({"organiser"}))
SANNI = Who("Sanni")
EMMA = Who("Emma", language="en")
AINO = Who("Aino")

CREATE = ('/event create title="Scenario quiz" start="4.12. klo 18" where=helsinki description="Quiz night" '
          "capacity=2")


def preview_in(seen: list[Seen]) -> Seen:
    """The preview /event create answers with: the card to be, with Publish / Edit / Discard."""
    return next(s for s in seen if "Julkaise" in s.buttons)


async def published(d: Driver, line: str = CREATE, title: str = "Scenario quiz") -> Seen:
    """`line` created, previewed and published: its card in announcements."""
    await d.press(OLLI, preview_in(await d.say(OLLI, line)), "Julkaise")
    cards = [s for s in await d.posted("announcements") if title in s.text]
    assert len(cards) == 1
    return cards[0]


async def _announced(d: Driver) -> Seen:
    return await published(d)


async def event_is_announced_and_rsvps_update_the_card(d: Driver) -> None:
    card = await _announced(d)
    assert card.buttons == ["Tulen", "Ehkä", "En tule"]  # the destination's language: Finnish
    await d.press(SANNI, card, "Tulen")
    await d.press(EMMA, card, "Ehkä")
    now = await d.current(card)
    assert "Tulossa 1/2 · Ehkä 1 · Jonossa 0" in now.text


async def waiting_list_place_is_offered_and_taken(d: Driver) -> None:
    card = await _announced(d)
    await d.press(SANNI, card, "Tulen")
    await d.press(EMMA, card, "Tulen")
    waiting = text_of(await d.press(AINO, card, "Tulen"))
    assert "1" in waiting
    assert "Jonossa 1" in (await d.current(card)).text
    await d.press(SANNI, card, "En tule")
    offers = [s for s in await d.dms(AINO) if s.buttons and "Scenario quiz" in s.text]
    assert len(offers) == 1
    await d.press(AINO, offers[0], "Ota paikka")
    assert "Tulossa 2/2 · Ehkä 0 · Jonossa 0" in (await d.current(card)).text


async def event_list_shows_upcoming_events(d: Driver) -> None:
    await _announced(d)
    listing = text_of(await d.say(SANNI, "/event list"))
    assert "Scenario quiz" in listing and "Helsinki" in listing
    english = text_of(await d.say(EMMA, "/event list where=helsinki"))
    assert "Upcoming events" in english and "Scenario quiz" in english


SERIES = ('/event create title="Scenario games" start="4.12. klo 18" where=helsinki description="Weekly games" '
          "repeat=weekly until=18.12.")


def _with(seen: list[Seen], label: str) -> Seen:
    return next(s for s in seen if any(label in b for b in s.buttons))


async def series_rsvp_is_per_time_or_every_week(d: Driver) -> None:
    """Going on a series' card asks, privately, "only <date>" or "every week"; each reader in their language."""
    card = await published(d, SERIES, "Scenario games")
    asked = _with(await d.press(SANNI, card, "Tulen"), "Joka viikko")
    assert "Scenario games toistuu" in asked.text
    assert asked.buttons == ["Vain pe 4.12. klo 18.00", "Vain pe 11.12. klo 18.00", "Vain pe 18.12. klo 18.00",
                             "Joka viikko"]
    assert "Olet tulossa perjantaina 11.12. klo 18.00" in text_of(await d.press(SANNI, asked, "Vain pe 11.12."))
    assert "Tulossa 0 · Ehkä 0" in (await d.current(card)).text  # the card counts the next time, 4.12.
    english = _with(await d.press(EMMA, card, "Tulen"), "Every week")
    assert "You're going to Scenario games every week." in text_of(await d.press(EMMA, english, "Every week"))
    assert "Tulossa 1 · Ehkä 0" in (await d.current(card)).text
    mine = text_of(await d.say(SANNI, "/event mine"))
    assert "pe 11.12. klo 18.00" in mine and "4.12." not in mine
    # Changing one's answer for one time: Emma can't come on 4.12.
    again = _with(await d.press(EMMA, card, "En tule"), "Every week")
    assert "not going to Scenario games on" in text_of(await d.press(EMMA, again, "Only Fri 4 Dec"))
    assert "Tulossa 0 · Ehkä 0" in (await d.current(card)).text
    emma = text_of(await d.say(EMMA, "/event mine"))
    assert "Fri 11 Dec" in emma and "Fri 18 Dec" in emma and "4 Dec" not in emma, emma


async def going_from_the_list_in_a_dm_takes_one_tap(d: Driver) -> None:
    """/event list in a DM carries buttons per event; Going on a single event is one tap."""
    card = await _announced(d)
    listing = _with(await d.say(SANNI, "/event list"), "Tulen")
    assert listing.buttons == ["Näytä #1", "Tulen"]
    assert "Olet tulossa: Scenario quiz." in text_of(await d.press(SANNI, listing, "Tulen"))
    assert "Tulossa 1/2 · Ehkä 0 · Jonossa 0" in (await d.current(card)).text
    assert "Scenario quiz" in text_of(await d.say(SANNI, "/event mine"))


SCENARIOS = [event_is_announced_and_rsvps_update_the_card, waiting_list_place_is_offered_and_taken,
             event_list_shows_upcoming_events, series_rsvp_is_per_time_or_every_week,
             going_from_the_list_in_a_dm_takes_one_tap]
