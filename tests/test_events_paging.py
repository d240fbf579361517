"""Issue 26: /event list, /event mine and the digest page in SQL on each event's stored next occurrence, which
stays right as occurrences pass, after an edit and after one occurrence is cancelled. The app clock only."""

from __future__ import annotations

import re

from bot.testing import ConsoleBot, Printed, texts

SERIES = ('/event create title=Series start="1.12. klo 18" where=helsinki description=x repeat=weekly '
          'until=22.12.')


async def create(bot: ConsoleBot, line: str) -> None:
    out = texts(await bot.say(line, as_="Olli", roles="organiser", where="dm"))
    assert "luotu" in out, out


def titles(printed: list[Printed] | Printed) -> list[str]:
    text = printed.text if isinstance(printed, Printed) else texts(printed)
    return re.findall(r"(\w+) \(#\d+\)", text)


async def next_starts(bot: ConsoleBot) -> dict[str, str | None]:
    return {r["title"]: r["next_start"] for r in await bot.rows("SELECT title, next_start FROM events ORDER BY id")}


async def days(bot: ConsoleBot, count: int, first: int = 1) -> None:
    for day in range(first, first + count):
        await create(bot, f'/event create title=Day{day:02d} start="{day}.12. klo 12" where=turku description=x')


async def test_pages_at_their_boundaries_in_order_with_the_count(bot: ConsoleBot) -> None:
    await days(bot, 10)
    first = await bot.say("/event list", as_="Sanni")
    assert "sivu 1/2" in first[0].text
    assert titles(first) == [f"Day{d:02d}" for d in range(1, 6)]
    second = await bot.say("/event list sivu=2")
    assert "sivu 2/2" in second[0].text and titles(second) == [f"Day{d:02d}" for d in range(6, 11)]
    assert "Seuraava" not in [label for label, _ in second[0].buttons]
    await days(bot, 1, first=11)  # one more: a third page with one event on it
    third = await bot.say("/event list sivu=3")
    assert "sivu 3/3" in third[0].text and titles(third) == ["Day11"]
    assert [label for label, _ in third[0].buttons][-1] == "Edellinen"
    past_the_end = await bot.say("/event list sivu=9")  # shows the last page
    assert "sivu 3/3" in past_the_end[0].text and titles(past_the_end) == ["Day11"]
    await bot.click(len(third[0].buttons), message=third[0].number)  # "Previous" turns to page 2 in place
    assert titles(bot.message(third[0].number)) == [f"Day{d:02d}" for d in range(6, 11)]


async def test_filtered_pages_count_only_the_matching_events(bot: ConsoleBot) -> None:
    await days(bot, 6)  # Turku
    for day in (2, 4, 6):
        await create(bot, f'/event create title=Web{day} start="{day}.12. klo 10" where=online '
                          'link=https://m.example/a description=x language=en')
    online = await bot.say("/event list where=online", as_="Sanni")
    assert titles(online) == ["Web2", "Web4", "Web6"] and "sivu" not in online[0].text
    everything = await bot.say("/event list")
    assert "sivu 1/2" in everything[0].text  # 9 events
    assert titles(everything) == ["Day01", "Web2", "Day02", "Day03", "Web4"]  # 10.00 before 12.00


async def test_a_series_is_listed_at_its_next_occurrence_as_occurrences_pass(bot: ConsoleBot) -> None:
    await create(bot, SERIES)
    await create(bot, '/event create title=Single start="10.12. klo 13" where=turku description=x')
    listing = await bot.say("/event list", as_="Sanni")
    assert titles(listing) == ["Series", "Single"] and "ti 1.12. klo 18.00" in texts(listing)
    assert (await next_starts(bot))["Series"] == "2026-12-01T16:00:00.000000+00:00"
    await bot.wait("7d")  # 3.12.: the first time has passed
    listing = await bot.say("/event list")
    assert titles(listing) == ["Series", "Single"] and "ti 8.12. klo 18.00" in texts(listing)
    assert (await next_starts(bot))["Series"] == "2026-12-08T16:00:00.000000+00:00"
    await bot.wait("7d")  # 10.12. 14.00: Single is on now (13.00-15.00), Series next on 15.12.
    assert titles(await bot.say("/event list")) == ["Single", "Series"]
    await bot.wait("3h")  # Single is over
    assert titles(await bot.say("/event list")) == ["Series"]
    assert (await next_starts(bot)) == {"Series": "2026-12-15T16:00:00.000000+00:00", "Single": None}


async def test_the_next_occurrence_follows_an_edit_and_a_cancel(bot: ConsoleBot) -> None:
    await create(bot, SERIES)
    await create(bot, '/event create title=Single start="5.12. klo 12" where=turku description=x')
    assert titles(await bot.say("/event list", as_="Sanni")) == ["Series", "Single"]
    await bot.say('/event edit event=1 start="7.12. klo 18"', as_="Olli")  # the series now starts later
    assert titles(await bot.say("/event list", as_="Sanni")) == ["Single", "Series"]
    assert (await next_starts(bot))["Series"] == "2026-12-07T16:00:00.000000+00:00"

    await bot.say("/event cancel event=1", as_="Olli")
    await bot.press("Vain", as_="Olli")  # only 7.12.: the series goes on on 14.12.
    listing = await bot.say("/event list", as_="Sanni")
    assert titles(listing) == ["Single", "Series"] and "ma 14.12. klo 18.00" in texts(listing)
    assert (await next_starts(bot))["Series"] == "2026-12-14T16:00:00.000000+00:00"

    await bot.say("/event cancel event=2", as_="Olli")
    await bot.press("Peru tapahtuma", as_="Olli")
    assert titles(await bot.say("/event list", as_="Sanni")) == ["Series"]


async def test_mine_is_paged_in_next_occurrence_order(bot: ConsoleBot) -> None:
    await days(bot, 7)
    for number in range(7, 0, -1):  # answered in reverse order: listed by time all the same
        shown = await bot.say(f"/event show {number}", as_="Sanni")
        await bot.press("Tulen", message=shown[0].number, as_="Sanni")
    mine = await bot.say("/event mine", as_="Sanni")
    assert "sivu 1/2" in mine[0].text and titles(mine) == [f"Day{d:02d}" for d in range(1, 6)]
    await bot.press("Seuraava", message=mine[0].number, as_="Sanni")
    assert titles(bot.message(mine[0].number)) == ["Day06", "Day07"]
    await bot.wait("2d")  # 28.11.: nothing has passed yet; then past 2.12. 14.00
    await bot.wait("4d")
    assert titles(await bot.say("/event mine", as_="Sanni")) == [f"Day{d:02d}" for d in range(3, 8)]
