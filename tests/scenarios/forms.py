"""Forms scenarios, run on every frontend: a step-by-step /event create whose link is refused and asked again
(the answers given are kept), and a field named in Finnish (on Discord: the option named `aloitus`)."""

from __future__ import annotations

from tests.scenarios.driver import Driver, text_of
from tests.scenarios.events import CREATE, OLLI, SANNI, preview_in, published


async def online_event_asked_step_by_step_asks_the_link_again(d: Driver) -> None:
    await d.say(OLLI, "/event create")
    await d.say(OLLI, "Verkkovisa")
    asked = await d.say(OLLI, "4.12. klo 18")
    question = next(s for s in asked if "Verkossa" in s.buttons)
    await d.press(OLLI, question, "Verkossa")
    out = text_of(await d.say(OLLI, "Hauska visa"))
    assert "Verkkotapahtuma tarvitsee linkin" in out and "Millä linkillä tapahtumaan osallistutaan verkossa?" in out
    again = text_of(await d.say(OLLI, "ftp://meet.example/visa"))
    assert "Linkin pitää alkaa https://" in again and "Millä linkillä tapahtumaan osallistutaan verkossa?" in again
    preview = preview_in(await d.say(OLLI, "https://meet.example/visa"))
    assert "Verkkovisa" in preview.text and not [s for s in await d.posted("announcements") if "Verkkovisa" in s.text]
    assert "Tapahtuma #1 Verkkovisa luotu" in text_of(await d.press(OLLI, preview, "Julkaise"))
    assert [s for s in await d.posted("announcements") if "Verkkovisa" in s.text]


async def a_finnish_field_name_changes_that_field(d: Driver) -> None:
    await published(d, CREATE)
    await d.say(OLLI, '/event edit 1 aloitus="to 13.00"')
    [card] = [s for s in await d.posted("announcements") if "Scenario quiz" in s.text]
    assert "torstaina 3.12. klo 13.00" in card.text and "aloitus" not in card.text
    assert "klo 13.00" in text_of(await d.say(SANNI, "/event list"))


SCENARIOS = [online_event_asked_step_by_step_asks_the_link_again, a_finnish_field_name_changes_that_field]
