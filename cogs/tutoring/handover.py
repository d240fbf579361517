"""A tutor hands a request on: back to the queue, to another tutor (who must accept), or shares it with a
second tutor."""

from __future__ import annotations

from typing import Annotated

from bot.commands import Button, Param, PersonRef, Reply, UserError
from bot.context import Context
from bot.conversations import Member
from bot.i18n import _
from cogs.tutoring import schedule
from cogs.tutoring.cards import name_of, refresh
from cogs.tutoring.common import REQUEST, TUTORS, check_helper, check_open, cog, get_request, queries

TUTOR = Param(_("Tutor"), question=_("Which tutor takes it over?"), names={"fi": "tutor"}, example="Olli")


async def release_as(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    check_open(request)
    check_helper(ctx, request)
    if request.second_id is not None:
        raise UserError(_("Request #{id} has two tutors: one of you can simply stay.", id=request_id))
    if not await queries(ctx).release(request_id, ctx.person.id):
        raise UserError(_("You are not a tutor of request #{id}.", id=request_id))
    await ctx.unschedule(schedule.key(request_id, ""))
    if request.conversation_id is not None:
        await ctx.remove_from_conversation(request.conversation_id, Member.person(ctx.person.id))
    await schedule.unclaimed(ctx, request_id, ctx.now())
    await ctx.post(request.destination, shows=("tutoring_request", request_id))
    await refresh(ctx, request_id, queue_moved=True)  # back at its first place: those behind it move down
    return Reply(_("Request #{id} is back in the queue.", id=request_id), private=True)


@cog.command(_("Put a request back in the queue"), roles=TUTORS)
async def release(ctx: Context, request: Annotated[int, REQUEST]) -> Reply:
    return await release_as(ctx, request)


@cog.action("release", roles=TUTORS)
async def release_button(ctx: Context, request_id: int) -> Reply:
    return await release_as(ctx, request_id)


@cog.command(_("Hand a request over to another tutor"), roles=TUTORS)
async def transfer(ctx: Context, request: Annotated[int, REQUEST], to: Annotated[PersonRef, TUTOR]) -> Reply:
    found = await get_request(ctx, request)
    check_open(found)
    if found.tutor_id != ctx.person.id:
        raise UserError(_("Only the tutor who claimed request #{id} can hand it over.", id=request))
    person_id: int = to.id  # type: ignore[attr-defined]
    if person_id in (ctx.person.id, found.student_id):
        raise UserError(_("Hand it over to another tutor."))
    if not await queries(ctx).offer(request, ctx.person.id, person_id):
        raise UserError(_("You are not a tutor of request #{id}.", id=request))
    await ctx.notify(person_id, Reply(
        _("{tutor} asks you to take over tutoring request #{id}.", tutor=ctx.person.display_name, id=request),
        buttons=[Button(_("Accept"), cog.action_id("accept", request), style="success"),
                 Button(_("Decline"), cog.action_id("decline", request))]))
    return Reply(_("Asked {tutor} to take over request #{id}.", tutor=await name_of(ctx, person_id), id=request),
                 private=True)


@cog.action("transfer", roles=TUTORS)
async def transfer_button(ctx: Context, request_id: int) -> Reply:
    return await ctx.ask(transfer, {"request": request_id})


@cog.action("accept", roles=TUTORS, owner_only=True)
async def accept(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    check_open(request)
    await queries(ctx).seen(ctx.person.id)
    old = await queries(ctx).accept(request_id, ctx.person.id)
    if old is None:
        raise UserError(_("That handover is no longer open."))
    if request.conversation_id is not None:
        if request.second_id == ctx.person.id:  # the second tutor takes the lead: already in the room
            await ctx.remove_from_conversation(request.conversation_id, Member.person(old))
        else:
            await ctx.transfer_conversation(
                request.conversation_id, Member.person(old), Member.person(ctx.person.id),
                welcome=Reply(_("{tutor} takes over request #{id}.", tutor=ctx.person.display_name, id=request_id)))
    await schedule.waiting_on_tutor(ctx, request_id)
    await ctx.notify(old, Reply(_("{tutor} took over request #{id}.", tutor=ctx.person.display_name, id=request_id)))
    await refresh(ctx, request_id)
    return Reply(_("You took over request #{id}.", id=request_id), edit=True)


@cog.action("decline", owner_only=True)
async def decline(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    if not await queries(ctx).decline(request_id, ctx.person.id):
        raise UserError(_("That handover is no longer open."))
    if request.tutor_id is not None:
        await ctx.notify(request.tutor_id, Reply(_("{tutor} declined to take over request #{id}.",
                                                   tutor=ctx.person.display_name, id=request_id)))
    return Reply(_("Declined."), edit=True)


@cog.command(_("Add a second tutor to a request"), name="add", roles=TUTORS)
async def add_tutor(ctx: Context, request: Annotated[int, REQUEST], tutor: Annotated[PersonRef, TUTOR]) -> Reply:
    found = await get_request(ctx, request)
    check_open(found)
    check_helper(ctx, found)
    person_id: int = tutor.id  # type: ignore[attr-defined]
    if not await queries(ctx).add_second(request, person_id):
        raise UserError(_("Request #{id} cannot take {tutor} as a second tutor.", id=request,
                          tutor=await name_of(ctx, person_id)))
    await queries(ctx).seen(person_id)
    if found.conversation_id is not None:
        await ctx.add_to_conversation(found.conversation_id, Member.person(person_id), welcome=Reply(
            _("{tutor} joins request #{id} as a second tutor.", tutor=await name_of(ctx, person_id), id=request)))
    await refresh(ctx, request)
    return Reply(_("{tutor} is now a second tutor of request #{id}.", tutor=await name_of(ctx, person_id),
                   id=request), private=True)


@cog.action("add", roles=TUTORS)
async def add_button(ctx: Context, request_id: int) -> Reply:
    return await ctx.ask(add_tutor, {"request": request_id})
