"""Issue 26: lists are counted and paged in SQL (storage.paging.Paged shown by bot.pager.source_pager), so a page
reads its own rows only. Order and counts at the page boundaries, through the real command path."""

from __future__ import annotations

import re
from typing import Annotated, Any

from bot.commands import Cog, Param, Reply
from bot.context import Context
from bot.pager import source_pager
from bot.testing import Printed, test_bot, texts
from storage.paging import Paged

ENGLISH = {"community": {"default_language": "en"}}

lister = Cog("lister", "Paged list probe")
READ: list[tuple[int, int]] = []  # (offset, limit) of every page read


class Counted(Paged[str]):
    async def page(self, offset: int, limit: int) -> list[str]:
        READ.append((offset, limit))
        return await super().page(offset, limit)


@lister.command("People whose name starts with N, two a page")
async def people(ctx: Context, page: Annotated[int | None, Param("Page", min=1)] = None) -> Reply:
    return await people_list(ctx, page or 1, edit=False)


async def people_list(ctx: Context, page: int, *, edit: bool) -> Reply:
    source = Counted(ctx.db, "FROM people WHERE display_name LIKE ?", ("N%",), "id",
                     lambda row: str(row["display_name"]))
    return await source_pager(source, lambda name: name, page=page, size=2,
                              turn=lambda n: lister.action_id("p", n), title="People", empty="Nobody.", edit=edit)


@lister.action("p")
async def people_page(ctx: Context, page: int) -> Reply:
    return await people_list(ctx, page, edit=True)


def shown(printed: list[Printed] | Printed) -> list[str]:
    text = printed.text if isinstance(printed, Printed) else texts(printed)
    return re.findall(r"\bN\d\b", text)


def labels(printed: list[Printed]) -> list[str]:
    return [label for p in printed for label, _action in p.buttons]


async def test_source_pages_at_their_boundaries() -> None:
    async with test_bot(cogs=[], config=ENGLISH, extra_cogs=[lister]) as bot:
        READ.clear()
        assert "Nobody." in texts(await bot.say("/lister people", as_="Olli"))
        assert READ == []  # counted zero: no page read at all
        for name in ("N1", "N2", "N3", "N4"):
            await bot.say("/help", as_=name)
        first = await bot.say("/lister people", as_="Olli")
        assert shown(first) == ["N1", "N2"] and "page 1/2" in texts(first) and labels(first) == ["Next"]
        last = await bot.say("/lister people page=2")
        assert shown(last) == ["N3", "N4"] and "page 2/2" in texts(last) and labels(last) == ["Previous"]
        past = await bot.say("/lister people page=7")  # past the end: the last page
        assert shown(past) == ["N3", "N4"] and "page 2/2" in texts(past)
        assert READ[-3:] == [(0, 2), (2, 2), (2, 2)]
        await bot.say("/help", as_="N5")
        third = await bot.say("/lister people page=3", as_="Olli")
        assert shown(third) == ["N5"] and "page 3/3" in texts(third)
        await bot.click(1, message=third[0].number)  # Previous, in place
        assert shown(bot.message(third[0].number)) == ["N3", "N4"]


def tutoring(**settings: Any) -> dict[str, Any]:
    return {**ENGLISH, "tutoring": settings}


async def test_tutoring_queue_pages_and_counts_with_its_filters() -> None:
    async with test_bot(cogs=["tutoring"], config=tutoring(page_size=2)) as bot:
        for where in ("online", "helsinki", "online"):
            await bot.say(f'/tutor request topic=study_skills language=en where={where} description=x',
                          as_="Sanni", roles="student")
        first = await bot.say("/tutor queue", as_="Olli", roles="tutor")
        assert re.findall(r"#(\d)", texts(first)) == ["1", "2"] and "page 1/2" in texts(first)
        second = await bot.press("Next", message=first[0].number, as_="Olli")
        assert re.findall(r"#(\d)", bot.message(first[0].number).text) == ["3"] and second is not None
        online = texts(await bot.say("/tutor queue where=online", as_="Olli"))
        assert re.findall(r"#(\d)", online) == ["1", "3"] and "page" not in online  # two: one page


def membership(**settings: Any) -> dict[str, Any]:
    return {**ENGLISH, "membership": settings}


async def test_benefits_page_by_name_and_count_the_campus_filter() -> None:
    async with test_bot(cogs=["membership"], config=membership(page_size=2)) as bot:
        for line in ('/member benefit name=lunch what="10 % off" kind=food where=helsinki',
                     '/member benefit name=Gym what="Student price" kind=sport where=everywhere',
                     '/member benefit name=Pizza what="Free drink" kind=food where=turku',
                     '/member benefit name=Books what="E-books" kind=study where=online'):
            assert "Added the benefit" in texts(await bot.say(line, as_="Hanna", roles="board"))
        names = re.compile(r"\b(lunch|Gym|Pizza|Books)\b")
        first = await bot.say("/benefits", as_="Olli")
        assert names.findall(texts(first)) == ["Books", "Gym"] and "page 1/2" in texts(first)
        await bot.press("Next", message=first[0].number, as_="Olli")
        assert names.findall(bot.message(first[0].number).text) == ["lunch", "Pizza"]  # by name, case folded
        helsinki = texts(await bot.say("/benefits campus=helsinki", as_="Olli"))
        assert names.findall(helsinki) == ["Gym", "lunch"] and "page" not in helsinki


async def test_reminders_number_across_pages_and_a_cancel_keeps_its_page() -> None:
    async with test_bot(cogs=[]) as bot:
        for day in range(1, 13):  # 12 reminders: 10 a page
            await bot.say(f"/remind 2026-12-{day:02d} 10:00 Asia{day}", as_="Olli")
        first = await bot.say("/reminders", as_="Olli")
        assert re.findall(r"Asia(\d+)", texts(first)) == [str(n) for n in range(1, 11)] and "sivu 1/2" in texts(first)
        await bot.press("Seuraava", message=first[0].number, as_="Olli")
        second = bot.message(first[0].number)
        assert re.findall(r"(\d+)\. .*?Asia(\d+)", second.text) == [("11", "11"), ("12", "12")]
        assert [label for label, _action in second.buttons][:2] == ["Peru 11", "Peru 12"]
        await bot.press("Peru 11", message=first[0].number, as_="Olli")
        after = bot.message(first[0].number)  # still page 2: the cancelled one was there
        assert "sivu 2/2" in after.text and re.findall(r"(\d+)\. .*?Asia(\d+)", after.text) == [("11", "12")]
