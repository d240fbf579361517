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


SCENARIOS = [event_is_announced_and_rsvps_update_the_card, waiting_list_place_is_offered_and_taken,
             event_list_shows_upcoming_events]
