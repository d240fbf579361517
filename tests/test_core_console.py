"""The foundation end to end through the console: /help, /language, the demo cog, validation, roles."""

from __future__ import annotations

from tests.harness import ConsoleBot, texts


async def test_help_lists_commands_by_role(bot: ConsoleBot) -> None:
    student = texts(await bot.say("/help", as_="Sanni"))
    assert "/ping" in student and "/language" in student
    assert "/broadcast" not in student
    board = texts(await bot.say("/help", as_="Hanna", roles="board"))
    assert "/broadcast" in board


async def test_language_switch_changes_replies(bot: ConsoleBot) -> None:
    await bot.say("/language en", as_="Emma")
    english = texts(await bot.say("/countdown yesterday"))
    assert "already passed" in english
    await bot.say("/language fi")
    finnish = texts(await bot.say("/countdown yesterday"))
    assert "jo mennyt" in finnish


async def test_ping_button_edits_its_message(bot: ConsoleBot) -> None:
    first = await bot.say("/ping hello", as_="Olli")
    assert first[0].text.endswith("hello")
    assert len(first[0].buttons) == 1
    edited = await bot.click(1)
    edit = next(p for p in edited if p.kind == "edit")
    assert edit.number == first[0].number and "×2" in edit.text
    again = await bot.click(1)
    assert any("×3" in p.text for p in again if p.kind == "edit")


async def test_too_long_text_is_refused(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/ping " + "x" * 51, as_="Olli"))
    assert "51" in out and "50" in out
    assert "Pong" not in out


async def test_past_date_refused_and_future_date_accepted(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/countdown 1.1.2020 klo 12", as_="Olli"))
    assert "jo mennyt" in out
    ok = texts(await bot.say("/countdown huomenna klo 14"))
    assert "24" in ok


async def test_unknown_choice_lists_the_choices(bot: ConsoleBot) -> None:
    # The reader's labels (what the buttons show), joined with "or", not the internal values.
    out = texts(await bot.say("/language sv", as_="Olli"))
    assert "”sv”" in out and "suomi tai English" in out


async def test_missing_parameter_is_asked_then_answered(bot: ConsoleBot) -> None:
    asked = await bot.say("/countdown", as_="Olli")
    assert asked[0].buttons  # a cancel button
    answered = texts(await bot.say("huomenna klo 14"))
    assert "24" in answered


async def test_missing_parameter_prompt_can_be_cancelled(bot: ConsoleBot) -> None:
    await bot.say("/countdown", as_="Olli")
    cancelled = texts(await bot.click(1))
    assert "Peruutettu" in cancelled
    after = texts(await bot.say("huomenna klo 14"))
    assert "tunnin päästä" not in after  # the answer no longer runs the cancelled command


async def test_choice_prompt_offers_buttons(bot: ConsoleBot) -> None:
    asked = await bot.say("/language", as_="Olli")
    labels = [label for label, _action in asked[0].buttons]
    assert "English" in labels
    answered = texts(await bot.click(labels.index("English") + 1))
    assert "English" in answered


async def test_command_above_role_is_refused_and_nothing_posted(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/broadcast Hello everyone", as_="Sanni"))
    assert "hallitus" in out
    assert bot.sent_to("#announcements") == []


async def test_board_broadcast_reaches_announcements(bot: ConsoleBot) -> None:
    await bot.say("/broadcast Board meeting on Friday", as_="Hanna", roles="board")
    posted = bot.sent_to("#announcements")
    assert len(posted) == 1 and "Board meeting on Friday" in posted[0].text


async def test_unknown_command_is_explained(bot: ConsoleBot) -> None:
    out = texts(await bot.say("/nosuchthing", as_="Olli"))
    assert "/help" in out


async def test_rate_limit_refuses_a_flood(bot: ConsoleBot) -> None:
    await bot.say(":as Spammer")
    outs = [texts(await bot.line("/ping")) for _ in range(25)]
    assert any("liian" in out for out in outs)


async def test_writing_to_the_bot_again_makes_an_unreachable_account_reachable(bot: ConsoleBot) -> None:
    await bot.say("/ping", as_="Aino")
    await bot.app.people.mark_unreachable("console", "aino", bot.app.clock.now())
    first = texts(await bot.say("/ping"))  # Aino unblocked the bot and wrote again
    since = await bot.app.db.fetchval(
        "SELECT unreachable_since FROM accounts WHERE platform = 'console' AND platform_user_id = 'aino'")
    assert since is None
    assert "Pong" in first and "yksityisviestejä" in first  # told once, where they are now
    assert "yksityisviestejä" not in texts(await bot.say("/ping"))


async def test_language_change_is_seen_by_the_next_command(bot: ConsoleBot) -> None:
    await bot.say("/ping", as_="Eero")  # the person is now cached
    await bot.say("/language en")
    assert "already passed" in texts(await bot.say("/countdown 1.1.2020 12:00"))


async def test_reminders_speak_the_language_the_platform_reported(bot: ConsoleBot) -> None:
    await bot.say(":as Emma")
    await bot.line(":lang en")  # Emma's app is in English; she never used /language
    await bot.say("/remind in 2 hours Hand in the essay")
    delivered = texts(await bot.wait("3h"))
    assert "Hand in the essay" in delivered and "Muistutus" not in delivered
