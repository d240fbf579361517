"""Buttons nobody can forge or misuse, and one rate for every path, through the console's real command path.

A modified client can send any callback data (Telegram does not check it against the message) or custom_id:
the console's `:press DATA #M` does the same. The platform versions are in test_buttons_platforms.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands import Button, Cog, Reply
from bot.context import Context, ServiceContext
from bot.signing import ActionSigner, load_key, payload_of
from tests.harness import ConsoleBot, texts
from tests.harness import test_config as example_config

NO_LONGER_WORKS = "Tämä painike ei enää toimi."
NOT_YOURS = "Tämä painike on sille, jolle viesti näytettiin."
TOO_FAST = "Lähetät komentoja liian nopeasti. Odota hetki ja yritä uudelleen."
QUIZ = '/event create title="Quiz night" start="4.12. klo 18" where=helsinki description="Fun quiz" capacity=2'

# A test-only cog: a card posted to a channel, whose buttons re-render the card, answer personally, or need a role.
cards = Cog("cardtest", "Test cards")
SHOWN = {"count": 0}


@cards.view("thing")
async def thing_view(ctx: ServiceContext, thing_id: int) -> Reply:
    return Reply(f"Thing {thing_id}: refreshed {SHOWN['count']} times",
                 buttons=[Button("Refresh", cards.action_id("refresh", thing_id)),
                          Button("Mine", cards.action_id("mine", thing_id)),
                          Button("Approve", cards.action_id("approve", thing_id))])


@cards.command("Post a thing card")
async def post(ctx: Context) -> Reply:
    await ctx.post("announcements", shows=("thing", 7))
    return Reply("posted", private=True)


@cards.action("refresh")
async def refresh(ctx: Context, thing_id: int) -> Reply:
    SHOWN["count"] += 1
    view = await thing_view(ctx, thing_id)
    return Reply(view.text, buttons=view.buttons, edit=True, shows=("thing", thing_id))  # the card's own view


@cards.action("mine")
async def mine(ctx: Context, thing_id: int) -> Reply:
    return Reply(f"Only for {ctx.person.display_name}: thing {thing_id}", edit=True)  # a personal answer


@cards.action("approve", roles={"board"})
async def approve(ctx: Context, thing_id: int) -> Reply:
    return Reply(notice=f"Approved {thing_id}")


@pytest.fixture
async def cbot(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    SHOWN["count"] = 0
    harness = await ConsoleBot.start(tmp_path, extra_cogs=(cards,))
    try:
        yield harness
    finally:
        await harness.stop()


def card_number(bot: ConsoleBot, where: str = "#announcements") -> int:
    return bot.sent_to(where)[0].number


async def press(bot: ConsoleBot, data: str, message: int, as_: str) -> list[str]:
    await bot.line(f":as {as_}")
    return [p.text for p in await bot.line(f":press {data} #{message}")]


def edits_of(bot: ConsoleBot, number: int) -> list[str]:
    return [p.text for p in bot.console.printed if p.kind == "edit" and p.number == number]


# ------------------------------------------------------------------------------------------ signatures


async def test_forged_and_altered_button_data_changes_nothing(bot: ConsoleBot) -> None:
    await bot.say(QUIZ, as_="Olli", roles="organiser", where="dm")
    number = card_number(bot)
    before = bot.message(number)
    going = before.buttons[0][1]
    assert payload_of(going) == "ev:rsvp:1:yes" and going != "ev:rsvp:1:yes"  # signed
    payload, owner, mac = going.split("~")
    forgeries = [
        "core:cancel",  # the prompt's cancel, on the public card (it used to say "Peruttu." there)
        "ev:page:2:-:-",  # a list instead of the card
        "ev:rsvp:1:yes",  # the real payload without its signature
        f"ev:rsvp:1:no~{owner}~{mac}",  # altered payload
        f"{payload}~1~{mac}",  # an owner added
        f"{payload}~{owner}~{mac[:-1]}",  # a cut signature
        f"{payload}~{owner}~{mac}~x",
        f"core:cancel~{owner}~{mac}",  # another id's signature
    ]
    for forged in forgeries:
        assert await press(bot, forged, number, as_="Emma") == [NO_LONGER_WORKS], forged
    assert edits_of(bot, number) == []
    assert bot.message(number) == before  # the card kept its text and its RSVP buttons
    assert "Quiz night" not in texts(await bot.say("/event mine", as_="Emma"))  # no answer was recorded
    # The genuine button still works.
    assert "Olet tulossa" in " ".join(await press(bot, going, number, as_="Emma"))
    assert "Tulossa 1/2" in bot.message(number).text


async def test_a_key_from_another_data_directory_does_not_verify(tmp_path: Path, bot: ConsoleBot) -> None:
    other = ActionSigner(load_key(None, tmp_path / "elsewhere"))
    await bot.say(QUIZ, as_="Olli", roles="organiser", where="dm")
    number = card_number(bot)
    assert await press(bot, other.sign("ev:rsvp:1:yes", None), number, as_="Emma") == [NO_LONGER_WORKS]
    # The secret, when set, gives the key; the same secret gives the same key, another secret another one.
    assert load_key("s3cret", tmp_path / "a") == load_key("s3cret", tmp_path / "b") != load_key("other", tmp_path)
    assert not (tmp_path / "a").exists()  # no key file when the secret is set


def test_remembered_signatures_are_the_ones_computed(tmp_path: Path) -> None:
    """Signatures are remembered (a card's buttons are signed again for every copy); what comes back from memory
    is what the key gives, per payload and owner, also after the memory was emptied at its bound."""
    from bot import signing

    signer, fresh = ActionSigner(b"k" * 32), ActionSigner(b"k" * 32)
    owners = [None, 1, 35, 36, 10**12]
    first = {(payload, owner): signer.sign(payload, owner) for payload in ("ev:rsvp:1:yes", "ping:again:1")
             for owner in owners}
    assert len(set(first.values())) == len(first)  # every payload and owner signs differently
    for _ in range(signing.SIGNED_REMEMBERED + 10):  # past the bound: the memory is emptied once
        signer.sign("ping:again:2", _)
    for (payload, owner), signed in first.items():
        assert signer.sign(payload, owner) == signed == fresh.sign(payload, owner)
        assert signer.verify(signed) == signing.Signed(payload, owner)


# ------------------------------------------------------------------------------------------ ownership


async def test_another_persons_prompt_cancel_leaves_the_prompt_open(bot: ConsoleBot) -> None:
    asked = await bot.say("/countdown", as_="Olli", where="general")
    question = asked[-1]
    assert question.where == "#general" and "Mihin hetkeen lasken aikaa?" in question.text
    await bot.say("/countdown", as_="Emma")  # Emma has a question open in the same channel
    refused = texts(await bot.click(len(question.buttons), message=question.number, as_="Emma"))
    assert refused == NOT_YOURS
    assert edits_of(bot, question.number) == [] and bot.message(question.number).text == question.text
    # Both questions are still open: neither Olli's nor Emma's own was cancelled.
    assert "tunnin päästä" in texts(await bot.say("huomenna klo 14", as_="Emma"))
    assert "tunnin päästä" in texts(await bot.say("huomenna klo 14", as_="Olli"))
    # Olli's own Cancel, once the question is answered, says so and edits nothing.
    assert texts(await bot.click(len(question.buttons), message=question.number, as_="Olli")) == \
        "Kysymys ei ole enää auki."
    assert edits_of(bot, question.number) == []


async def test_the_owner_cancels_their_own_prompt(bot: ConsoleBot) -> None:
    question = (await bot.say("/countdown", as_="Olli", where="general"))[-1]
    await bot.click(len(question.buttons), message=question.number)
    assert edits_of(bot, question.number) == ["Peruutettu."]
    assert "not a command" in texts(await bot.say("huomenna klo 14"))  # nothing is asked any more


async def test_owner_only_buttons_in_someone_elses_dm_are_refused(bot: ConsoleBot) -> None:
    confirm = (await bot.say("/forgetme", as_="Olli", where="dm"))[-1]
    refused = texts(await bot.click(1, message=confirm.number, as_="Emma"))  # a copied "Yes, erase everything"
    assert refused == NOT_YOURS
    assert edits_of(bot, confirm.number) == []
    [data] = await bot.say("/mydata", as_="Olli")
    assert b'"Olli"' in data.file_data["mydata.json"]  # nothing was erased
    ping = (await bot.say("/ping", as_="Olli", where="general"))[-1]
    assert texts(await bot.click(1, message=ping.number, as_="Emma")) == NOT_YOURS
    await bot.click(1, message=ping.number, as_="Olli")
    assert edits_of(bot, ping.number) == ["Pong ×2"]  # the one it was made for edits it in place


# ------------------------------------------------------------------------------------- shared messages


async def test_a_press_on_someone_elses_list_in_a_channel_answers_the_presser_alone(bot: ConsoleBot) -> None:
    for day in range(1, 8):
        await bot.say(f'/event create title=Day{day} start="{day}.12. klo 18" where=turku description=x',
                      as_="Olli", roles="organiser", where="dm")
    listing = (await bot.say("/event list", as_="Olli", where="general"))[-1]
    assert listing.where == "#general" and "sivu 1/2" in listing.text
    answer = await bot.click(11, message=listing.number, as_="Emma")  # Next, after five Show and Going pairs
    assert [(p.kind, p.where) for p in answer] == [("reply", "you")] and "sivu 2/2" in answer[0].text
    assert edits_of(bot, listing.number) == []
    await bot.click(11, message=listing.number, as_="Olli")  # his own list: paged in place
    assert "sivu 2/2" in bot.message(listing.number).text


async def test_a_card_is_edited_only_into_its_own_view(cbot: ConsoleBot) -> None:
    await cbot.say("/cardtest post", as_="Olli", where="dm")
    number = card_number(cbot)
    assert cbot.message(number).text == "Thing 7: refreshed 0 times"
    await cbot.click(1, message=number, as_="Emma")  # re-renders the card's own view: edited in place
    assert cbot.message(number).text == "Thing 7: refreshed 1 times"
    personal = await cbot.click(2, message=number, as_="Emma")  # a personal answer: to Emma alone
    assert [(p.kind, p.where, p.text) for p in personal] == [("reply", "you", "Only for Emma: thing 7")]
    assert cbot.message(number).text == "Thing 7: refreshed 1 times" and len(cbot.message(number).buttons) == 3
    # The re-rendered card is still shared: its buttons are nobody's, so the next presser is not its owner.
    personal = await cbot.click(2, message=number, as_="Sanni")
    assert [(p.kind, p.where, p.text) for p in personal] == [("reply", "you", "Only for Sanni: thing 7")]


async def test_an_action_with_roles_is_refused_to_others(cbot: ConsoleBot) -> None:
    await cbot.say("/cardtest post", as_="Olli", where="dm")
    number = card_number(cbot)
    refused = texts(await cbot.click(3, message=number, as_="Emma"))
    assert refused == "Tämä painike on vain näiden käytössä: hallitus."
    await cbot.line(":as Hanna board")
    assert texts(await cbot.click(3, message=number)) == "Approved 7"


# ---------------------------------------------------------------------------------------------- rate


@pytest.fixture
async def slow(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    harness = await ConsoleBot.start(tmp_path, example_config(command_rate=5, command_rate_seconds=60.0))
    try:
        yield harness
    finally:
        await harness.stop()


async def test_a_flood_of_unknown_commands_gets_one_too_fast_answer(slow: ConsoleBot) -> None:
    answers = [texts(await slow.say(f"/nonsense{n}", as_="Emma", where="dm")) for n in range(25)]
    assert sum("Tuntematon komento" in a for a in answers) == 5
    assert answers[5] == TOO_FAST and answers[6:] == [""] * 19  # told once, then silence
    await slow.wait("61s")
    assert "Tuntematon komento" in texts(await slow.say("/nonsense", as_="Emma"))
    assert "Tuntematon komento" in texts(await slow.say("/nonsense", as_="Olli"))  # per person


async def test_every_path_counts_against_the_same_rate(slow: ConsoleBot) -> None:
    question = (await slow.say("/countdown", as_="Emma", where="dm"))[-1]  # 1: a command
    assert "Mihin hetkeen lasken aikaa?" in question.text
    cancel = question.buttons[0][1]
    assert "Mihin hetkeen lasken aikaa?" in texts(await slow.say("not a date"))  # 2: a prompt answer (asked again)
    assert "Mihin hetkeen lasken aikaa?" in texts(await slow.say("still not"))  # 3
    assert texts(await slow.line(":press core:cancel")) == NO_LONGER_WORKS  # 4: a forged core:* press
    assert texts(await slow.click(1, message=question.number)) == "Peruutettu."  # 5: the prompt's own Cancel
    assert texts(await slow.line(f":press {cancel} #{question.number}")) == TOO_FAST  # 6: told once
    assert texts(await slow.say("/ping")) == ""
    assert texts(await slow.say("/nonsense")) == ""
    assert texts(await slow.line(":press core:cancel")) == ""
    assert [p for p in await slow.say("hello") if p.kind != "info"] == []
    await slow.wait("61s")
    assert "Pong" in texts(await slow.say("/ping"))


async def test_run_with_a_token_refuses_to_start_without_the_secret_key(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.run import run_bot

    config = example_config()
    config = dataclasses.replace(config, secrets=dataclasses.replace(config.secrets, telegram_token="123:abc"))
    assert "telegram" in config.enabled_frontends and not config.secrets.secret_key
    assert await run_bot(config, tmp_path / "data") == 2
    assert "HUMAKO_SECRET_KEY is not set" in caplog.text and "123:abc" not in caplog.text
    assert not (tmp_path / "data").exists()  # nothing was started
