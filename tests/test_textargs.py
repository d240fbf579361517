"""Reading typed command lines: name=value pairs, quotes, positional words and greedy texts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from bot.commands import Cog, Param, Reply
from bot.textargs import parse_args, split_command

demo = Cog("demo", "Demo")


@demo.command("Remind me")
async def remind(ctx: object, when: Annotated[datetime, Param("When")],
                 text: Annotated[str, Param("What", max_len=200)]) -> Reply:
    return Reply("")


@demo.command("Create")
async def create(ctx: object, title: Annotated[str, Param("Title")], where: Annotated[str, Param("Where")],
                 capacity: Annotated[int | None, Param("Places")] = None) -> Reply:
    return Reply("")


def reads_as_date(text: str) -> bool:
    return text in {"tomorrow", "tomorrow 9", "pe", "pe 18.00"}


def spec(name: str):  # type: ignore[no-untyped-def]
    return next(c for c in demo.commands if c.name == name)


def test_named_values_with_quotes() -> None:
    args = parse_args(spec("create"), 'title="Quiz night" where=online capacity=20', reads_as_date)
    assert args == {"title": "Quiz night", "where": "online", "capacity": "20"}


def test_date_takes_as_many_words_as_read_and_text_takes_the_rest() -> None:
    args = parse_args(spec("remind"), "tomorrow 9 Hand in the essay", reads_as_date)
    assert args == {"when": "tomorrow 9", "text": "Hand in the essay"}


def test_positional_after_named() -> None:
    # A number is one word: what follows it is positional again.
    args = parse_args(spec("create"), "capacity=20 Quiz online", reads_as_date)
    assert args == {"capacity": "20", "title": "Quiz", "where": "online"}


def test_unquoted_words_after_a_named_text_or_date_go_on_with_it() -> None:
    args = parse_args(spec("create"), "title=Quiz night where=online", reads_as_date)
    assert args == {"title": "Quiz night", "where": "online"}
    dated = parse_args(spec("remind"), "when=pe 18.00 Sauna time", reads_as_date)
    assert dated == {"when": "pe 18.00", "text": "Sauna time"}


def test_a_text_before_only_optional_parameters_takes_the_rest() -> None:
    args = parse_args(spec("create"), "Quiz online 20 extra words", reads_as_date)
    assert args == {"title": "Quiz", "where": "online 20 extra words"}


def test_extra_words_are_not_lost() -> None:
    args = parse_args(spec("create"), "Quiz where=online capacity=20 extra words", reads_as_date)
    assert args["title"] == "Quiz extra words"


def test_unbalanced_quote_does_not_crash() -> None:
    args = parse_args(spec("remind"), 'pe 18.00 "Sauna', reads_as_date)
    assert args["when"] == "pe 18.00" and "Sauna" in args["text"]


def test_split_command_with_bot_mention() -> None:
    line = split_command("/event_list@humako_bot online")
    assert line.words == ["event_list"] and line.rest == "online" and line.bot_mention == "humako_bot"
