"""The membership cog through the real command path on the console (issue 24): a campaign, codes and deep
links, pending then confirmed referrals, the leaderboard with ties, the end, benefits and gaps, the spotlight,
and refusals. The Telegram deep link and the Discord invite run against the fakes in test_membership_platforms.py.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from bot.testing import ConsoleBot, test_bot, texts
from tests.personal_helpers import link_code

ENGLISH = {"community": {"default_language": "en"}}
# TEST_NOW is Thursday 26.11.2026 12:00 UTC (14:00 in Helsinki).
CAMPAIGN = '/member campaign name="Who told you" start="26.11.2026 klo 9" end="10.12. klo 16" reward="Cinema tickets"'
CODE = re.compile(r"Your code is ([A-Z0-9]{6})")


def config(**membership: Any) -> dict[str, Any]:
    return {**ENGLISH, "membership": membership} if membership else ENGLISH


async def start_campaign(bot: ConsoleBot) -> None:
    assert "runs from" in texts(await bot.say(CAMPAIGN, as_="Hanna", roles="board"))


async def code_of(bot: ConsoleBot, name: str) -> str:
    match = CODE.search(texts(await bot.say("/member invite", as_=name)))
    assert match is not None
    return match.group(1)


async def referrals(bot: ConsoleBot) -> list[dict[str, Any]]:
    return await bot.rows("SELECT a.display_name AS referrer, b.display_name AS newcomer, r.via, r.status, r.campus"
                          " FROM membership_referrals r JOIN people a ON a.id = r.referrer_id"
                          " JOIN people b ON b.id = r.newcomer_id ORDER BY r.id")


async def confirm_all(bot: ConsoleBot) -> None:
    [shown] = await bot.say("/member pending", as_="Hanna", roles="board")
    while any("Confirm" in label for label, _action in bot.message(shown.number).buttons):
        await bot.press("Confirm", message=shown.number, as_="Hanna")


async def test_campaign_refuses_bad_input_and_a_second_one() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        out = texts(await bot.say('/member campaign name=X start="9.12. klo 9" end="5.12. klo 9" reward=R',
                                  as_="Hanna", roles="board"))
        assert "must end after it starts" in out
        assert await bot.rows("SELECT * FROM membership_campaigns") == []
        await start_campaign(bot)
        out = texts(await bot.say('/member campaign name=Y start="1.12. klo 9" end="20.12. klo 9" reward=R',
                                  as_="Hanna"))
        assert "still on" in out
        assert len(await bot.rows("SELECT * FROM membership_campaigns")) == 1
        assert "Only the board" in texts(await bot.say(CAMPAIGN, as_="Olli", roles=""))


async def test_codes_people_and_deep_links_count_once_and_never_for_oneself() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        olli = await code_of(bot, "Olli")
        assert await code_of(bot, "Olli") == olli  # the same code every time
        assert "cannot name yourself" in texts(await bot.say(f"/member joined code={olli}", as_="Olli"))
        assert "No one has the code NOPE42" in texts(await bot.say("/member joined code=NOPE42", as_="Emma"))
        assert "either their code or their name" in texts(await bot.say("/member joined", as_="Emma"))
        assert "either their code or their name" in texts(
            await bot.say(f"/member joined code={olli} person=Olli", as_="Emma"))
        out = texts(await bot.say(f"/member joined code={olli.lower()} campus=helsinki", as_="Emma"))
        assert "Olli gets the credit" in out
        assert "already named" in texts(await bot.say("/member joined person=Hanna", as_="Emma"))
        # A deep link (/start ref_CODE) names the owner; the campus is asked with buttons.
        out = texts(await bot.say(f"/start ref_{olli}", as_="Aino"))
        assert "Olli gets the credit" in out and "Where do you study?" in out
        await bot.press("Online", as_="Aino")
        assert "invalid" not in texts(await bot.say("/member joined person=Olli", as_="Veera"))
        assert "not valid any more" in texts(await bot.say("/start ref_ZZZZZZ", as_="Pekka"))
        assert await referrals(bot) == [
            {"referrer": "Olli", "newcomer": "Emma", "via": "code", "status": "pending", "campus": "helsinki"},
            {"referrer": "Olli", "newcomer": "Aino", "via": "link", "status": "pending", "campus": "online"},
            {"referrer": "Olli", "newcomer": "Veera", "via": "person", "status": "pending", "campus": None}]


async def test_linked_accounts_are_one_person() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        olli = await code_of(bot, "Olli")
        hanna = await code_of(bot, "Hanna")
        await bot.say(f"/member joined code={olli}", as_="Emma")
        await bot.say(f"/member joined code={hanna}", as_="emma_tg")  # another account: not yet known as Emma
        await bot.say(f"/member joined code={olli}", as_="olli_tg")  # Olli's own other account
        assert len(await referrals(bot)) == 3
        code = link_code(texts(await bot.say("/link", as_="Emma")))
        await bot.say(f"/link {code}", as_="emma_tg")
        code = link_code(texts(await bot.say("/link", as_="Olli")))
        await bot.say(f"/link {code}", as_="olli_tg")
        # One referral for Emma (the earlier), none from Olli to himself.
        assert [(r["referrer"], r["newcomer"]) for r in await referrals(bot)] == [("Olli", "Emma")]
        assert "cannot name yourself" in texts(await bot.say(f"/member joined code={olli}", as_="olli_tg"))
        assert "already named" in texts(await bot.say(f"/member joined code={hanna}", as_="emma_tg"))


async def test_pending_until_the_board_confirms_and_the_live_card_follows() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        [card] = bot.sent_to("#announcements")
        olli = await code_of(bot, "Olli")
        await bot.say(f"/member joined code={olli} campus=turku", as_="Emma")
        await bot.say(f"/member joined code={olli}", as_="Aino")
        assert "no confirmed referrals yet" in texts(await bot.say("/member leaderboard", as_="Olli"))
        assert "Only the board" in texts(await bot.say("/member pending", as_="Olli"))
        out = texts(await bot.say("/member pending", as_="Hanna", roles="board"))
        assert "Emma (told by Olli; code, Turku)" in out and "Aino" in out
        await bot.press("Confirm", as_="Hanna")
        await bot.press("Reject", as_="Hanna")
        assert [(r["newcomer"], r["status"]) for r in await referrals(bot)] == [("Emma", "confirmed")]
        assert "Emma is now a confirmed member" in texts(bot.sent_to("@olli"))
        assert "Aino" not in texts(bot.sent_to("@olli"))  # a rejected one is not announced
        out = texts(await bot.say("/member leaderboard", as_="Olli"))
        assert "1. Olli: 1" in out and "You are number 1 with 1 confirmed referral." in out
        assert "By campus: Turku 1" in out
        await bot.wait("10s")  # the live copy is edited at its pace
        assert "1. Olli: 1" in bot.message(card.number).text


async def test_leaderboard_shares_ties_and_shows_the_askers_rank() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        codes = {name: await code_of(bot, name) for name in ("Olli", "Emma", "Pekka")}
        newcomers = {"Olli": ["N1", "N2"], "Emma": ["N3", "N4"], "Pekka": ["N5"]}
        for referrer, names in newcomers.items():
            for name in names:
                await bot.say(f"/member joined code={codes[referrer]}", as_=name)
        await confirm_all(bot)
        out = texts(await bot.say("/member leaderboard", as_="Pekka"))
        assert "1. Emma: 2\n1. Olli: 2\n3. Pekka: 1" in out
        assert "You are number 3 with 1 confirmed referral." in out
        assert "You are number 1 with 2 confirmed referrals." in texts(await bot.say("/member leaderboard", as_="Olli"))
        assert "no confirmed referrals yet" in texts(await bot.say("/member leaderboard", as_="N1"))


async def test_the_end_announces_the_winner_sends_the_csv_and_refuses_later_joins() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        olli, emma = await code_of(bot, "Olli"), await code_of(bot, "Emma")
        await bot.say(f"/member joined code={olli}", as_="N1")
        await bot.say(f"/member joined code={olli}", as_="N2")
        await bot.say(f"/member joined code={emma}", as_="N3")
        await confirm_all(bot)
        await bot.say(f"/member joined code={emma}", as_="N4")  # still pending at the end
        await bot.wait("15d")
        posted = texts(bot.sent_to("#announcements"))
        assert "The winner, with 2 confirmed new members: Olli." in posted
        assert "Reward: Cinema tickets" in posted
        [board] = [p for p in bot.sent_to("#board") if p.files]
        data = next(iter(board.file_data.values()))
        table = list(csv.DictReader(io.StringIO(data.decode())))
        assert [(r["referrer"], r["newcomer"], r["status"]) for r in table] == [
            ("Olli", "N1", "confirmed"), ("Olli", "N2", "confirmed"), ("Emma", "N3", "confirmed"),
            ("Emma", "N4", "pending")]
        assert "No referral campaign is on" in texts(await bot.say(f"/member joined code={olli}", as_="N5"))
        # The card says it ended; a new campaign may start now.
        assert "Ended" in bot.sent_to("#announcements")[0].text or any(
            "Ended" in p.text for p in bot.sent_to("#announcements"))


async def test_the_board_ends_a_campaign_early_once() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        olli = await code_of(bot, "Olli")
        await bot.say(f"/member joined code={olli}", as_="N1")
        await confirm_all(bot)
        await bot.say("/member end", as_="Hanna", roles="board")
        assert "winner was announced" in texts(await bot.press("End it", as_="Hanna"))
        await bot.wait("15d")  # the end task was cancelled: one announcement only
        assert len([p for p in bot.sent_to("#announcements") if "has ended" in p.text]) == 1
        assert len([p for p in bot.sent_to("#board") if p.files]) == 1
        assert "runs from" in texts(await bot.say(CAMPAIGN.replace("26.11.", "20.12.").replace("10.12.", "30.12."),
                                                  as_="Hanna"))


async def test_a_campaign_set_to_start_later_does_not_count_yet() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await bot.say('/member campaign name=Later start="1.12. klo 9" end="10.12. klo 9" reward=R',
                      as_="Hanna", roles="board")
        olli = await code_of(bot, "Olli")
        assert "referrals count from then" in texts(await bot.say(f"/member joined code={olli}", as_="Emma"))
        await bot.wait("5d")
        assert "Olli gets the credit" in texts(await bot.say(f"/member joined code={olli}", as_="Emma"))


async def add_benefits(bot: ConsoleBot) -> None:
    for line in ('/member benefit name=Lunch what="10 % off lunch" kind=food where=helsinki',
                 '/member benefit name=Gym what="Student price" kind=sport where=everywhere',
                 '/member benefit name=Pizza what="Free drink" kind=food where=turku',
                 '/member benefit name=Books what="E-books" kind=study where=online until="20.12. klo 12"'):
        assert "Added the benefit" in texts(await bot.say(line, as_="Hanna", roles="board"))


async def test_benefits_by_campus_and_the_gaps() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await add_benefits(bot)
        out = texts(await bot.say("/benefits campus=helsinki", as_="Olli"))
        assert "Lunch" in out and "Gym" in out and "Pizza" not in out and "Books" not in out
        out = texts(await bot.say("/benefits campus=online", as_="Olli"))
        assert "Books" in out and "Gym" in out and "Lunch" not in out and "valid until" in out
        assert "Edit" not in str(bot.console.printed[-1].buttons)  # only the board keeps them
        out = texts(await bot.say("/benefits", as_="Olli"))
        assert all(name in out for name in ("Lunch", "Gym", "Pizza", "Books"))
        gaps = texts(await bot.say("/benefit_gaps", as_="Olli"))
        assert "food: missing for Joensuu, Jyväskylä, Kuopio and Online" in gaps
        assert "study: missing for Helsinki, Joensuu, Jyväskylä, Kuopio and Turku" in gaps
        assert "sport" not in gaps  # everywhere covers every campus
        assert "Only the board" in texts(await bot.say("/member benefit name=X what=Y kind=food where=turku",
                                                       as_="Olli"))
        assert "kind" in texts(await bot.say("/member benefit name=X what=Y kind=nonsense where=turku",
                                             as_="Hanna", roles="board")).lower()
        await bot.wait("25d")  # Books expired
        assert "Books" not in texts(await bot.say("/benefits", as_="Olli"))


async def test_the_board_edits_and_removes_a_benefit() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await add_benefits(bot)
        await bot.say("/benefits campus=turku", as_="Hanna", roles="board")
        card = bot.console.printed[-1].number
        # Lines are Gym then Pizza: Pizza's Edit is the second one.
        pizza_edit = [i for i, (label, _a) in enumerate(bot.message(card).buttons, 1) if "Edit" in label][1]
        await bot.click(pizza_edit, message=card)
        for answer in ("Pizza Place", "Free dessert", "food", "kuopio"):
            await bot.say(answer)
        await bot.press("Skip")
        out = texts(await bot.say("/benefits campus=kuopio", as_="Olli"))
        assert "Pizza Place" in out and "Free dessert" in out
        await bot.say("/benefits campus=kuopio", as_="Hanna")
        card = bot.console.printed[-1].number
        removes = [i for i, (label, _a) in enumerate(bot.message(card).buttons, 1) if "Remove" in label]
        await bot.click(removes[1], message=card)  # Gym, then Pizza Place
        await bot.press("Remove", as_="Hanna")
        assert "Pizza" not in texts(await bot.say("/benefits", as_="Olli"))


async def test_the_spotlight_posts_a_benefit_and_the_standing() -> None:
    async with test_bot(cogs=["membership"], config=config(join_link="https://example.org/join")) as bot:
        await add_benefits(bot)
        await start_campaign(bot)
        olli = await code_of(bot, "Olli")
        await bot.say(f"/member joined code={olli}", as_="N1")
        await confirm_all(bot)
        before = len(bot.sent_to("#announcements"))
        await bot.wait("6d")  # Wednesday 10:00 in Helsinki comes once
        spot = [p for p in bot.sent_to("#announcements")[before:] if "Member benefit:" in p.text]
        assert len(spot) == 1
        assert "1. Olli: 1" in spot[0].text and "https://example.org/join" in str(spot[0].buttons)


async def test_guide_and_pitch_come_from_config_in_the_readers_language() -> None:
    settings = {"guide_fi": "Kerro jäsenyydestä", "guide_en": "Talk about membership",
                "join_link": "https://example.org/join"}
    async with test_bot(cogs=["membership"], config={"membership": settings}) as bot:
        assert "Kerro jäsenyydestä" in texts(await bot.say("/member guide", as_="Olli"))
        assert texts(await bot.say("/member leaderboard", as_="Olli")) == "Kampanjaa ei ole käynnissä."
        await bot.say("/language en", as_="Emma")
        assert "Talk about membership" in texts(await bot.say("/member guide", as_="Emma"))
        why = await bot.say("/member why", as_="Emma")
        assert "https://example.org/join" in texts(why) and "benefits" in texts(why)


async def test_mydata_and_forgetme_cover_referrals() -> None:
    async with test_bot(cogs=["membership"], config=config()) as bot:
        await start_campaign(bot)
        olli = await code_of(bot, "Olli")
        await bot.say(f"/member joined code={olli}", as_="Emma")
        [mydata] = await bot.say("/mydata", as_="Olli")
        assert olli in next(iter(mydata.file_data.values())).decode()
        await bot.say("/forgetme", as_="Emma")
        await bot.press("erase everything", as_="Emma")
        assert await referrals(bot) == []
