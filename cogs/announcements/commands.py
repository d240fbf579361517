"""/announce schedule, preview, cancel and list (the communication calendar), the Approve button and the post."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from bot.commands import Button, Choice, Param, PublicPost, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, ListOf, Text, Translated, When, _
from bot.recurrence import Recurrence, RuleError
from bot.scheduler import Due
from cogs.announcements.calendar import calendar_list, clip
from cogs.announcements.common import TASK, cog, key, lookup, queries, series, settings
from cogs.announcements.storage import Announcement

REPEAT_CHOICES = [Choice("once", _("Once"), {"fi": "kerran"}),
                  Choice("weekly", _("Every week"), {"fi": "viikoittain"}),
                  Choice("biweekly", _("Every other week"), {"fi": "joka_toinen_viikko"}),
                  Choice("monthly", _("Every month"), {"fi": "kuukausittain"}),
                  Choice("rule", _("A rule (RRULE)"), {"fi": "saanto"})]
PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "console": "console"}  # proper names


def body(item: Announcement) -> Translated:
    return Translated({"fi": item.text_fi, "en": item.text_en})


def destinations_of(ctx: ServiceContext, typed: str) -> list[str]:
    names = list(dict.fromkeys(name.strip().lstrip("#") for name in typed.replace(";", ",").split(",")
                               if name.strip()))
    unknown = [name for name in names if name not in ctx.config.destinations]
    if unknown or not names:
        raise UserError(_("Unknown destination {name}. The destinations are: {known}.",
                          name=ListOf(unknown) if unknown else typed, known=ListOf(sorted(ctx.config.destinations))))
    return names


def recurrence_of(ctx: ServiceContext, when: datetime, repeat: str, rule: str | None,
                  until: datetime | None) -> Recurrence:
    """The series a person asked for; a rule that is not accepted or never repeats is refused."""
    if until is not None and until <= when:
        raise UserError(_("The last time must be after the first."))
    if repeat == "rule" and not rule:
        raise UserError(_("Give the rule too, e.g. rule=FREQ=MONTHLY;BYDAY=1MO"))
    try:
        if repeat == "rule":
            assert rule is not None
            text = rule if until is None else f"{rule};UNTIL={until:%Y%m%dT%H%M%SZ}"
            return Recurrence(when, ctx.config.tz, text)
        return Recurrence.preset(when, ctx.config.tz, None if repeat == "once" else repeat, until=until)
    except (RuleError, ValueError):
        raise UserError(_("That rule never repeats or is not supported: use FREQ=DAILY, WEEKLY, MONTHLY or "
                          "YEARLY with INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY or BYMONTH.")) from None


async def plan_next(ctx: ServiceContext, item: Announcement, after: datetime) -> datetime | None:
    """Schedule the next post after `after`; None (and the announcement is done) when the series is over."""
    at = series(item).next_after(after)
    if at is None:
        await queries(ctx).set_status(item.id, "done", expect=("scheduled",))
        return None
    await ctx.schedule(TASK, at, key=key(item.id), payload={"id": item.id})
    return at


@cog.command(_("Schedule an announcement"), roles={"board", "communications"})
async def schedule(
    ctx: Context,
    text: Annotated[str, Param(_("The message in Finnish"),
                               question=_("What is the message in Finnish?"),
                               max_len=2000, long=True, names={"fi": "teksti"},
                               example='"Hallituksen kokous perjantaina"')],
    when: Annotated[datetime, Param(_("When it is first posted"),
                                    question=_("When should it first be posted?"),
                                    future=True, names={"fi": "milloin"})],
    to: Annotated[str, Param(_("Destinations, separated by commas"),
                             question=_("Where should it be posted (separated by commas)?"),
                             max_len=200, names={"fi": "minne"},
                             example="announcements")],
    english: Annotated[str | None, Param(_("The message in English"),
                                         question=_("What is the message in English?"), max_len=2000, long=True,
                                         names={"fi": "englanniksi"})] = None,
    repeat: Annotated[str | None, Param(_("Repeats"),
                                        question=_("Does it repeat?"),
                                        choices=REPEAT_CHOICES, names={"fi": "toisto"})] = None,
    rule: Annotated[str | None, Param(_("Repeating rule (RRULE)"),
                                      question=_("Which repeating rule (RRULE)?"),
                                      max_len=200, names={"fi": "saanto"})] = None,
    until: Annotated[datetime | None, Param(_("Repeats until"),
                                            question=_("Until when does it repeat?"), names={"fi": "asti"})] = None,
) -> Reply:
    names = destinations_of(ctx, to)
    recurrence = recurrence_of(ctx, when, repeat or "once", rule, until)
    waits = settings(ctx)["approval"] and not ctx.has_role("board")
    announcement_id = await queries(ctx).add(
        author_id=ctx.person.id, text_fi=text, text_en=english, destinations=names, starts_at=recurrence.start,
        rule=recurrence.to_rrule_text(), timezone=ctx.config.tz.key, status="waiting" if waits else "scheduled",
        now=ctx.now())
    item = await lookup(ctx, announcement_id)
    if waits:
        await ctx.post(settings(ctx)["approval_destination"], Reply(
            Lines(_("Announcement {number} by {name} waits for approval. First post {when}.",
                    number=item.id, name=ctx.person.display_name, when=When(item.starts_at)), "", item.text_fi),
            title=_("Approval needed"),
            buttons=[Button(_("Approve"), cog.action_id("approve", item.id), style="success")]))
        return Reply(_("Announcement {number} waits for a board member's approval; you will be told.",
                       number=item.id), private=True)
    await plan_next(ctx, item, ctx.now())
    return Reply(_("Announcement {number} is scheduled: first post {when}.", number=item.id,
                   when=When(item.starts_at)), private=True)


@cog.action("approve", roles={"board"})
async def approve(ctx: Context, announcement_id: int) -> Reply:
    item = await lookup(ctx, announcement_id)
    if not await queries(ctx).set_status(item.id, "scheduled", expect=("waiting",), approved_by=ctx.person.id):
        return Reply(_("Announcement {number} is no longer waiting for approval.", number=item.id), private=True)
    at = await plan_next(ctx, item, ctx.now())
    told = (_("Your announcement {number} was approved: it is posted {when}.", number=item.id, when=When(at))
            if at is not None else _("Your announcement {number} was approved, but its time has passed.",
                                     number=item.id))
    if item.author_id is not None:
        await ctx.notify(item.author_id, Reply(told))
    return Reply(_("Approved by {name}.", name=ctx.person.display_name), edit=True)


@cog.task(TASK)
async def post(ctx: ServiceContext, due: Due) -> None:
    item = await queries(ctx).get(int(due.payload["id"]))
    if item is None or item.status != "scheduled":
        return
    for destination in item.destinations:
        if destination in ctx.config.destinations:  # one removed from config since is skipped
            await ctx.post(destination, Reply(body(item)), author=item.author_id)  # hears of a final failure
    await queries(ctx).posted(item.id)
    await plan_next(ctx, item, due.due_at)


@cog.command(_("Show how an announcement will look"), roles={"board", "communications"})
async def preview(ctx: Context, number: Annotated[int, Param(_("Announcement number"),
                                                             question=_("Which announcement (its number)?"), min=1,
                                                             names={"fi": "numero"})]) -> Reply:
    """Each platform's own rendering (its clipping and escaping), once per platform and language, under the
    destinations that get it."""
    item = await lookup(ctx, number)
    shown: dict[tuple[str, str], list[str]] = {}
    for name in item.destinations:
        destination = ctx.config.destinations.get(name)
        if destination is None:
            continue
        for platform in ctx.destination_platforms(name):
            shown.setdefault((platform, destination.language), []).append(f"#{name}")
    sections: list[Text] = [_("Announcement {number}, first post {when}.", number=item.id, when=When(item.starts_at))]
    for (platform, language), names in shown.items():
        seen = ctx.preview(Reply(body(item)), platform, language) or ""
        sections.append(Lines(Lines(", ".join(names), PLATFORM_NAMES.get(platform, platform), language, sep=" · "),
                              seen))
    if not shown:
        sections.append(_("None of its destinations is on a running platform."))
    return Reply(Lines(*sections, sep="\n\n"), title=_("Preview"), private=True)


@cog.command(_("Cancel a scheduled announcement"), roles={"board", "communications"})
async def cancel(ctx: Context, number: Annotated[int, Param(_("Announcement number"),
                                                            question=_("Which announcement (its number)?"), min=1,
                                                            names={"fi": "numero"})]) -> Reply:
    item = await lookup(ctx, number)
    if item.author_id != ctx.person.id and not ctx.has_role("board"):
        raise UserError(_("Only its author or the board can cancel announcement {number}.", number=item.id))
    if not await queries(ctx).set_status(item.id, "cancelled", expect=("waiting", "scheduled")):
        raise UserError(_("Announcement {number} is not scheduled.", number=item.id))
    await ctx.unschedule(key(item.id))
    return Reply(_("Announcement {number} is cancelled.", number=item.id), private=True)


@cog.planned_posts
async def planned(ctx: ServiceContext, since: datetime, until: datetime) -> list[PublicPost]:
    posts: list[PublicPost] = []
    for item in await queries(ctx).active():
        if item.status != "scheduled":
            continue
        title = _("Announcement {number}: {text}", number=item.id, text=clip(item.text_fi))
        posts.extend(PublicPost(at, title, item.destinations, cog.name) for at in series(item).between(since, until))
    return posts


@cog.command(_("The communication calendar: everything the bot will post publicly"),
             roles={"board", "communications"}, name="list")
async def list_(ctx: Context) -> Reply:
    return await calendar_page(ctx, 1)


@cog.action("cal", roles={"board", "communications"})
async def calendar_page(ctx: Context, page: int) -> Reply:
    return await calendar_list(ctx, page)  # paged in SQL: calendar.py
