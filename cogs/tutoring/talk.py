"""What is said in a request's conversation: kept for the transcript, and it moves the timers (a tutor's
message starts waiting on the student, a student's message starts waiting on the tutor)."""

from __future__ import annotations

from bot.commands import Reply
from bot.context import ServiceContext
from bot.conversations import PERSON, ConversationMessage
from cogs.tutoring import schedule
from cogs.tutoring.common import cog, queries
from cogs.tutoring.requests import KIND


@cog.conversation_message(KIND)
async def heard(ctx: ServiceContext, message: ConversationMessage) -> Reply | bool | None:
    request = await queries(ctx).by_conversation(message.conversation_id)
    if request is None or request.closed or message.sender.kind != PERSON:
        return None
    writer = int(message.sender.ref)
    names = [f.name for f in message.files]
    text = message.text + (f" [{', '.join(names)}]" if names else "")
    await queries(ctx).add_message(request.id, writer, message.author, text, ctx.now())
    if writer in request.tutors():
        await queries(ctx).answered(request.id, ctx.now())
        await schedule.waiting_on_student(ctx, request.id)
    elif writer == request.student_id:
        await schedule.waiting_on_tutor(ctx, request.id)
    return None
