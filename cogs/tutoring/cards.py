"""The two live views of a request: the tutors' card (with Claim) and the student's status (with their place
in the queue). Every posted copy of either is kept current by `ctx.changed`."""

from __future__ import annotations

from bot.commands import Button, Reply
from bot.context import ServiceContext
from bot.i18n import Lines, ListOf, Text, _
from cogs.tutoring.common import cog, language_text, queries, topic_label, where_text
from cogs.tutoring.storage import Request

CARD = "tutoring_request"  # the tutors' card
STATUS = "tutoring_status"  # the student's own view of their request


async def name_of(ctx: ServiceContext, person_id: int | None) -> str:
    person = await ctx.people.get(person_id) if person_id is not None else None
    return person.display_name if person is not None else "?"


async def helpers_text(ctx: ServiceContext, request: Request) -> ListOf:
    return ListOf([await name_of(ctx, t) for t in request.tutors()])


def closed_text(request: Request) -> Text:
    if request.state == "resolved":
        return _("Resolved.")
    if request.state == "cancelled":
        return _("Cancelled by the student.")
    return _("Closed: the student did not answer.")


def details(ctx: ServiceContext, request: Request) -> Lines:
    return Lines(_("Topic: {topic}", topic=topic_label(request.topic)),
                 _("Language: {language}", language=language_text(request.language)),
                 _("Where: {where}", where=where_text(ctx, request)))


async def state_text(ctx: ServiceContext, request: Request) -> Text:
    if request.state == "open":
        return _("Waiting for a tutor.")
    if request.state == "claimed":
        return _("Claimed by {tutors}.", tutors=await helpers_text(ctx, request))
    return closed_text(request)


def claim_button(request: Request) -> Button:
    return Button(_("Claim"), cog.action_id("claim", request.id), style="primary")


async def render_card(ctx: ServiceContext, request: Request) -> Reply:
    answers = [f"{question} {answer}" for question, answer in request.answers]
    body = Lines(details(ctx, request), request.description or None, *answers, await state_text(ctx, request))
    buttons = [claim_button(request)] if request.state == "open" else []
    return Reply(body, title=_("Tutoring request #{id}", id=request.id), buttons=buttons)


async def render_status(ctx: ServiceContext, request: Request) -> Reply:
    title = _("Your tutoring request #{id}", id=request.id)
    if request.state == "open":
        place = await queries(ctx).place(request.id)
        state: Text = Lines(_("Waiting for a tutor."), _("Your place in the queue: {place}", place=place))
        buttons = [Button(_("Cancel the request"), cog.action_id("cancel", request.id), style="danger")]
    elif request.state == "claimed":
        state = _("{tutors} is helping you. Write to me here and your messages reach them.",
                  tutors=await helpers_text(ctx, request))
        buttons = [Button(_("Resolved"), cog.action_id("resolve", request.id), style="success"),
                   Button(_("Cancel the request"), cog.action_id("cancel", request.id), style="danger")]
    else:
        state, buttons = closed_text(request), []
    return Reply(Lines(details(ctx, request), state), title=title, buttons=buttons)


@cog.view(CARD)
async def card_view(ctx: ServiceContext, request_id: int) -> Reply | None:
    request = await queries(ctx).get(request_id)
    return None if request is None else await render_card(ctx, request)


@cog.view(STATUS)
async def status_view(ctx: ServiceContext, request_id: int) -> Reply | None:
    request = await queries(ctx).get(request_id)
    return None if request is None else await render_status(ctx, request)


async def refresh(ctx: ServiceContext, request_id: int, *, queue_moved: bool = False) -> None:
    """Re-render both views of the request; with `queue_moved`, the places of those queued behind it too."""
    await ctx.changed(CARD, request_id)
    await ctx.changed(STATUS, request_id)
    if queue_moved:
        for behind in await queries(ctx).open_after(request_id):
            await ctx.changed(STATUS, behind)
