"""Announcements and meetings scenarios, run on every frontend: a scheduled announcement posted at its time
in the destination, and a meeting reminder answered from a direct message. Only the Driver protocol is used."""

from __future__ import annotations

from tests.scenarios.driver import Driver, Who, text_of

HANNA = Who("Hanna", roles=frozenset({"board"}))
AINO = Who("Aino")


async def announcement_is_posted_once_at_its_time(d: Driver) -> None:
    out = text_of(await d.say(HANNA, '/announce schedule text="Skenaariotiedote" when="27.11. klo 10" '
                                     "to=announcements"))
    assert "1" in out
    await d.wait(19 * 3600)
    assert not [s for s in await d.posted("announcements") if "Skenaariotiedote" in s.text]
    await d.wait(2 * 3600)
    assert len([s for s in await d.posted("announcements") if "Skenaariotiedote" in s.text]) == 1


async def meeting_reminder_is_answered_from_a_direct_message(d: Driver) -> None:
    await d.say(AINO, "/help")
    await d.say(HANNA, '/meeting add kind=board title=Skenaariokokous when="28.11. klo 18" place=Toimisto '
                       "to=board members=Aino")
    await d.wait(28 * 3600 + 60)  # past the reminder a day before
    [reminder] = [s for s in await d.dms(AINO) if "Skenaariokokous" in s.text]
    assert reminder.buttons == ["Tulen", "En tule", "Etänä"]
    await d.press(AINO, reminder, "Tulen")
    view = text_of(await d.say(HANNA, "/meeting attendance 1"))
    assert "Aino: tulossa" in view and "1/1" in view


SCENARIOS = [announcement_is_posted_once_at_its_time, meeting_reminder_is_answered_from_a_direct_message]
