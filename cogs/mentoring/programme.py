"""The programme period, applications, match suggestions and making pairs and groups (with their conversation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, cast

from bot.commands import Param, PersonRef, Reply, UserError
from bot.context import Context, ServiceContext
from bot.conversations import ConversationMessage, Member
from bot.i18n import Lines, ListOf, Text, When, _, ngettext
from bot.pager import source_pager
from cogs.mentoring.common import (
    COORDINATORS,
    LANGUAGE_WORDS,
    LANGUAGES,
    MODE_CHOICES,
    SIDE_CHOICES,
    campus_choices,
    cog,
    current,
    key,
    names,
    queries,
    settings,
)
from cogs.mentoring.storage import Application
from storage.people import Person

KIND = "mentoring"  # the conversations' kind


@cog.command(_("Open a mentor programme period"), roles=COORDINATORS)
async def programme(
    ctx: Context,
    name: Annotated[str, Param(_("Name"),
                               question=_("What is the programme called?"),
                               max_len=100, names={"fi": "nimi"}, example='"Mentoring 2026-2027"')],
    start: Annotated[datetime, Param(_("Starts"), question=_("When does the programme start?"), names={"fi": "alkaa"})],
    end: Annotated[datetime, Param(_("Ends"),
                                   question=_("When does the programme end?"), future=True, names={"fi": "paattyy"})],
    deadline: Annotated[datetime, Param(_("Application deadline"),
                                        question=_("When does the application period end?"),
                                        future=True, names={"fi": "hakuaika"})],
    kickoff: Annotated[int | None, Param(_("The kick-off's event number (/event show)"),
                                         question=_("Which event is the kick-off (its number)?"), min=1,
                                         names={"fi": "aloitustilaisuus"})] = None,
) -> Reply:
    if end <= start:
        raise UserError(_("The programme must end after it starts."))
    if deadline > end:
        raise UserError(_("The application deadline must be before the programme ends."))
    programme_id = await queries(ctx).add_programme(name, start, end, deadline, ctx.person.id, kickoff, ctx.now())
    await ctx.schedule("mn_end", end, key=f"mn:p{programme_id}:end", payload={"programme": programme_id})
    return Reply(Lines(_("Programme {name} is open for applications until {deadline}.", name=name,
                         deadline=When(deadline)),
                       _("It runs from {start} to {end}.", start=When(start), end=When(end))), private=True)


def _languages(typed: str) -> list[str]:
    found = [LANGUAGE_WORDS.get(word.strip().lower()) for word in typed.replace(" ", ",").split(",") if word.strip()]
    if not found or None in found:
        raise UserError(_("Languages are fi, en or sv, separated by commas."))
    return list(dict.fromkeys(code for code in found if code))


async def _team(ctx: Context, typed: str | None) -> list[int]:
    team: list[int] = []
    for name in filter(None, (part.strip() for part in (typed or "").split(","))):
        matches = await ctx.people.find_by_name(name)
        if len(matches) != 1:
            raise UserError(_("No single person is called {name}: write the name as they use it.", name=name))
        team.append(matches[0].id)
    return [p for p in dict.fromkeys(team) if p != ctx.person.id]


@cog.command(_("Apply to the mentor programme"))
async def apply(
    ctx: Context,
    side: Annotated[str, Param(_("Apply as"),
                               question=_("Do you apply as a mentor or as an aktori?"),
                               choices=SIDE_CHOICES, names={"fi": "roolina"})],
    field: Annotated[str, Param(_("Your field (of work or of study)"),
                                question=_("What is your field (of work or of study)?"),
                                max_len=100, names={"fi": "ala"},
                                example='"youth work"')],
    languages: Annotated[str, Param(_("Languages, separated by commas"),
                                    question=_("Which languages do you speak (separated by commas)?"),
                                    max_len=40, names={"fi": "kielet"},
                                    example="fi,en")],
    mode: Annotated[str, Param(_("Meetings online or on campus"),
                               question=_("Would you meet online or on campus?"),
                               choices=MODE_CHOICES, names={"fi": "tapa"})],
    about: Annotated[str, Param(_("Mentor: your experience and what you offer; aktori: your needs and goals"),
                                question=_("Tell about yourself: a mentor their experience and what they offer, "
                                           "an aktori their needs and goals."),
                                max_len=1000, long=True, names={"fi": "kuvaus"})],
    campus: Annotated[str | None, Param(_("Campus"),
                                        question=_("Which campus are you at?"),
                                        choices=campus_choices, names={"fi": "kampus"})] = None,
    stage: Annotated[str | None, Param(_("Aktori: stage of studies"),
                                       question=_("Aktori: how far are your studies?"),
                                       max_len=100, names={"fi": "vaihe"})] = None,
    team: Annotated[str | None, Param(_("Aktori team: the other members' names, separated by commas"),
                                      question=_("Aktori team: who are the other members (names separated by commas)?"),
                                      max_len=300, names={"fi": "tiimi"})] = None,
) -> Reply:
    programme = await current(ctx)
    if ctx.now() > programme.deadline:
        raise UserError(_("Applications to {name} closed {when}.", name=programme.name,
                          when=When(programme.deadline)))
    if side == "mentor" and (team or stage):
        raise UserError(_("A team and a stage of studies belong to an aktori's application."))
    members = await _team(ctx, team)
    mine = await queries(ctx).application_of(programme.id, ctx.person.id)
    if mine is not None and mine.pair_id is not None:
        raise UserError(_("You are already paired in {name}.", name=programme.name))
    codes = _languages(languages)
    await queries(ctx).apply(programme.id, ctx.person.id, side, field, codes, mode, campus, about, stage, members,
                             ctx.now())
    text: Text = (_("Thank you: your mentor application to {name} is in.", name=programme.name) if side == "mentor" else
            _("Thank you: your aktori application to {name} is in.", name=programme.name))
    if members:
        text = Lines(text, ngettext("Your team has {count} other member.", "Your team has {count} other members.",
                                    len(members)))
    return Reply(text, private=True)


@dataclass(frozen=True)
class Match:
    mentor: Application
    score: int
    reasons: tuple[Text, ...]


def _words(text: str) -> set[str]:
    return {w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split() if len(w) >= 3}


def match(mentor: Application, aktori: Application) -> Match:
    """A mentor scored for an aktori: field (3), a shared language (2), mode (1) and campus (1)."""
    score, reasons = 0, []
    shared_field = _words(mentor.field) & _words(aktori.field)
    if shared_field:
        score += 3
        reasons.append(_("same field ({words})", words=", ".join(sorted(shared_field))))
    shared = [code for code in aktori.languages if code in mentor.languages]
    if shared:
        score += 2
        reasons.append(_("speaks {languages}", languages=ListOf(LANGUAGES[c] for c in shared)))
    if mentor.mode == aktori.mode or "either" in (mentor.mode, aktori.mode):
        score += 1
        reasons.append(_("meeting mode fits"))
    if mentor.campus and mentor.campus == aktori.campus:
        score += 1
        reasons.append(_("same campus"))
    return Match(mentor, score, tuple(reasons))


def suggestions(applications: list[Application], aktori: Application, limit: int) -> list[Match]:
    mentors = [a for a in applications if a.side == "mentor" and a.pair_id is None]
    ranked = sorted((match(m, aktori) for m in mentors), key=lambda m: (-m.score, m.mentor.id))
    return ranked[:limit]


@cog.command(_("Applications and match suggestions"), roles=COORDINATORS)
async def applications(ctx: Context) -> Reply:
    return await applications_page(ctx, 1)


@cog.action("apps", roles=COORDINATORS)
async def applications_page(ctx: Context, page: int) -> Reply:
    programme = await current(ctx)
    limit = int(settings(ctx)["suggestions"])
    mentors: list[Application] = []  # read once, and only for a page with an aktori to suggest a mentor for

    async def line(app: Application) -> Text:
        who = await names(ctx, [app.person_id, *app.team])
        side = _("mentor") if app.side == "mentor" else _("aktori")
        head = _("{who} ({side}): {field}; {mode}; {languages}", who=who, side=side, field=app.field,
                 mode=next(c.label for c in MODE_CHOICES if c.value == app.mode),
                 languages=", ".join(app.languages))
        parts: list[Text | None] = [head, app.about]
        if app.pair_id is not None:
            parts.append(_("Paired: pair {number}.", number=app.pair_id))
        elif app.side == "aktori":
            if not mentors:
                mentors.extend(await queries(ctx).free_mentors(programme.id))
            for suggestion in suggestions(mentors, app, limit):
                mentor = await names(ctx, [suggestion.mentor.person_id])
                parts.append(_("Suggested: {mentor} ({score}): {reasons}", mentor=mentor, score=suggestion.score,
                               reasons=ListOf(suggestion.reasons) if suggestion.reasons else "-"))
        return Lines(*parts)

    return await source_pager(queries(ctx).applications_paged(programme.id), line, page=page, size=5,
                              turn=lambda n: cog.action_id("apps", n),
                              title=_("Applications to {name}", name=programme.name), empty=_("No applications yet."),
                              edit=ctx.origin is not None, private=True)


@cog.command(_("Pair a mentor with an aktori or an aktori team"), roles=COORDINATORS)
async def pair(
    ctx: Context,
    mentor: Annotated[PersonRef, Param(_("Mentor"), question=_("Who is the mentor?"), names={"fi": "mentori"})],
    aktori: Annotated[PersonRef, Param(_("Aktori (for a team, any member)"),
                                       question=_("Who is the aktori (for a team, any member)?"),
                                       names={"fi": "aktori"})],
) -> Reply:
    return await _pair(ctx, cast(Person, mentor), cast(Person, aktori))


async def _pair(ctx: Context, mentor: Person, aktori: Person) -> Reply:
    programme = await current(ctx)
    if mentor.id == aktori.id:
        raise UserError(_("The same person cannot be both the mentor and the aktori."))
    q = queries(ctx)
    mentor_app = await q.application_of(programme.id, mentor.id)
    aktori_app = await q.application_of(programme.id, aktori.id) or await q.in_team_of(programme.id, aktori.id)
    if mentor_app is None or mentor_app.side != "mentor":
        raise UserError(_("{name} has not applied as a mentor.", name=mentor.display_name))
    if aktori_app is None or aktori_app.side != "aktori":
        raise UserError(_("{name} has not applied as an aktori.", name=aktori.display_name))
    aktorit = [aktori_app.person_id, *aktori_app.team]
    if mentor.id in aktorit:
        raise UserError(_("The same person cannot be both the mentor and the aktori."))
    for app in (mentor_app, aktori_app):
        earlier = await q.pair(app.pair_id) if app.pair_id is not None else None
        if earlier is not None and earlier.state == "open" and app is aktori_app:
            raise UserError(_("They are already in pair {number}: close it first to re-pair.", number=earlier.id))
    kind = "group" if len(aktorit) > 1 else "individual"
    pair_id = await q.make_pair(programme.id, kind, [mentor.id], aktorit, [mentor_app.id, aktori_app.id], ctx.now())
    everyone = [mentor.id, *aktorit]
    title = _("Mentoring: {people}", people=await names(ctx, everyone))  # "Minna, Eero and Elli"
    hello = Reply(Lines(_("Welcome to your mentoring {kind}, number {number}.", number=pair_id,
                          kind=_("group") if kind == "group" else _("pair")),
                        _("Write here to each other. Next, agree on your goals with /mentor agreement."),
                        _("The online kick-off, where pairs fill in their agreement: /event show {number}",
                          number=programme.kickoff_event) if programme.kickoff_event else None))
    conversation_id = await ctx.open_conversation(KIND, title, [Member.person(p) for p in everyone], first=hello,
                                                  host=settings(ctx)["conversation_host"] or None)
    await q.set_conversation(pair_id, conversation_id)
    for person_id in everyone:
        await ctx.notify(person_id, Reply(_("You are paired in {name}: {title}.", name=programme.name, title=title),
                                          title=_("Mentor programme")))
    await ctx.schedule("mn_checkin", ctx.now() + timedelta(days=int(settings(ctx)["checkin_days"])),
                       key=key(pair_id, "checkin"), payload={"pair": pair_id})
    return Reply(_("Pair {number} made: {title}. Everyone was told.", number=pair_id, title=title), private=True)


@cog.conversation_message(KIND)
async def heard(ctx: ServiceContext, message: ConversationMessage) -> Reply | bool | None:
    return None  # relayed as written; the cog keeps no transcript (the members have it in their chats)

