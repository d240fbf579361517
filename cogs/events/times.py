"""The times of a recurring event as people answer to them: one time alone, or every time ("every week").

A series stores one answer per person for every time and, beside it, answers for single times that override it
(cogs/events/storage.py, migration 0007). These helpers turn a person's stored answers into what holds for each
time left, and name "every week" / "every time" by the series' frequency.
"""

from __future__ import annotations

from datetime import datetime

from bot.context import ServiceContext
from bot.i18n import Msg, _
from cogs.events.common import queries
from cogs.events.recurrence import duration, next_occurrence, occurrences, remaining
from cogs.events.storage import EVERY, Answer, Event, effective

# How many single times a repeating event's "which times?" question offers as buttons (the soonest first).
TIMES_OFFERED = 3


def is_series(event: Event) -> bool:
    return bool(event.repeat_weeks)


def every_label(event: Event) -> Msg:
    """The button: "Every week" for a weekly series, "Every time" for any other frequency."""
    return _("Every week") if event.repeat_weeks == 1 else _("Every time")


def every_words(event: Event) -> Msg:
    """The same inside a sentence ("You're going to Quiz every week.")."""
    return _("every week") if event.repeat_weeks == 1 else _("every time")


def asks_which(ctx: ServiceContext, event: Event) -> bool:
    """A press on a series with two or more times left asks which times it is for; else one tap is enough."""
    return is_series(event) and len(remaining(event, ctx.now())) >= 2


def held_times(event: Event) -> list[tuple[int, datetime]]:
    """(index, start) of every time not cancelled alone."""
    return [(i, start) for i, start in enumerate(occurrences(event)) if start not in event.skipped]


def once_per_series(event: Event) -> bool:
    """A series asks for feedback once, after its last time, unless its organiser asked after every time."""
    return is_series(event) and not event.feedback_each


def feedback_after(event: Event) -> set[int]:
    """The times after which feedback is asked (a series always has a last time: until= is required)."""
    held = [i for i, _start in held_times(event)]
    return set(held[-1:]) if once_per_series(event) else set(held)


def card_time(ctx: ServiceContext, event: Event) -> int:
    """The time a card's counts are about: the next one, or the last one once all are over."""
    found = next_occurrence(event, ctx.now())
    if found is not None:
        return found[0]
    held = held_times(event)
    return held[-1][0] if held else 0


def ended_times(ctx: ServiceContext, event: Event) -> list[tuple[int, datetime]]:
    """(index, end) of the times over and not cancelled alone."""
    length = duration(event.starts_at, event.ends_at)
    return [(i, s + length) for i, s in held_times(event) if s + length <= ctx.now()]


def my_times(ctx: ServiceContext, event: Event, answers: dict[int, Answer],
             wanted: tuple[str, ...] = ("yes", "waiting", "offered")) -> list[tuple[int, datetime, str]]:
    """(index, start, answer) of each time left whose answer, for this person, is one of `wanted`."""
    found = []
    for index, start in remaining(event, ctx.now()):
        answer = effective(answers, index)
        if answer is not None and answer.answer in wanted:
            found.append((index, start, answer.answer))
    return found


def going_every_time(ctx: ServiceContext, event: Event, answers: dict[int, Answer]) -> bool:
    """Going every time left through the every-time answer (what /event mine shows as one line)."""
    series = answers.get(EVERY)
    left = remaining(event, ctx.now())
    return is_series(event) and series is not None and series.answer == "yes" and \
        len(my_times(ctx, event, answers, ("yes",))) == len(left)


def going_indexes(event: Event, answers: dict[int, Answer]) -> set[int]:
    """Every time (past ones too) the person's answer is "going": their own calendar holds just these."""
    return {i for i in range(len(occurrences(event)))
            if (answer := effective(answers, i)) is not None and answer.answer == "yes"}


async def going_events(ctx: ServiceContext, person_id: int) -> list[tuple[Event, set[int]]]:
    """Upcoming events the person is going to at some time left, with the times (indexes) they are going to."""
    found = []
    for event, answers in await queries(ctx).mine(person_id, ctx.now()):
        if my_times(ctx, event, answers, ("yes",)):
            found.append((event, going_indexes(event, answers)))
    return found
