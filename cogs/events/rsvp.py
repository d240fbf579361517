"""RSVP buttons and the waiting list, per time of an event.

Rules: with a capacity, "going" beyond it joins the waiting list. When a place frees up (a cancel, a
larger capacity), the first on the list is offered it by DM with a button to take it within
`waitlist_offer_hours` (never past the start); an offer not taken passes to the next in line. An offered
place is held meanwhile, so nobody else can take it.

A repeating event with two or more times left asks, privately, which times a press is for: one of the next
few alone, or every time ("every week"). Everything above holds per time: an every-time "going" holds a place
in each time, and each time has its own waiting list (an every-time waiter is in each, in arrival order).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from bot.commands import Button, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, When, _
from bot.scheduler import Due
from cogs.events.attendees import answer_label
from cogs.events.cards import ANSWERS
from cogs.events.common import cog, open_event, queries, settings, upcoming_start
from cogs.events.recurrence import occurrences, remaining
from cogs.events.storage import EVERY, Counts, Event, Offer, RsvpChange
from cogs.events.times import (
    TIMES_OFFERED,
    asks_which,
    card_time,
    ended_times,
    every_label,
    every_words,
    is_series,
)


def offer_key(event_id: int, person_id: int, occurrence: int) -> str:
    # The closing ":" keeps an unschedule (a key prefix) of person 1's offer off person 10's.
    return f"{offers_of(event_id, person_id)}{occurrence}:"


def offers_of(event_id: int, person_id: int) -> str:
    """The key prefix of every offer of one person for one event."""
    return f"ev:{event_id}:offer:{person_id}:"


async def schedule_offer_expiry(ctx: ServiceContext, event_id: int, person_id: int, occurrence: int,
                                expires: datetime) -> None:
    await ctx.schedule("ev_offer_expiry", expires, key=offer_key(event_id, person_id, occurrence),
                       payload={"event": event_id, "person": person_id, "occurrence": occurrence},
                       person_id=person_id)


async def card_counts(ctx: ServiceContext, event: Event) -> Counts:
    return await queries(ctx).counts(event.id, card_time(ctx, event))


async def refresh_card(ctx: ServiceContext, event: Event, before: Counts) -> None:
    """The card counts its next time: an answer for another time leaves it as it is (no edit that changes
    nothing: Telegram refuses those)."""
    if await card_counts(ctx, event) != before:
        await ctx.changed("event", event.id)


def start_of(ctx: ServiceContext, event: Event, occurrence: int) -> datetime:
    """The start of one time; for an every-time answer, the next time's."""
    starts = occurrences(event)
    return starts[occurrence] if 0 <= occurrence < len(starts) else upcoming_start(ctx, event)


async def fill_places(ctx: ServiceContext, event: Event) -> None:
    """Offer every free place of every time left to its waiting list, in order; one DM per person offered."""
    if event.cancelled_at is not None or event.series_end_at <= ctx.now():
        return
    now = ctx.now()
    hours = timedelta(hours=float(settings(ctx)["waitlist_offer_hours"]))
    # An offer running past the start would be no use.
    expiries = {i: min(now + hours, start) if start > now else now + hours for i, start in remaining(event, now)}
    offers: dict[int, list[Offer]] = {}
    for offer in await queries(ctx).offer_free_places(event.id, event.capacity, now, expiries):
        offers.setdefault(offer.person_id, []).append(offer)
        await schedule_offer_expiry(ctx, event.id, offer.person_id, offer.occurrence, offer.expires)
    for person_id, theirs in offers.items():
        await ctx.notify(person_id, _offer_message(ctx, event, theirs))


def _offer_message(ctx: ServiceContext, event: Event, offers: list[Offer]) -> Reply:
    title = _("A place for you: {title}", title=event.title)
    if len(offers) == 1:
        offer = offers[0]
        start = start_of(ctx, event, offer.occurrence)
        every = _("The place is for every time, not only this one.") \
            if offer.occurrence == EVERY and is_series(event) else None
        return Reply(Lines(_("A place freed up at {title} ({when}).", title=event.title, when=When(start)), every,
                           _("It is yours if you take it by {deadline}; after that it passes to the next in line.",
                             deadline=When(offer.expires))),
                     title=title, buttons=[Button(_("Take the place"), cog.action_id("take_at", event.id,
                                                                                      offer.occurrence),
                                                  style="success")])
    lines: list[Text] = [_("Places freed up at {title} on these times:", title=event.title)]
    for offer in offers:
        lines.append(_("{when}: yours if you take it by {deadline}", when=When(start_of(ctx, event, offer.occurrence)),
                       deadline=When(offer.expires)))
    lines.append(_("Each one not taken in time passes to the next in line."))
    buttons = [Button(_("Take {when}", when=When(start_of(ctx, event, o.occurrence), "short")),
                      cog.action_id("take_at", event.id, o.occurrence), style="success") for o in offers]
    return Reply(Lines(*lines), title=title, buttons=[buttons[i:i + 3] for i in range(0, len(buttons), 3)])


async def send_link(ctx: Context, event: Event, start: datetime) -> None:
    """The online link goes to those going, privately: it is never on a public card nor in the public .ics."""
    await ctx.notify(ctx.person.id, Reply(
        Lines(_("You're going to {title} ({when}).", title=event.title, when=When(start)),
              _("Link: {link}", link=event.link)),
        title=_("Link: {title}", title=event.title)))


def _which_times(ctx: Context, event: Event, answer: str) -> Reply:
    """A press on a repeating event: for which times? The next few alone, or every time."""
    left = remaining(event, ctx.now())[:TIMES_OFFERED]
    alone = [Button(_("Only {when}", when=When(start, "short")), cog.action_id("rsvp_at", event.id, answer, i))
             for i, start in left]
    return Reply(_("{title} repeats. Is your answer ({answer}) for one time only, or for every time?",
                   title=event.title, answer=answer_label(answer)),
                 buttons=[alone, [Button(every_label(event), cog.action_id("rsvp_at", event.id, answer, EVERY),
                                         style="success" if answer == "yes" else "secondary")]],
                 private=True)


@cog.action("rsvp")
async def rsvp(ctx: Context, event_id: int, answer: str) -> Reply:
    """A card's (or a list line's) button: one tap for a single event, a question for a series."""
    if answer not in ANSWERS:
        raise UserError(_("This button no longer works."))
    event = await open_event(ctx, event_id)
    if asks_which(ctx, event):
        return _which_times(ctx, event, answer)
    return await record(ctx, event, answer, EVERY)


@cog.action("rsvp_at", owner_only=True)
async def rsvp_at(ctx: Context, event_id: int, answer: str, occurrence: int) -> Reply:
    """The answer to "which times?": one time (its index) or every time (-1)."""
    if answer not in ANSWERS:
        raise UserError(_("This button no longer works."))
    event = await open_event(ctx, event_id)
    if occurrence != EVERY and occurrence not in dict(remaining(event, ctx.now())):
        raise UserError(_("That time of {title} is over or cancelled.", title=event.title))
    reply = await record(ctx, event, answer, occurrence)
    return dataclasses.replace(reply, text=reply.notice or "", edit=True)


async def record(ctx: Context, event: Event, answer: str, occurrence: int) -> Reply:
    """Store an answer for one time, or for every time left (EVERY), and tell the person what it means."""
    left = remaining(event, ctx.now())
    if not left:
        raise UserError(_("{title} is already over.", title=event.title))
    every = occurrence == EVERY
    before = await card_counts(ctx, event)
    change = await queries(ctx).answer(
        event.id, ctx.person.id, answer, event.capacity, ctx.now(), times=[i for i, _ in left] if every
        else [occurrence], every=every, ended=ended_times(ctx, event) if every else ())
    for gone in change.unoffered:
        await ctx.unschedule(offer_key(event.id, ctx.person.id, gone))
    if change.freed:
        await fill_places(ctx, event)
    await refresh_card(ctx, event, before)
    starts = dict(left)
    if change.going_at and event.link:
        await send_link(ctx, event, starts[change.going_at[0]])
    return Reply(notice=_answered(event, answer, change, every, starts, occurrence))


def _answered(event: Event, answer: str, change: RsvpChange, every: bool, starts: dict[int, datetime],
              occurrence: int) -> Text:
    if not is_series(event):
        if change.after == "waiting":
            return _("{title} is full: you're on the waiting list, place {place}.", title=event.title,
                     place=change.position)
        return {"yes": _("You're going to {title}.", title=event.title),
                "maybe": _("You're marked as maybe for {title}.", title=event.title),
                "no": _("You're marked as not going to {title}.", title=event.title)}[change.after]
    if not every:
        when = When(starts[occurrence])
        if change.after == "waiting":
            return _("{title} is full on {when}: you're on the waiting list, place {place}.", title=event.title,
                     when=when, place=change.position)
        return {"yes": _("You're going to {title} on {when}.", title=event.title, when=when),
                "maybe": _("You're marked as maybe for {title} on {when}.", title=event.title, when=when),
                "no": _("You're marked as not going to {title} on {when}.", title=event.title, when=when),
                }[change.after]
    words = every_words(event)
    if answer != "yes":
        return {"maybe": _("You're marked as maybe for {title} {every}.", title=event.title, every=words),
                "no": _("You're marked as not going to any time of {title}.", title=event.title)}[answer]
    if len(change.waiting_at) == len(starts):
        return _("{title} is full: you're on the waiting list {every}; for {when} you're in place {place}.",
                 title=event.title, every=words, when=When(starts[change.waiting_at[0]]), place=change.position)
    full = Lines(*(When(starts[i], "short") for i in change.waiting_at), sep=", ")
    return Lines(_("You're going to {title} {every}.", title=event.title, every=words),
                 _("Full on {times}: you're on the waiting list for those.", times=full)
                 if change.waiting_at else None)


@cog.action("take", owner_only=True)
async def take(ctx: Context, event_id: int) -> Reply:
    """An offer made before offers named their time: it was for every time."""
    return await take_at(ctx, event_id, EVERY)


@cog.action("take_at", owner_only=True)
async def take_at(ctx: Context, event_id: int, occurrence: int) -> Reply:
    event = await open_event(ctx, event_id)
    before = await card_counts(ctx, event)
    if not await queries(ctx).take_offer(event.id, ctx.person.id, occurrence, ctx.now()):
        raise UserError(_("This offer is no longer open."))
    await ctx.unschedule(offer_key(event.id, ctx.person.id, occurrence))
    await refresh_card(ctx, event, before)
    link = _("Link: {link}", link=event.link) if event.link else None
    every = _("The place is yours {every}.", every=every_words(event)) \
        if occurrence == EVERY and is_series(event) else None
    return Reply(Lines(_("The place is yours: you're going to {title} ({when}).",
                         title=event.title, when=When(start_of(ctx, event, occurrence))), every, link),
                 edit=True, notice=_("You're going to {title}.", title=event.title))


@cog.task("ev_offer_expiry")
async def offer_expired(ctx: ServiceContext, due: Due) -> None:
    event = await queries(ctx).get(int(due.payload["event"]))
    if event is None:
        return
    person_id = int(due.payload["person"])
    occurrence = int(due.payload.get("occurrence", EVERY))  # an offer from before offers named their time
    before = await card_counts(ctx, event)
    # One transaction: the expiry, the offers to the next in line, their expiry rows and every message are stored
    # together or not at all. Cut short (the process killed), nothing of it stays, and the scheduler's run again
    # does all of it; otherwise the offer would be gone with nobody offered the place.
    async with ctx.db.transaction():
        if await queries(ctx).expire_offer(event.id, person_id, occurrence, ctx.now()):
            text = _("The place at {title} was not taken in time, so it passed to the next in line.",
                     title=event.title) if occurrence == EVERY or not is_series(event) else \
                _("The place at {title} on {when} was not taken in time, so it passed to the next in line.",
                  title=event.title, when=When(start_of(ctx, event, occurrence)))
            await ctx.notify(person_id, Reply(text))
            await fill_places(ctx, event)
    await refresh_card(ctx, event, before)
