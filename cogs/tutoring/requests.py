"""A request's life: asked, claimed (a conversation opens), closed as resolved or cancelled, rated."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated

from bot.commands import Button, File, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.conversations import Member
from bot.i18n import Lines, _
from bot.scheduler import Due
from bot.timefmt import format_when
from cogs.tutoring import schedule
from cogs.tutoring.cards import CARD, STATUS, name_of, refresh, render_status
from cogs.tutoring.common import (
    LANGUAGE_CHOICES,
    MAX_QUESTIONS,
    ONLINE,
    REQUEST,
    TUTORS,
    check_open,
    check_student,
    cog,
    destination_for,
    get_request,
    queries,
    questions_for,
    settings,
    topic_choices,
    where_choices,
)
from cogs.tutoring.storage import Request

KIND = "tutoring"  # the conversation kind this cog handles


TOPIC = Param(_("Topic"), question=_("Which topic is it about?"), choices=topic_choices, names={"fi": "aihe"})
LANGUAGE = Param(_("Language"),
                 question=_("In which language would you like help?"), choices=LANGUAGE_CHOICES, names={"fi": "kieli"})
WHERE = Param(_("Campus or online"),
              question=_("Where would you like to meet: on a campus or online?"),
              choices=where_choices, names={"fi": "paikka"})
DESCRIPTION = Param(_("What do you need help with?"),
                    question=_("What do you need help with?"), max_len=1000, long=True, names={"fi": "kuvaus"},
                    example='"How do I plan my first year?"')


def answer(n: int) -> Param:
    return Param(_("Your answer"),
                 question=_("What is your answer?"), max_len=500, long=True, names={"fi": f"vastaus{n}"})


@cog.command(_("Ask a tutor for help"))
async def request(ctx: Context, topic: Annotated[str, TOPIC], language: Annotated[str, LANGUAGE],
                  where: Annotated[str, WHERE], description: Annotated[str, DESCRIPTION]) -> Reply:
    questions = questions_for(ctx, topic)
    if not questions:
        return await create(ctx, topic, language, where, description, [])
    # The topic's own questions: asked as a form (each may be skipped), then the request is made.
    names = [f"answer{n}" for n in range(1, MAX_QUESTIONS + 1)]
    given = {"topic": topic, "language": language, "where": where, "description": description}
    return await ctx.form(intake, {**given, **{name: None for name in names[len(questions):]}},
                          labels=dict(zip(names, questions, strict=False)))


@cog.form(_("A few questions about your request"))
async def intake(ctx: Context, topic: Annotated[str, TOPIC], language: Annotated[str, LANGUAGE],
                 where: Annotated[str, WHERE], description: Annotated[str, DESCRIPTION],
                 answer1: Annotated[str | None, answer(1)] = None, answer2: Annotated[str | None, answer(2)] = None,
                 answer3: Annotated[str | None, answer(3)] = None) -> Reply:
    questions = questions_for(ctx, topic)
    answers = [(q, a.strip()) for q, a in zip(questions, (answer1, answer2, answer3), strict=False) if a]
    return await create(ctx, topic, language, where, description, answers)


async def create(ctx: Context, topic: str, language: str, where: str, description: str,
                 answers: list[tuple[str, str]]) -> Reply:
    campus = None if where == ONLINE else where
    destination = destination_for(ctx, campus)
    async with ctx.db.transaction():
        request_id = await queries(ctx).create(ctx.person.id, topic, language, campus, description.strip(), answers,
                                               destination, ctx.now())
        await schedule.unclaimed(ctx, request_id, ctx.now())
    await ctx.post(destination, shows=(CARD, request_id))
    status = await render_status(ctx, await get_request(ctx, request_id))
    return dataclasses.replace(status, shows=(STATUS, request_id), private=True)


@cog.action("claim", roles=TUTORS)
async def claim(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    check_open(request)
    if request.student_id == ctx.person.id:
        raise UserError(_("You cannot claim your own request."))
    await queries(ctx).seen(ctx.person.id)
    if not await queries(ctx).claim(request_id, ctx.person.id, ctx.now()):
        holder = await get_request(ctx, request_id)
        return Reply(_("Request #{id} was already claimed by {tutor}.", id=request_id,
                       tutor=await name_of(ctx, holder.tutor_id)), private=True)
    await ctx.unschedule(schedule.key(request_id, "unclaimed"))
    await schedule.waiting_on_tutor(ctx, request_id)
    title = _("Tutoring request #{id}", id=request_id)
    members = [Member.person(request.student_id)] if request.student_id is not None else []
    conversation_id = request.conversation_id
    if conversation_id is None:
        conversation_id = await ctx.open_conversation(
            KIND, title, [*members, Member.person(ctx.person.id)], host=request.destination,
            first=Reply(_("{tutor} is helping you with request #{id}. Write here: your messages reach each other.",
                          tutor=ctx.person.display_name, id=request_id)))
        await queries(ctx).set_conversation(request_id, conversation_id)
    else:  # released earlier: the same room, with the new tutor in it
        await ctx.add_to_conversation(conversation_id, Member.person(ctx.person.id), welcome=Reply(
            _("{tutor} is helping you with request #{id} now.", tutor=ctx.person.display_name, id=request_id)))
    await refresh(ctx, request_id, queue_moved=True)
    return Reply(_("You claimed request #{id}. Write to the student in the conversation.", id=request_id),
                 buttons=tutor_buttons(request_id), private=True)


def tutor_buttons(request_id: int) -> list[Button]:
    return [Button(_("Release"), cog.action_id("release", request_id)),
            Button(_("Transfer"), cog.action_id("transfer", request_id)),
            Button(_("Add a tutor"), cog.action_id("add", request_id)),
            Button(_("Resolved"), cog.action_id("resolve", request_id), style="success")]


async def close(ctx: ServiceContext, request: Request, state: str, by: str) -> bool:
    """Closed (resolved, cancelled or expired): timers off, conversation closed, views updated, people told."""
    if not await queries(ctx).close(request.id, state, by, ctx.now()):
        return False
    await ctx.unschedule(schedule.key(request.id, ""))
    if request.conversation_id is not None:  # claimed, or released with the student still in it
        await ctx.close_conversation(request.conversation_id)
    await refresh(ctx, request.id, queue_moved=request.state == "open")
    days = int(settings(ctx)["transcript_days"])
    await ctx.schedule(schedule.PURGE, ctx.now() + timedelta(days=days), key=schedule.key(request.id, "purge"),
                       payload={"request": request.id})
    transcript = [Button(_("Transcript"), cog.action_id("transcript", request.id))] \
        if request.conversation_id is not None else []
    student = request.student_id
    if student is not None and state == "resolved":
        stars = [Button("★" * n, cog.action_id("rate", request.id, n)) for n in range(1, 6)]
        await ctx.notify(student, Reply(_("Request #{id} is resolved. How well did the tutoring help you (1-5)?",
                                          id=request.id), buttons=[row for row in (stars, transcript) if row]))
    elif student is not None and by != "student":
        await ctx.notify(student, Reply(_("Request #{id} was closed.", id=request.id), buttons=transcript))
    for tutor in request.tutors():
        await ctx.notify(tutor, Reply(_("Request #{id} was closed.", id=request.id), buttons=transcript),
                         urgent=False)
    return True


async def resolve_as(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    check_open(request)
    if ctx.person.id in request.tutors():
        by = "tutor"
    elif request.student_id == ctx.person.id:
        by = "student"
        if request.state == "open":
            raise UserError(_("Request #{id} has no tutor yet: cancel it instead.", id=request_id))
    else:
        raise UserError(_("Only the student or a tutor of request #{id} can close it.", id=request_id))
    if request.state != "claimed":
        raise UserError(_("Request #{id} has no tutor yet.", id=request_id))
    await close(ctx, request, "resolved", by)
    return Reply(_("Request #{id} is resolved.", id=request_id), private=True)


async def cancel_as(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    check_open(request)
    check_student(ctx, request)
    await close(ctx, request, "cancelled", "student")
    return Reply(_("Request #{id} was cancelled.", id=request_id), private=True)


@cog.command(_("Close a request as resolved"))
async def resolve(ctx: Context, request: Annotated[int, REQUEST]) -> Reply:
    return await resolve_as(ctx, request)


@cog.action("resolve")
async def resolve_button(ctx: Context, request_id: int) -> Reply:
    return await resolve_as(ctx, request_id)


@cog.command(_("Cancel your request"))
async def cancel(ctx: Context, request: Annotated[int, REQUEST]) -> Reply:
    return await cancel_as(ctx, request)


@cog.action("cancel")
async def cancel_button(ctx: Context, request_id: int) -> Reply:
    return await cancel_as(ctx, request_id)


STARS = Param(_("Stars (1-5)"),
              question=_("How many stars do you give (1–5)?"), min=1, max=5, names={"fi": "tähdet"}, example="5")
COMMENT = Param(_("Comment"),
                question=_("What would you like to add?"),
                max_len=1000, long=True, names={"fi": "kommentti"}, example='"Very helpful"')


async def rate_as(ctx: Context, request_id: int, stars: int, comment: str | None) -> Reply:
    request = await get_request(ctx, request_id)
    check_student(ctx, request)
    if request.state != "resolved":
        raise UserError(_("Only a resolved request can be rated."))
    if request.rating is not None:
        raise UserError(_("You have already rated request #{id}.", id=request_id))
    if not await queries(ctx).rate(request_id, ctx.person.id, stars):
        raise UserError(_("You have already rated request #{id}.", id=request_id))
    if comment:
        await queries(ctx).comment(request_id, ctx.person.id, comment.strip())
        return Reply(_("Thank you for the rating and the comment."), private=True)
    return Reply(_("Thank you for the rating."), private=True,
                 buttons=[Button(_("Add a comment"), cog.action_id("comment", request_id))])


@cog.command(_("Rate the help you got"))
async def rate(ctx: Context, request: Annotated[int, REQUEST], stars: Annotated[int, STARS],
               comment: Annotated[str | None, COMMENT] = None) -> Reply:
    return await rate_as(ctx, request, stars, comment)


@cog.action("rate", owner_only=True)
async def rate_button(ctx: Context, request_id: int, stars: int) -> Reply:
    if not 1 <= stars <= 5:
        raise UserError(_("A rating is 1 to 5 stars."))
    return await rate_as(ctx, request_id, stars, None)


@cog.command(_("Add a comment to your rating"))
async def comment(ctx: Context, request: Annotated[int, REQUEST], text: Annotated[str, COMMENT]) -> Reply:
    found = await get_request(ctx, request)
    check_student(ctx, found)
    if found.rating is None:
        raise UserError(_("Rate request #{id} first.", id=request))
    if not await queries(ctx).comment(request, ctx.person.id, text.strip()):
        raise UserError(_("You have already commented on request #{id}.", id=request))
    return Reply(_("Thank you for the comment."), private=True)


@cog.action("comment", owner_only=True)
async def comment_button(ctx: Context, request_id: int) -> Reply:
    return await ctx.ask(comment, {"request": request_id})


async def transcript_as(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    if ctx.person.id != request.student_id and ctx.person.id not in request.tutors():
        raise UserError(_("Only the student and the tutors of request #{id} can read its transcript.", id=request_id))
    said = await queries(ctx).transcript(request_id)
    if not said:
        return Reply(_("Nothing was written in request #{id}.", id=request_id), private=True)
    lines = [f"{format_when(at, ctx.language, ctx.config.tz, style='short')} {author or '-'}: {text}"
             for at, author, text in said]
    data = "\n".join(lines).encode()
    return Reply(Lines(_("The transcript of request #{id}.", id=request_id)), private=True,
                 files=[File(f"tutoring-{request_id}.txt", data, "text/plain")])


@cog.command(_("Get the transcript of a request"))
async def transcript(ctx: Context, request: Annotated[int, REQUEST]) -> Reply:
    return await transcript_as(ctx, request)


@cog.action("transcript")
async def transcript_button(ctx: Context, request_id: int) -> Reply:
    return await transcript_as(ctx, request_id)


@cog.task(schedule.STUDENT)
async def on_student_silent(ctx: ServiceContext, due: Due) -> None:
    """Waiting on the student: asked first, then the request closes itself."""
    request = await queries(ctx).get(int(due.payload["request"]))
    if request is None or request.state != "claimed" or request.student_id is None:
        return
    if due.payload["stage"] == 1:
        await ctx.notify(request.student_id, Reply(
            _("Your tutor is waiting for your answer on request #{id}. Do you still need help?", id=request.id),
            buttons=[Button(_("I still need help"), cog.action_id("still", request.id), style="primary"),
                     Button(_("Resolved"), cog.action_id("resolve", request.id), style="success")]))
        await schedule.waiting_on_student(ctx, request.id, stage=2)
        return
    if await close(ctx, request, "expired", "bot"):
        for person in [request.student_id, *request.tutors()]:
            await ctx.notify(person, Reply(_("Request #{id} closed itself: the student did not answer.",
                                             id=request.id)), urgent=False)


@cog.action("still")
async def still(ctx: Context, request_id: int) -> Reply:
    request = await get_request(ctx, request_id)
    check_open(request)
    check_student(ctx, request)
    if request.conversation_id is not None:
        await ctx.post_to_conversation(request.conversation_id, Reply(_("The student still needs help.")))
    await schedule.waiting_on_tutor(ctx, request_id)
    return Reply(_("Your tutor was told."), private=True)
