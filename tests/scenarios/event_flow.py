"""Events as an organiser meets them, on every frontend: the preview before anything is announced (publish,
edit with the answers kept, discard), and a cancel that asks first: a one-off with its confirmation, a series
"only this time" (the others stand). Those going are told the reason."""

from __future__ import annotations

from tests.scenarios.driver import Driver, text_of
from tests.scenarios.events import CREATE, OLLI, SANNI, preview_in, published

SERIES = ('/event create title="Lautapelit" start="4.12. klo 18" where=helsinki description="Joka viikko" '
          "repeat=weekly until=18.12.")


async def _in_announcements(d: Driver, title: str) -> list[str]:
    return [s.text for s in await d.posted("announcements") if title in s.text]


async def the_preview_announces_only_when_published(d: Driver) -> None:
    preview = preview_in(await d.say(OLLI, CREATE))
    assert preview.buttons == ["Julkaise", "Muokkaa", "Hylkää"]
    assert "Esikatselu" in preview.text and "Scenario quiz" in preview.text and "Quiz night" in preview.text
    assert await _in_announcements(d, "Scenario quiz") == []
    assert "Scenario quiz" not in text_of(await d.say(SANNI, "/event list"))
    assert "Tapahtuma #1 Scenario quiz luotu" in text_of(await d.press(OLLI, preview, "Julkaise"))
    [card] = [s for s in await d.posted("announcements") if "Scenario quiz" in s.text]
    assert card.buttons == ["Tulen", "Ehkä", "En tule"] and "#1 Scenario quiz" in card.text


async def edit_reopens_the_form_with_its_answers(d: Driver) -> None:
    preview = preview_in(await d.say(OLLI, CREATE))
    asked = await d.press(OLLI, preview, "Muokkaa")
    again = preview_in(await d.refill(OLLI, asked, {"title": "Syysvisa"}))
    assert "Syysvisa" in again.text and "Scenario quiz" not in again.text
    assert "Quiz night" in again.text and "Tulossa 0/2" in again.text and "klo 18.00" in again.text  # kept
    assert await _in_announcements(d, "visa") == []
    await d.press(OLLI, again, "Julkaise")
    assert len(await _in_announcements(d, "Syysvisa")) == 1


async def discard_announces_nothing(d: Driver) -> None:
    preview = preview_in(await d.say(OLLI, CREATE))
    assert "ei julkaistu" in text_of(await d.press(OLLI, preview, "Hylkää"))
    assert await _in_announcements(d, "Scenario quiz") == []
    assert "Scenario quiz" not in text_of(await d.say(SANNI, "/event list"))


async def cancel_asks_first_and_tells_the_reason(d: Driver) -> None:
    card = await published(d)
    await d.press(SANNI, card, "Tulen")
    asked = await d.say(OLLI, '/event cancel 1 syy="Sali on varattu"')
    question = next(s for s in asked if "Peru tapahtuma" in s.buttons)
    assert "Ei" in question.buttons and "PERUTTU" not in (await d.current(card)).text  # nothing yet
    await d.press(OLLI, question, "Peru tapahtuma")
    assert "PERUTTU: #1 Scenario quiz" in (await d.current(card)).text
    told = [s.text for s in await d.dms(SANNI) if "on peruttu" in s.text]
    assert len(told) == 1 and "Syy: Sali on varattu" in told[0]


async def cancel_only_this_time_of_a_series(d: Driver) -> None:
    card = await published(d, SERIES, "Lautapelit")
    asked = next(s for s in await d.press(SANNI, card, "Tulen") if "Joka viikko" in s.buttons)
    await d.press(SANNI, asked, "Joka viikko")
    asked = await d.say(OLLI, '/event cancel 1 syy="Sali on varattu"')
    question = next(s for s in asked if "Koko sarja" in s.buttons)
    only = next(b for b in question.buttons if b.startswith("Vain"))
    assert "4.12." in only
    await d.press(OLLI, question, only)
    now = (await d.current(card)).text
    assert "PERUTTU" not in now and "11.12." in now  # the next time stands, the series goes on
    told = [s.text for s in await d.dms(SANNI) if "muut kerrat pysyvät" in s.text]
    assert len(told) == 1 and "Syy: Sali on varattu" in told[0]


SCENARIOS = [the_preview_announces_only_when_published, edit_reopens_the_form_with_its_answers,
             discard_announces_nothing, cancel_asks_first_and_tells_the_reason, cancel_only_this_time_of_a_series]
