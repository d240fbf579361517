"""RSVP buttons and the waiting list.

Rules: with a capacity, "going" beyond it joins the waiting list. When a place frees up (a cancel, a
larger capacity), the first on the list is offered it by DM with a button to take it within
`waitlist_offer_hours` (never past the start); an offer not taken passes to the next in line. An offered
place is held meanwhile, so nobody else can take it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import Button, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, When, _
from bot.scheduler import Due
from cogs.events.cards import ANSWERS
from cogs.events.common import cog, open_event, queries, settings, upcoming_start
from cogs.events.storage import HOLDS_PLACE, Event


def offer_key(event_id: int, person_id: int) -> str:
    # The closing ":" keeps an unschedule (a key prefix) of person 1's offer off person 10's.
    return f"ev:{event_id}:offer:{person_id}:"


async def schedule_offer_expiry(ctx: ServiceContext, event_id: int, person_id: int, expires: datetime) -> None:
    await ctx.schedule("ev_offer_expiry", expires, key=offer_key(event_id, person_id),
                       payload={"event": event_id, "person": person_id}, person_id=person_id)


async def fill_places(ctx: ServiceContext, event: Event) -> None:
    """Offer every free place to the waiting list, in order, and DM each person their offer."""
    if event.cancelled_at is not None or event.series_end_at <= ctx.now():
        return
    start = upcoming_start(ctx, event)
    expires = ctx.now() + timedelta(hours=float(settings(ctx)["waitlist_offer_hours"]))
    if start > ctx.now():
        expires = min(expires, start)  # an offer running past the start would be no use
    for person_id in await queries(ctx).offer_free_places(event.id, event.capacity, ctx.now(), expires):
        await schedule_offer_expiry(ctx, event.id, person_id, expires)
        await ctx.notify(person_id, Reply(
            Lines(_("A place freed up at {title} ({when}).", title=event.title, when=When(start)),
                  _("It is yours if you take it by {deadline}; after that it passes to the next in line.",
                    deadline=When(expires))),
            title=_("A place for you: {title}", title=event.title),
            buttons=[Button(_("Take the place"), cog.action_id("take", event.id), style="success")],
        ))


async def send_link(ctx: Context, event: Event) -> None:
    """The online link goes to those going, privately: it is never on a public card nor in the public .ics."""
    await ctx.notify(ctx.person.id, Reply(
        Lines(_("You're going to {title} ({when}).", title=event.title, when=When(upcoming_start(ctx, event))),
              _("Link: {link}", link=event.link)),
        title=_("Link: {title}", title=event.title)))


@cog.action("rsvp")
async def rsvp(ctx: Context, event_id: int, answer: str) -> Reply:
    if answer not in ANSWERS:
        raise UserError(_("This button no longer works."))
    event = await open_event(ctx, event_id)
    change = await queries(ctx).answer(event.id, ctx.person.id, answer, event.capacity, ctx.now())
    if change.before == "offered":
        await ctx.unschedule(offer_key(event.id, ctx.person.id))
    if change.before in HOLDS_PLACE and change.after not in HOLDS_PLACE:
        await fill_places(ctx, event)
    await ctx.changed("event", event.id)
    if change.after == "yes" and change.before != "yes" and event.link:
        await send_link(ctx, event)
    if change.after == "waiting":
        return Reply(notice=_("{title} is full: you're on the waiting list, place {place}.",
                              title=event.title, place=change.position))
    return Reply(notice={
        "yes": _("You're going to {title}.", title=event.title),
        "maybe": _("You're marked as maybe for {title}.", title=event.title),
        "no": _("You're marked as not going to {title}.", title=event.title),
    }[change.after])


@cog.action("take", owner_only=True)
async def take(ctx: Context, event_id: int) -> Reply:
    event = await open_event(ctx, event_id)
    if not await queries(ctx).take_offer(event.id, ctx.person.id, ctx.now()):
        raise UserError(_("This offer is no longer open."))
    await ctx.unschedule(offer_key(event.id, ctx.person.id))
    await ctx.changed("event", event.id)
    link = _("Link: {link}", link=event.link) if event.link else None
    return Reply(Lines(_("The place is yours: you're going to {title} ({when}).",
                         title=event.title, when=When(upcoming_start(ctx, event))), link),
                 edit=True, notice=_("You're going to {title}.", title=event.title))


@cog.task("ev_offer_expiry")
async def offer_expired(ctx: ServiceContext, due: Due) -> None:
    event = await queries(ctx).get(int(due.payload["event"]))
    if event is None:
        return
    person_id = int(due.payload["person"])
    # One transaction: the expiry, the offers to the next in line, their expiry rows and every message are stored
    # together or not at all. Cut short (the process killed), nothing of it stays, and the scheduler's run again
    # does all of it; otherwise the offer would be gone with nobody offered the place.
    async with ctx.db.transaction():
        if await queries(ctx).expire_offer(event.id, person_id, ctx.now()):
            await ctx.notify(person_id, Reply(_("The place at {title} was not taken in time, so it passed to the "
                                                "next in line.", title=event.title)))
            await fill_places(ctx, event)
    await ctx.changed("event", event.id)
