"""Issue 20: a weekly series shows in the Discord server's Events list as recurring: the scheduled event carries
Discord's `recurrence_rule` (sent through discord.py's HTTP route; the fake refuses a rule Discord would), and an
edit or a cancel updates it. What Discord cannot say (a time cancelled alone, a daylight-saving change, a series
with one time left) is mirrored as the next time alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.discord_driver import DiscordBot, DiscordDriver
from tests.scenarios.driver import Who

OLLI = Who("Olli", roles=frozenset({"organiser"}))
# Wednesday 2.12.2026 at 18:00 Helsinki (16:00Z), weekly until mid-January: no daylight-saving change between.
SERIES = ('/event create title="Lautapelit" start="2.12. klo 18" where=helsinki description="Joka viikko" '
          "repeat={repeat} until={until}")


@pytest.fixture
async def discord(tmp_path: Path) -> AsyncIterator[DiscordBot]:
    bot = await DiscordBot.start(tmp_path, sync="global")
    bot.frontend.edit_interval = 0.0
    try:
        yield bot
    finally:
        await bot.stop()


async def create(discord: DiscordBot, repeat: str = "weekly", until: str = "13.1.2027") -> DiscordDriver:
    driver = DiscordDriver(discord)
    await driver.say(OLLI, SERIES.format(repeat=repeat, until=until))
    return driver


def the_event(discord: DiscordBot) -> dict[str, Any]:
    [event] = discord.fake.scheduled_events.values()
    return event


async def test_a_weekly_series_is_listed_with_its_recurrence_rule(discord: DiscordBot) -> None:
    await create(discord)
    event = the_event(discord)
    assert event["name"] == "Lautapelit" and event["scheduled_start_time"].startswith("2026-12-02T16:00:00")
    assert event["recurrence_rule"] == {
        "start": event["scheduled_start_time"], "end": None, "frequency": 2, "interval": 1, "by_weekday": [2],
        "by_n_weekday": None, "by_month": None, "by_month_day": None, "by_year_day": None, "count": None}
    assert len(discord.fake.calls_to("POST", r"/scheduled-events$")) == 1  # posted twice, listed once


async def test_every_other_week_is_interval_two(discord: DiscordBot) -> None:
    await create(discord, repeat="biweekly")
    assert the_event(discord)["recurrence_rule"]["interval"] == 2


async def test_editing_the_start_moves_the_rule_with_it(discord: DiscordBot) -> None:
    driver = await create(discord)
    await driver.say(OLLI, '/event edit 1 start="3.12. klo 19"')
    event = the_event(discord)
    assert event["scheduled_start_time"].startswith("2026-12-03T17:00:00")
    assert event["recurrence_rule"]["start"] == event["scheduled_start_time"]
    assert event["recurrence_rule"]["by_weekday"] == [3]  # Thursday


async def test_cancelling_one_time_then_the_series_updates_discord(discord: DiscordBot) -> None:
    driver = await create(discord)
    asked = await driver.say(OLLI, "/event cancel 1")
    question = next(s for s in asked if any("Vain" in b for b in s.buttons))
    await driver.press(OLLI, question, "Vain")
    event = the_event(discord)
    # The next time cancelled: the rule starts a week later.
    assert event["scheduled_start_time"].startswith("2026-12-09T16:00:00")
    assert event["recurrence_rule"]["start"] == event["scheduled_start_time"]
    asked = await driver.say(OLLI, "/event cancel 1")
    question = next(s for s in asked if any("Koko sarja" in b for b in s.buttons))
    await driver.press(OLLI, question, "Koko sarja")
    assert the_event(discord)["status"] == 4  # cancelled


async def test_with_one_time_left_the_rule_is_dropped(discord: DiscordBot) -> None:
    driver = await create(discord, until="9.12.2026")  # two times: 2.12. and 9.12.
    assert the_event(discord)["recurrence_rule"] is not None
    await driver.wait(7 * 24 * 3600)  # past the first time's end (Discord cannot end a rule)
    event = the_event(discord)
    assert event["recurrence_rule"] is None and event["scheduled_start_time"].startswith("2026-12-09T16:00:00")


async def test_a_series_over_a_daylight_saving_change_has_no_rule(discord: DiscordBot) -> None:
    await DiscordDriver(discord).say(OLLI, SERIES.replace("2.12.", "3.3.2027").format(repeat="weekly",
                                                                                       until="7.4.2027"))
    event = the_event(discord)
    assert event["recurrence_rule"] is None and event["scheduled_start_time"].startswith("2027-03-03T16:00:00")


@pytest.mark.parametrize(("rule", "why"), [
    ({"frequency": 2, "interval": 1, "by_weekday": [2], "end": "2027-01-13T16:00:00+00:00"}, "end cannot be set"),
    ({"frequency": 2, "interval": 1, "by_weekday": [2], "count": 5}, "count cannot be set"),
    ({"frequency": 2, "interval": 3, "by_weekday": [2]}, "interval"),
    ({"frequency": 3, "interval": 2, "by_weekday": [0, 1, 2, 3, 4]}, "interval"),
    ({"frequency": 2, "interval": 1, "by_weekday": [1, 3]}, "exactly one weekday"),
    ({"frequency": 3, "interval": 1, "by_weekday": [0, 2]}, "known sets"),
    ({"frequency": 1, "interval": 1, "by_weekday": [2]}, "only for daily and weekly"),
    ({"frequency": 0, "interval": 1, "by_month": [7]}, "yearly"),
])
async def test_the_fake_refuses_a_rule_discord_would(discord: DiscordBot, rule: dict[str, Any], why: str) -> None:
    import discord as discord_py

    route = discord_py.http.Route("POST", "/guilds/{guild_id}/scheduled-events", guild_id=discord.fake.guild.id)
    payload = {"name": "x", "privacy_level": 2, "entity_type": 3, "entity_metadata": {"location": "x"},
               "scheduled_start_time": "2026-12-02T16:00:00+00:00", "scheduled_end_time": "2026-12-02T18:00:00+00:00",
               "recurrence_rule": {"start": "2026-12-02T16:00:00+00:00", **rule}}
    with pytest.raises(discord_py.HTTPException) as refused:
        await discord.frontend.client.http.request(route, json=payload)
    assert refused.value.status == 400 and why in str(refused.value)
    assert discord.fake.scheduled_events == {}


async def test_copies_in_two_languages_do_not_rename_the_event_back_and_forth(discord: DiscordBot) -> None:
    driver = DiscordDriver(discord)
    await driver.say(OLLI, '/event create title="Tietovisa" start="4.12. klo 18" where=helsinki description=x '
                           'title_en="Quiz night" language=both')
    assert the_event(discord)["name"] == "Tietovisa"  # the first copy's language: announcements, in Finnish
    english = [s for s in await driver.posted("international") if "Quiz night" in s.text]
    assert len(english) == 1 and "Tietovisa" not in english[0].text
    await driver.say(OLLI, '/event edit 1 title_en="Pub quiz" start="4.12. klo 19"')
    event = the_event(discord)
    assert event["name"] == "Tietovisa" and event["scheduled_start_time"].startswith("2026-12-04T17:00:00")
    assert len(discord.fake.calls_to("PATCH", r"/scheduled-events/\d+$")) == 1
