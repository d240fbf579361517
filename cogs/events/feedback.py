"""Feedback after an event: a DM to those who went with 1-5 buttons, then an optional comment; and
/event feedback for organisers and the board (one event, or a summary over a period).

Online events are to be developed from participants' feedback (the action plan). A series asks once, after
its last time, everyone who went to at least one time (one question at the end, not a DM a week); where the
organiser chose feedback=each, every time asks those who went to it. The summary shows each event's average,
count and comments, and per time for an event that asks every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from bot.commands import Button, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, When, _, ngettext
from bot.scheduler import Due
from bot.timefmt import format_number
from cogs.events.common import cog, get_event, queries, suggest_any
from cogs.events.recurrence import duration, occurrences, occurrences_between
from cogs.events.storage import EVERY, Event, Rated
from cogs.events.times import ended_times, feedback_after, once_per_series

RATINGS = range(1, 6)


@dataclass(frozen=True)
class Average:
    """A mean rating with one decimal, in the reader's number format ("4,3" / "4.3")."""

    value: float

    def render(self, language: str) -> str:
        return format_number(round(self.value, 1), language)


async def went(ctx: ServiceContext, event: Event, occurrence: int) -> list[int]:
    """Who went to one time (going then, by an answer given before its end), or for EVERY to any time over."""
    times = ended_times(ctx, event)
    if occurrence != EVERY:
        times = [(i, end) for i, end in times if i == occurrence]
    people: dict[int, None] = {}
    for index, end in times:
        people.update(dict.fromkeys(await queries(ctx).people(event.id, ("yes",), index, answered_by=end)))
    return list(people)


@cog.task("ev_feedback")
async def ask_feedback(ctx: ServiceContext, due: Due) -> None:
    event = await queries(ctx).get(int(due.payload["event"]))
    if event is None or event.cancelled_at is not None:
        return
    occurrence = int(due.payload["occurrence"])
    if occurrence not in feedback_after(event):  # planned per time before a series asked once, or moved since
        return
    if once_per_series(event):
        occurrence = EVERY
    buttons = [Button(str(n), cog.action_id("rate", event.id, occurrence, n)) for n in RATINGS]
    ask = _("How was it? Rate it from 1 (poor) to 5 (excellent). Your answer helps the organisers "
            "develop their events.")
    whole = _("This is about the whole series: every time you went to.") if occurrence == EVERY else None
    reply = Reply(Lines(ask, whole), title=_("Feedback: {title}", title=event.title), buttons=buttons)
    await ctx.notify_many(await went(ctx, event, occurrence), reply, urgent=False)


@cog.action("rate", owner_only=True)
async def rate(ctx: Context, event_id: int, occurrence: int, rating: int) -> Reply:
    event = await get_event(ctx, event_id)
    starts = occurrences(event)
    whole = occurrence == EVERY and once_per_series(event)
    if rating not in RATINGS or not (0 <= occurrence < len(starts) or whole):
        raise UserError(_("This button no longer works."))
    # Only a time that has happened can be rated (the request comes after it; a forged press may not); the whole
    # series once its last time has.
    ended_at = (starts[occurrence] + duration(event.starts_at, event.ends_at)) if occurrence != EVERY \
        else event.series_end_at
    if event.cancelled_at is not None and event.cancelled_at < ended_at:
        raise UserError(_("{title} has been cancelled.", title=event.title))
    if ended_at > ctx.now():
        raise UserError(_("You can rate {title} once it has taken place.", title=event.title))
    if ctx.person.id not in await went(ctx, event, occurrence):
        raise UserError(_("Only those who went can rate {title}.", title=event.title))
    await queries(ctx).rate(event.id, occurrence, ctx.person.id, rating, ctx.now())
    return Reply(_("Thank you! You rated {title} {rating}/5. You can add a comment too.",
                   title=event.title, rating=rating),
                 buttons=[Button(_("Add a comment"), cog.action_id("comment", event.id), style="primary")],
                 edit=True, notice=_("Thank you!"))


@cog.action("comment", owner_only=True)
async def comment_button(ctx: Context, event_id: int) -> Reply:
    return await ctx.ask(comment, {"event": event_id})


@cog.command(_("Add a comment to your rating of an event"), private=True)
async def comment(
    ctx: Context,
    event: Annotated[int, Param(_("Event"), question=_("Which event is your comment about?"), suggest=suggest_any)],
    text: Annotated[str, Param(_("Your comment"), question=_("What would you like to say?"), max_len=2000, long=True)],
) -> Reply:
    found = await get_event(ctx, event)
    if not await queries(ctx).comment(found.id, ctx.person.id, text):
        raise UserError(_("Rate {title} first, with the buttons in my message.", title=found.title))
    return Reply(_("Thank you: your comment on {title} was saved.", title=found.title), private=True)


async def _per_time(ctx: Context, event: Event) -> list[Text]:
    """An event that asks after every time: each time's average too."""
    if not event.repeat_weeks:
        return []
    starts = occurrences(event)
    return [_("{when}: {average}/5 {ratings}", when=When(starts[i], "short"), average=Average(mean),
              ratings=_ratings(count))
            for i, mean, count in await queries(ctx).feedback_times(event.id) if 0 <= i < len(starts)]


def _ratings(count: int) -> Text:
    # TRANSLATORS: follows an average such as "4/5"; Finnish reads "4/5, 2 arviota".
    return ngettext("from {count} rating", "from {count} ratings", count)


def _rated_line(rated: Rated) -> Text:
    return _("{title} (#{id}): {average}/5 {ratings}", title=rated.title, id=rated.event_id,
             average=Average(rated.rating), ratings=_ratings(rated.count))


@cog.command(_("Feedback on an event, or a summary over a period"), roles={"organiser", "board"})
async def feedback(
    ctx: Context,
    event: Annotated[int | None, Param(_("Event"),
                                       question=_("Which event's feedback would you like to see?"),
                                       suggest=suggest_any)] = None,
    days: Annotated[int | None, Param(_("Summary of the last N days"),
                                      question=_("How many days back?"), min=1, max=3660)] = None,
) -> Reply:
    q = queries(ctx)
    if event is not None:
        found = await get_event(ctx, event)
        rated = await q.feedback([found.id])
        if not rated:
            return Reply(_("No feedback on {title} yet.", title=found.title), private=True)
        comments: list[Text] = [f"– {c}" for c in rated[0].comments] or [_("No comments.")]
        return Reply(Lines(_rated_line(rated[0]), *await _per_time(ctx, found), _("Comments:"), *comments),
                     title=_("Feedback: {title}", title=found.title), private=True)
    period = timedelta(days=days or 30)
    since, now = ctx.now() - period, ctx.now()
    held = [e for e in await q.started_between(since, now) if occurrences_between(e, since, now)]
    rated = await q.feedback([e.id for e in held])
    heading = _("Feedback since {since}", since=When(since, "date"))
    if not rated:
        return Reply(_("No feedback in this period."), title=heading, private=True)
    total = sum(r.count for r in rated)
    overall = sum(r.rating * r.count for r in rated) / total
    lines: list[Text] = [_rated_line(r) for r in rated]
    # TRANSLATORS: "on 2 events" after "from 5 ratings"; Finnish reads "5 arviota 2 tapahtumasta".
    events = ngettext("on {count} event", "on {count} events", len(rated))
    lines.append(_("All together: {average}/5 {ratings} {events}.", average=Average(overall),
                   ratings=_ratings(total), events=events))
    commented = sum(len(r.comments) for r in rated)
    if commented:
        lines.append(ngettext("{count} comment: /event feedback event:<id> shows it.",
                              "{count} comments: /event feedback event:<id> shows them.", commented))
    return Reply(Lines(*lines), title=heading, private=True)
