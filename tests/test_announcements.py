"""Announcements end to end through the console: one-off and repeating posts, languages, the calendar,
preview, cancel, approval, a restart and the DST change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.testing import TEST_NOW, ConsoleBot, test_bot, texts

COGS = ["announcements"]


async def board(bot: ConsoleBot, line: str, as_: str = "Hanna", roles: str = "board") -> str:
    return texts(await bot.say(line, as_=as_, roles=roles, where="dm"))


def posted(bot: ConsoleBot, where: str) -> list[str]:
    return [p.text for p in bot.sent_to(where) if p.kind == "sent"]


async def test_one_off_posts_once_at_its_time_in_each_destinations_language() -> None:
    async with test_bot(cogs=COGS) as bot:
        out = await board(bot, '/announce schedule text="Hei kaikki" when="27.11. klo 10" '
                               'to=announcements,international english="Hello all"')
        assert "1" in out
        await bot.wait("1199m")  # 27.11. 09:59 Helsinki time
        assert posted(bot, "#announcements") == [] and posted(bot, "#international") == []
        await bot.wait("1m")
        assert posted(bot, "#announcements") == ["Hei kaikki"]
        assert posted(bot, "#international") == ["Hello all"]
        await bot.wait("30d")
        assert posted(bot, "#announcements") == ["Hei kaikki"]  # once


async def test_weekly_posts_every_week_at_its_time() -> None:
    async with test_bot(cogs=COGS) as bot:
        await board(bot, '/announce schedule text="Viikkotiedote" when="27.11. klo 10" to=announcements '
                         'repeat=weekly')
        await bot.wait("20h")
        assert posted(bot, "#announcements") == ["Viikkotiedote"]
        await bot.wait("7d")
        await bot.wait("7d")
        assert posted(bot, "#announcements") == ["Viikkotiedote"] * 3
        rows = await bot.rows("SELECT due_at FROM scheduled WHERE task = 'an_post' ORDER BY id")
        assert [r["due_at"][:16] for r in rows] == ["2026-11-27T08:00", "2026-12-04T08:00", "2026-12-11T08:00",
                                                   "2026-12-18T08:00"]


async def test_weekly_keeps_its_wall_clock_time_across_the_dst_change() -> None:
    async with test_bot(cogs=COGS) as bot:
        await board(bot, '/announce schedule text=Maaliskuu when="20.3.2027 klo 10" to=announcements '
                         'repeat=weekly until="10.4.2027 klo 12"')
        await bot.wait("140d")
        rows = await bot.rows("SELECT due_at, status FROM scheduled WHERE task = 'an_post' ORDER BY id")
        # 10:00 in Helsinki: 08:00 UTC in winter time, 07:00 UTC from 28.3. on.
        assert [r["due_at"][:16] for r in rows] == ["2027-03-20T08:00", "2027-03-27T08:00", "2027-04-03T07:00",
                                                   "2027-04-10T07:00"]
        assert posted(bot, "#announcements") == ["Maaliskuu"] * 4
        [row] = await bot.rows("SELECT status FROM announcements")
        assert row["status"] == "done"


async def test_a_restart_between_scheduling_and_sending_posts_once(tmp_path: Path) -> None:
    async with test_bot(cogs=COGS, data_dir=tmp_path) as bot:
        await board(bot, '/announce schedule text="Muistakaa vaalit" when="27.11. klo 10" to=announcements')
        await bot.wait("10h")
    # Back up after the post time (down 10:00-10:30 Helsinki time): the post goes once, late, on start.
    async with test_bot(cogs=COGS, data_dir=tmp_path, now=TEST_NOW + timedelta(hours=20, minutes=30)) as bot:
        await bot.wait("1m")
        assert posted(bot, "#announcements") == ["Muistakaa vaalit"]
        await bot.wait("1d")
        assert posted(bot, "#announcements") == ["Muistakaa vaalit"]
        rows = await bot.rows("SELECT status FROM scheduled WHERE task = 'an_post'")
        assert [r["status"] for r in rows] == ["done"]


async def test_bad_input_is_refused_and_changes_nothing() -> None:
    async with test_bot(cogs=COGS) as bot:
        past = await board(bot, '/announce schedule text=Hei when="20.11.2026 klo 10" to=announcements')
        unknown = await board(bot, '/announce schedule text=Hei when="27.11. klo 10" to=nowhere')
        never = await board(bot, '/announce schedule text=Hei when="27.11. klo 10" to=announcements repeat=rule '
                                 'rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"')
        hourly = await board(bot, '/announce schedule text=Hei when="27.11. klo 10" to=announcements repeat=rule '
                                  'rule="FREQ=HOURLY"')
        student = texts(await bot.say('/announce schedule text=Hei when="27.11. klo 10" to=announcements',
                                      as_="Olli", roles="student", where="dm"))
        assert "nowhere" in unknown and "announcements" in unknown
        assert "FREQ" in never and "FREQ" in hourly
        assert past and student
        assert await bot.rows("SELECT id FROM announcements") == []
        assert await bot.rows("SELECT id FROM scheduled") == []


async def test_preview_and_cancel() -> None:
    async with test_bot(cogs=COGS) as bot:
        await board(bot, '/announce schedule text="Hei kaikki" when="27.11. klo 10" to=announcements,international '
                         'english="Hello all"')
        preview = await board(bot, "/announce preview 1")
        # Each destination under each platform it maps to (only the console runs here), in its language.
        assert "#announcements · console · fi\nHei kaikki" in preview
        assert "#international · console · en\nHello all" in preview
        refused = await board(bot, "/announce cancel 1", as_="Emma", roles="communications")
        assert await bot.rows("SELECT id FROM announcements WHERE status = 'scheduled'") == [{"id": 1}]
        assert refused
        await board(bot, "/announce cancel 1")
        await bot.wait("2d")
        assert posted(bot, "#announcements") == []
        again = await board(bot, "/announce cancel 1")
        assert "1" in again


async def test_approval_waits_for_a_board_member_and_tells_the_author() -> None:
    async with test_bot(cogs=COGS, config={"announcements": {"approval": True}}) as bot:
        out = await board(bot, '/announce schedule text="Kevään haku" when="27.11. klo 10" to=announcements',
                          as_="Emma", roles="communications")
        assert "1" in out
        [ask] = bot.sent_to("#board")
        await bot.wait("1d")
        assert posted(bot, "#announcements") == []  # not approved: not posted
        refused = texts(await bot.press("Hyväksy", message=ask.number, as_="Emma"))
        assert refused and await bot.rows("SELECT status FROM announcements") == [{"status": "waiting"}]
        await board(bot, '/announce schedule text="Talven haku" when="30.11. klo 10" to=announcements',
                    as_="Emma", roles="communications")
        [_, ask2] = bot.sent_to("#board")
        calendar = await board(bot, "/announce list")  # Hanna, of the board
        assert "2 tiedotetta odottaa hyväksyntää." in calendar and "Talven haku" not in calendar
        await bot.press("Hyväksy", message=ask2.number, as_="Hanna")
        assert any("2" in p.text for p in bot.sent_to("@emma"))
        await bot.wait("4d")
        assert posted(bot, "#announcements") == ["Talven haku"]


async def test_the_calendar_lists_other_cogs_public_jobs_and_config_jobs() -> None:
    config = {"scheduler": {"jobs": [{"name": "sauna", "cron": "0 17 * * fri", "destination": "announcements",
                                      "text": "Saunavuoro tänään"}]}}
    async with test_bot(cogs=["events", "announcements"], config=config) as bot:
        await board(bot, '/announce schedule text="Vaalit tulossa" when="1.12. klo 10" to=announcements')
        out = await board(bot, "/announce list")
        assert "Vaalit tulossa" in out
        assert out.count("Saunavuoro tänään") == 4  # four Fridays in four weeks
        digest = [line for line in out.splitlines() if "#announcements, #international" in line]
        assert len(digest) == 4  # the events digest, every Monday, to both its destinations
        assert out.index("Vaalit tulossa") < out.index(digest[1])
