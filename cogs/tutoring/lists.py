"""Tutors' own commands: away and back, the queue (filtered, through the pager) and their requests."""

from __future__ import annotations

from typing import Annotated

from bot.commands import Button, Param, Reply
from bot.context import Context
from bot.i18n import Lines, _
from bot.pager import Line, source_pager
from cogs.tutoring.cards import claim_button, state_text
from cogs.tutoring.common import (
    LANGUAGE_CHOICES,
    ONLINE,
    TUTORS,
    cog,
    language_text,
    queries,
    settings,
    topic_choices,
    topic_label,
    where_choices,
    where_text,
)
from cogs.tutoring.storage import Request

ANY = "-"  # no filter, in an action id


@cog.command(_("Stop getting tutoring reminders for now"), roles=TUTORS)
async def away(ctx: Context) -> Reply:
    await queries(ctx).set_away(ctx.person.id, True)
    return Reply(_("You are away: re-announcements and reminders skip you until /tutor back."), private=True)


@cog.command(_("Get tutoring reminders again"), roles=TUTORS)
async def back(ctx: Context) -> Reply:
    await queries(ctx).set_away(ctx.person.id, False)
    return Reply(_("Welcome back: you get re-announcements and reminders again."), private=True)


def summary(ctx: Context, request: Request) -> Lines:
    return Lines(f"#{request.id}", topic_label(request.topic), language_text(request.language),
                 where_text(ctx, request), sep=" · ")


async def queue_page(ctx: Context, page: int, where: str, language: str, topic: str, *, edit: bool) -> Reply:
    await queries(ctx).seen(ctx.person.id)
    campus = None if where in (ANY, ONLINE) else where
    online = True if where == ONLINE else None
    found = queries(ctx).queue(campus=campus, online=online, language=None if language == ANY else language,
                               topic=None if topic == ANY else topic)
    return await source_pager(found, lambda r: Line(Lines(summary(ctx, r), r.description[:200] or None),
                                                    [claim_button(r)]),
                              page=page, size=int(settings(ctx)["page_size"]),
                              turn=lambda n: cog.action_id("q", n, where, language, topic),
                              title=_("Open tutoring requests"), empty=_("No open requests."), edit=edit, private=True)


@cog.command(_("Open requests, oldest first"), roles=TUTORS)
async def queue(
    ctx: Context,
    where: Annotated[str | None, Param(_("Campus or online"),
                                       question=_("Requests of which campus, or online ones?"),
                                       choices=where_choices, names={"fi": "paikka"})] = None,
    language: Annotated[str | None, Param(_("Language"),
                                          question=_("Requests in which language?"),
                                          choices=LANGUAGE_CHOICES, names={"fi": "kieli"})] = None,
    topic: Annotated[str | None, Param(_("Topic"),
                                       question=_("Requests on which topic?"),
                                       choices=topic_choices, names={"fi": "aihe"})] = None,
) -> Reply:
    return await queue_page(ctx, 1, where or ANY, language or ANY, topic or ANY, edit=False)


@cog.action("q", roles=TUTORS)
async def queue_turn(ctx: Context, page: int, where: str, language: str, topic: str) -> Reply:
    return await queue_page(ctx, page, where, language, topic, edit=True)


async def mine_page(ctx: Context, page: int, *, edit: bool) -> Reply:
    async def line(request: Request) -> Line:  # the state of the shown requests only (it reads names)
        buttons = [Button(_("Transcript"), cog.action_id("transcript", request.id))] if request.conversation_id else []
        return Line(Lines(summary(ctx, request), await state_text(ctx, request)), buttons)

    return await source_pager(queries(ctx).of_person_paged(ctx.person.id), line, page=page,
                              size=int(settings(ctx)["page_size"]), turn=lambda n: cog.action_id("mine", n),
                              title=_("Your tutoring requests"), empty=_("You have no open tutoring requests."),
                              edit=edit, private=True)


@cog.command(_("Your open tutoring requests"))
async def mine(ctx: Context) -> Reply:
    return await mine_page(ctx, 1, edit=False)


@cog.action("mine")
async def mine_turn(ctx: Context, page: int) -> Reply:
    return await mine_page(ctx, page, edit=True)
