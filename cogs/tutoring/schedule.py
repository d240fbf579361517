"""Nothing waits unseen: timers on unclaimed requests, on silent tutors and on silent students.

- Unclaimed `reannounce_hours` (counted within tutors' hours): the card is posted again and every tutor who
  is not away gets it in a direct message; `coordinator_hours` after the request: the coordinator is told.
- Claimed and waiting on the tutor (after the claim, or a student's message) for `tutor_silent_hours` (within
  tutors' hours): the tutor is reminded (quiet hours respected; an away tutor is skipped), then the
  coordinator is told.
- Waiting on the student (after a tutor's message) for `student_silent_hours`: the student is asked; then
  `student_close_hours` later the request closes itself with a notice.
Each message cancels the other side's timer. Keys: `tut:<id>:<what>:<stage>`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands import Reply
from bot.context import ServiceContext
from bot.i18n import _
from bot.scheduler import Due
from cogs.tutoring.cards import CARD, render_card
from cogs.tutoring.common import cog, queries, settings, within_hours

UNCLAIMED, TUTOR, STUDENT, PURGE = "tut_unclaimed", "tut_tutor", "tut_student", "tut_purge"


def key(request_id: int, what: str) -> str:
    return f"tut:{request_id}:{what}"


async def unclaimed(ctx: ServiceContext, request_id: int, since: datetime, stage: int = 1) -> None:
    hours = settings(ctx)["reannounce_hours" if stage == 1 else "coordinator_hours"]
    await ctx.schedule(UNCLAIMED, within_hours(ctx, since, hours), key=key(request_id, f"unclaimed:{stage}"),
                       payload={"request": request_id, "stage": stage, "since": since.isoformat()})


async def waiting_on_tutor(ctx: ServiceContext, request_id: int, stage: int = 1) -> None:
    await ctx.unschedule(key(request_id, "student"))
    await ctx.unschedule(key(request_id, "tutor"))
    at = within_hours(ctx, ctx.now(), settings(ctx)["tutor_silent_hours"])
    await ctx.schedule(TUTOR, at, key=key(request_id, f"tutor:{stage}"), payload={"request": request_id,
                                                                                  "stage": stage})


async def waiting_on_student(ctx: ServiceContext, request_id: int, stage: int = 1) -> None:
    await ctx.unschedule(key(request_id, "tutor"))
    await ctx.unschedule(key(request_id, "student"))
    hours = settings(ctx)["student_silent_hours" if stage == 1 else "student_close_hours"]
    await ctx.schedule(STUDENT, ctx.now() + timedelta(hours=hours), key=key(request_id, f"student:{stage}"),
                       payload={"request": request_id, "stage": stage})


async def tell_coordinator(ctx: ServiceContext, reply: Reply) -> None:
    await ctx.post(str(settings(ctx)["coordinator_destination"]), reply)


@cog.task(UNCLAIMED)
async def on_unclaimed(ctx: ServiceContext, due: Due) -> None:
    request = await queries(ctx).get(int(due.payload["request"]))
    if request is None or request.state != "open":
        return
    if due.payload["stage"] == 1:
        await ctx.post(request.destination, shows=(CARD, request.id))
        card = await render_card(ctx, request)
        for tutor in await queries(ctx).present_tutors():
            if tutor != request.student_id:
                await ctx.notify(tutor, card, shows=(CARD, request.id), urgent=False)
        await unclaimed(ctx, request.id, datetime.fromisoformat(due.payload["since"]), stage=2)
    else:
        await tell_coordinator(ctx, Reply(_("Tutoring request #{id} has found no tutor yet.", id=request.id)))


@cog.task(TUTOR)
async def on_tutor_silent(ctx: ServiceContext, due: Due) -> None:
    request = await queries(ctx).get(int(due.payload["request"]))
    if request is None or request.state != "claimed" or request.tutor_id is None:
        return
    if due.payload["stage"] == 1 and not await queries(ctx).is_away(request.tutor_id):
        await ctx.notify(request.tutor_id, Reply(
            _("Request #{id} is waiting for your answer. Write to the student in the conversation.", id=request.id)),
            urgent=False)
        await waiting_on_tutor(ctx, request.id, stage=2)
        return
    await tell_coordinator(ctx, Reply(_("Tutoring request #{id} is waiting for its tutor's answer.", id=request.id)))


@cog.task(PURGE)
async def on_purge(ctx: ServiceContext, due: Due) -> None:
    await queries(ctx).purge_transcript(int(due.payload["request"]))
