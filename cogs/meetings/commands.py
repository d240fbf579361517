"""/meeting add, attendance, minutes, list and calendar; reminders, answers and the chair's quorum warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.commands import Button, Choice, File, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.feeds import Feed, add_organizer
from bot.i18n import Lines, Text, When, _
from bot.recurrence import Recurrence, RuleError
from bot.scheduler import Due, Planned
from cogs.meetings.common import cog, epoch, key, lookup, members_of, queries, quorum, series, settings
from cogs.meetings.listing import meeting_list
from cogs.meetings.storage import Meeting

KIND_CHOICES = [Choice("board", _("Board"), {"fi": "hallitus"}),
                Choice("council", _("Council"), {"fi": "edustajisto"}),
                Choice("team", _("Team"), {"fi": "tiimi"})]
REPEAT_CHOICES = [Choice("once", _("Once"), {"fi": "kerran"}),
                  Choice("weekly", _("Every week"), {"fi": "viikoittain"}),
                  Choice("biweekly", _("Every other week"), {"fi": "joka_toinen_viikko"}),
                  Choice("monthly", _("Every month"), {"fi": "kuukausittain"})]
ANSWERS = {"y": "yes", "n": "no", "r": "remote"}


def answer_buttons(meeting: Meeting, at: datetime) -> list[Button]:
    stamp = epoch(at)
    return [Button(_("Coming"), cog.action_id("ans", meeting.id, stamp, "y"), style="success"),
            Button(_("Not coming"), cog.action_id("ans", meeting.id, stamp, "n"), style="danger"),
            Button(_("Remote"), cog.action_id("ans", meeting.id, stamp, "r"))]


def card(meeting: Meeting, at: datetime, *, buttons: bool = True) -> Reply:
    return Reply(Lines(When(at), _("Place: {place}", place=meeting.place),
                       _("Agenda: {link}", link=meeting.agenda) if meeting.agenda else None,
                       _("Meeting number {number}.", number=meeting.id)),
                 title=meeting.title, buttons=answer_buttons(meeting, at) if buttons else [])


async def plan(ctx: ServiceContext, meeting: Meeting, after: datetime) -> datetime | None:
    """The next occurrence's rows: its reminders, the chair's quorum check and, at its start, planning the next."""
    at = series(meeting).next_after(after)
    if at is None:
        return None
    now, stamp = ctx.now(), at.isoformat()
    rows = [Planned("mt_remind", at - timedelta(hours=hours), f"{key(meeting.id)}{epoch(at)}:r{hours}",
                    {"id": meeting.id, "at": stamp}) for hours in settings(ctx)["reminder_hours"]]
    rows.append(Planned("mt_quorum", at - timedelta(hours=settings(ctx)["warning_hours"]),
                        f"{key(meeting.id)}{epoch(at)}:q", {"id": meeting.id, "at": stamp}))
    rows = [row for row in rows if row.at > now]
    rows.append(Planned("mt_next", at, f"{key(meeting.id)}next", {"id": meeting.id, "at": stamp}))
    await ctx.schedule_many(rows)
    return at


async def people_of(ctx: ServiceContext, typed: str | None) -> list[int]:
    found: list[int] = []
    for name in filter(None, (part.strip() for part in (typed or "").split(","))):
        matches = await ctx.people.find_by_name(name)
        if len(matches) != 1:
            raise UserError(_("No single person is called {name}: write the name as they use it.", name=name))
        found.append(matches[0].id)
    return list(dict.fromkeys(found))


@cog.command(_("Add a meeting with reminders"), roles={"board", "chair"})
async def add(
    ctx: Context,
    kind: Annotated[str, Param(_("Kind of meeting"),
                               question=_("What kind of meeting is it?"), choices=KIND_CHOICES, names={"fi": "laji"})],
    title: Annotated[str, Param(_("Title"),
                                question=_("What is the meeting called?"),
                                max_len=100, names={"fi": "otsikko"}, example='"Board meeting"')],
    when: Annotated[datetime, Param(_("When"),
                                    question=_("When is the meeting?"), future=True, names={"fi": "milloin"})],
    place: Annotated[str, Param(_("Place or online link"),
                                question=_("Where is the meeting held (a place or an online link)?"),
                                max_len=300, names={"fi": "paikka"})],
    to: Annotated[str, Param(_("Destination for reminders"),
                             question=_("Where should I send the reminders?"), max_len=40, names={"fi": "minne"},
                             example="board")],
    members: Annotated[str | None, Param(_("Members, names separated by commas"),
                                         question=_("Who are the members (names separated by commas)?"), max_len=1000,
                                         names={"fi": "jasenet"})] = None,
    role: Annotated[str | None, Param(_("Members by role"),
                                      question=_("Which role's holders are members?"),
                                      max_len=32, names={"fi": "rooli"})] = None,
    agenda: Annotated[str | None, Param(_("Agenda link"),
                                        question=_("Where is the agenda (a link)?"),
                                        max_len=300, names={"fi": "esityslista"})] = None,
    repeat: Annotated[str | None, Param(_("Repeats"),
                                        question=_("Does the meeting repeat?"),
                                        choices=REPEAT_CHOICES, names={"fi": "toisto"})] = None,
    rule: Annotated[str | None, Param(_("Repeating rule (RRULE)"),
                                      question=_("Which repeating rule (RRULE)?"),
                                      max_len=200, names={"fi": "saanto"})] = None,
) -> Reply:
    if kind != "team" and not ctx.has_role("board"):
        raise UserError(_("Only the board can add board and council meetings; a chair adds their team's."))
    if to not in ctx.config.destinations:
        raise UserError(_("Unknown destination {name}. The destinations are: {known}.", name=to,
                          known=", ".join(sorted(ctx.config.destinations))))
    known_roles = set(ctx.config.roles) | {name for cog_ in ctx.cogs for name in cog_.roles}
    if role is not None and role not in known_roles:
        raise UserError(_("There is no role {role}.", role=role))
    people = await people_of(ctx, members)
    if not people and role is None:
        raise UserError(_("Name the members, or a role whose holders are members."))
    try:
        recurrence = (Recurrence(when, ctx.config.tz, rule) if rule else
                      Recurrence.preset(when, ctx.config.tz, None if repeat in (None, "once") else repeat))
    except (RuleError, ValueError):
        raise UserError(_("That rule never repeats or is not supported: use FREQ=DAILY, WEEKLY, MONTHLY or "
                          "YEARLY with INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY or BYMONTH.")) from None
    meeting_id = await queries(ctx).add(
        kind=kind, title=title, starts_at=recurrence.start, rule=recurrence.to_rrule_text(),
        timezone=ctx.config.tz.key, place=place, agenda=agenda, destination=to, member_role=role,
        chair_id=ctx.person.id, members=people, now=ctx.now())
    meeting = await lookup(ctx, meeting_id)
    await plan(ctx, meeting, ctx.now() - timedelta(microseconds=1))
    return Reply(_("Meeting {number} added: {when}.", number=meeting.id, when=When(meeting.starts_at)),
                 private=True)


@cog.command(_("Cancel a meeting and its reminders"), roles={"board", "chair"})
async def cancel(ctx: Context, number: Annotated[int, Param(_("Meeting number"),
                                                            question=_("Which meeting (its number)?"), min=1,
                                                            names={"fi": "numero"})]) -> Reply:
    meeting = await lookup(ctx, number)
    if meeting.chair_id != ctx.person.id and not ctx.has_role("board"):
        raise UserError(_("Only the chair or the board can cancel meeting {number}.", number=meeting.id))
    await queries(ctx).cancel(meeting.id, ctx.now())
    await ctx.unschedule(key(meeting.id))
    for person_id in await members_of(ctx, meeting):
        await ctx.notify(person_id, Reply(_("{title} is cancelled.", title=meeting.title)))
    return Reply(_("Meeting {number} is cancelled; its members were told.", number=meeting.id), private=True)


@cog.task("mt_remind")
async def remind(ctx: ServiceContext, due: Due) -> None:
    meeting = await queries(ctx).get(int(due.payload["id"]))
    if meeting is None or meeting.cancelled:
        return
    at = datetime.fromisoformat(due.payload["at"])
    await ctx.post(meeting.destination, card(meeting, at))
    for person_id in await members_of(ctx, meeting):
        await ctx.notify(person_id, card(meeting, at))


@cog.task("mt_next")
async def next_occurrence(ctx: ServiceContext, due: Due) -> None:
    meeting = await queries(ctx).get(int(due.payload["id"]))
    if meeting is not None and not meeting.cancelled:
        await plan(ctx, meeting, datetime.fromisoformat(due.payload["at"]))


async def attendance_of(ctx: ServiceContext, meeting: Meeting, at: datetime) -> tuple[Text, bool | None]:
    members = await members_of(ctx, meeting)
    answers = await queries(ctx).answers(meeting.id, at)
    present = sum(1 for answer in answers.values() if answer in ("yes", "remote"))
    needed = quorum(ctx, meeting, len(members))
    lines: list[Text] = [When(at)]
    for person_id in sorted(set(members) | set(answers)):
        person = await ctx.people.get(person_id)
        name = person.display_name if person else "?"
        label = {"yes": _("coming"), "no": _("not coming"), "remote": _("remote")}.get(
            answers.get(person_id, ""), _("no answer"))
        lines.append(Lines(name, label, sep=": "))
    met = None if needed is None else present >= needed
    if needed is not None:
        lines.append(_("Quorum: {present}/{needed}, met.", present=present, needed=needed) if met else
                     _("Quorum: {present}/{needed}, not met.", present=present, needed=needed))
    return Lines(*lines), met


@cog.task("mt_quorum")
async def quorum_check(ctx: ServiceContext, due: Due) -> None:
    meeting = await queries(ctx).get(int(due.payload["id"]))
    if meeting is None or meeting.cancelled or meeting.chair_id is None:
        return
    at = datetime.fromisoformat(due.payload["at"])
    text, met = await attendance_of(ctx, meeting, at)
    if met is False:
        await ctx.notify(meeting.chair_id, Reply(text, title=_("{title}: no quorum yet", title=meeting.title)))


async def may_answer(ctx: Context, meeting: Meeting) -> bool:
    if ctx.person.id in await queries(ctx).members(meeting.id):
        return True
    return meeting.member_role is not None and ctx.has_role(meeting.member_role)


@cog.action("ans")
async def answer(ctx: Context, meeting_id: int, stamp: int, choice: str) -> Reply:
    meeting = await lookup(ctx, meeting_id)
    if choice not in ANSWERS:
        raise UserError(_("This button no longer works."))
    if not await may_answer(ctx, meeting):
        raise UserError(_("Only the meeting's members can answer."))
    at = datetime.fromtimestamp(stamp, UTC)
    await queries(ctx).answer(meeting.id, at, ctx.person.id, ANSWERS[choice])
    said = {"yes": _("coming"), "no": _("not coming"), "remote": _("remote")}[ANSWERS[choice]]
    return Reply(_("Noted: {answer}.", answer=said), private=True, notice=_("Noted: {answer}.", answer=said))


def upcoming(meeting: Meeting, now: datetime) -> datetime | None:
    """The occurrence people are answering for: one under way (started within 3 hours) or the next."""
    return series(meeting).next_after(now - timedelta(hours=3))


@cog.command(_("Who is coming to a meeting, and the quorum"), roles={"board", "chair"})
async def attendance(ctx: Context, number: Annotated[int, Param(_("Meeting number"),
                                                                question=_("Which meeting (its number)?"), min=1,
                                                                names={"fi": "numero"})]) -> Reply:
    meeting = await lookup(ctx, number)
    at = upcoming(meeting, ctx.now())
    if at is None:
        raise UserError(_("Meeting {number} has no coming occurrence.", number=meeting.id))
    text, _met = await attendance_of(ctx, meeting, at)
    return Reply(text, title=meeting.title, private=True)


@cog.command(_("Attach the minutes to the latest meeting"), roles={"board", "chair"})
async def minutes(ctx: Context,
                  number: Annotated[int, Param(_("Meeting number"),
                                               question=_("Which meeting (its number)?"),
                                               min=1, names={"fi": "numero"})],
                  link: Annotated[str, Param(_("Link to the minutes"),
                                             question=_("Where are the minutes (a link)?"),
                                             max_len=300, names={"fi": "linkki"})]
                  ) -> Reply:
    meeting = await lookup(ctx, number)
    if meeting.chair_id != ctx.person.id and not ctx.has_role("board"):
        raise UserError(_("Only the chair or the board can attach the minutes."))
    if not link.startswith(("https://", "http://")):
        raise UserError(_("The minutes link must start with https://"))
    held = series(meeting).between(meeting.starts_at, ctx.now() + timedelta(microseconds=1))
    if not held:
        raise UserError(_("Meeting {number} has not been held yet.", number=meeting.id))
    await queries(ctx).set_minutes(meeting.id, held[-1], link)
    return Reply(_("Minutes attached to the meeting of {when}.", when=When(held[-1])), private=True)


@cog.command(_("Past and coming meetings"), name="list")
async def list_(ctx: Context) -> Reply:
    return await list_page(ctx, 1)


@cog.action("list")
async def list_page(ctx: Context, page: int) -> Reply:
    return await meeting_list(ctx, page)  # paged in SQL: listing.py


@cog.command(_("Your meetings as a calendar file"), name="calendar")
async def calendar_file(ctx: Context) -> Reply:
    named = {meeting.id for meeting in await queries(ctx).of_member(ctx.person.id)}
    meetings = [meeting for meeting in await queries(ctx).all()
                if meeting.id in named or (meeting.member_role is not None and ctx.has_role(meeting.member_role))]
    if not meetings:
        raise UserError(_("You are not a member of any meeting."))
    calendar = Calendar()
    calendar.add("prodid", "-//humako-bot//meetings//")
    calendar.add("version", "2.0")
    for meeting in meetings:
        event = Event()
        event.add("uid", f"meeting-{meeting.id}@humako-bot")
        event.add("summary", meeting.title)
        event.add("dtstart", series(meeting).start.astimezone(ctx.config.tz))
        event.add("dtstamp", ctx.now())
        event.add("location", meeting.place)
        if meeting.rule:
            event.add("rrule", vRecur.from_ical(meeting.rule))
        calendar.add_component(event)
    return Reply(_("Your meetings."), files=[File("meetings.ics", calendar.to_ical(), "text/calendar")],
                 private=True)


@cog.calendar_feed
async def calendar_entries(ctx: ServiceContext, feed: Feed) -> list[Event]:
    """A person's meetings in their subscribed calendar; public feeds carry none."""
    if feed.person_id is None:
        return []
    entries = []
    for meeting in await queries(ctx).of_member(feed.person_id):
        stamp = (meeting.created_at or meeting.starts_at).astimezone(UTC).replace(microsecond=0)
        event = Event()
        event.add("uid", f"meeting-{meeting.id}@humako-bot")
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("sequence", 0)
        event.add("summary", meeting.title)
        event.add("dtstart", series(meeting).start.astimezone(ZoneInfo(meeting.timezone)))
        event.add("location", meeting.place)
        add_organizer(ctx, event)
        if meeting.rule:
            event.add("rrule", vRecur.from_ical(meeting.rule))
        entries.append(event)
    return entries


cog.person_data(queries)  # /mydata, /forgetme and /link from the meetings' storage
