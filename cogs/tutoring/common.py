"""What every part of the tutoring cog shares: the cog, its settings, choices, lookups and permission rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.commands import Choice, Cog, Param, UserError
from bot.config import Config, Field, between
from bot.context import Context, ServiceContext
from bot.i18n import TIMEZONE, Text, _
from cogs.tutoring.storage import Request, TutoringQueries

MIGRATIONS = Path(__file__).with_name("migrations")
ROLES = {"tutor": _("tutors"), "tutor_coordinator": _("tutor coordinators")}
TUTORS = frozenset({"tutor"})
COORDINATORS = frozenset({"tutor_coordinator", "board"})
DEFAULT_TOPICS = ["study_skills", "starting", "online_tools", "wellbeing", "other"]


def _topics(values: list[str]) -> str | None:
    return None if values and all(v.isidentifier() and len(v) <= 20 for v in values) else \
        "must list topic ids (letters, digits, _; at most 20 characters)"


MAX_QUESTIONS = 3  # intake questions per topic (the intake form's answer fields)


def _questions(values: list[str]) -> str | None:
    """Each "topic: question", at most MAX_QUESTIONS per topic."""
    topics = [v.partition(":")[0].strip() for v in values]
    if not all(":" in v and t.isidentifier() and v.partition(":")[2].strip() for v, t in zip(values, topics,
                                                                                              strict=True)):
        return 'must list "topic: question" texts'
    if any(topics.count(t) > MAX_QUESTIONS for t in topics):
        return f"at most {MAX_QUESTIONS} questions per topic"
    return None


# The cog is /tutor; its settings are the [tutoring] table of config.toml. Hours count within tutors' hours.
cog = Cog("tutor", _("Tutoring"), prefix="tut", section="tutoring", migrations=MIGRATIONS, roles=ROLES, settings={
    "topics": Field("str_list", DEFAULT_TOPICS, check=_topics),  # what a request can be about
    "questions": Field("str_list", [], check=_questions),  # "topic: question": the topic's intake form
    "destination": Field("str", "tutors"),  # the online tutors' destination (and campuses without their own)
    "campus_destinations": Field("bool", True),  # a campus request goes to tutors_<campus> when that exists
    "coordinator_destination": Field("str", "board"),  # where the tutor coordinator is told
    "hours_start": Field("int", 8, check=between(0, 23)),  # tutors' hours, local time
    "hours_end": Field("int", 20, check=between(1, 24)),
    "days": Field("int_list", [1, 2, 3, 4, 5], check=between(1, 7, min_items=1, max_items=7)),  # 1 = Monday
    "reannounce_hours": Field("number", 4, check=between(0.01, 720)),  # unclaimed: re-announced to tutors
    "coordinator_hours": Field("number", 24, check=between(0.01, 720)),  # unclaimed: the coordinator is told
    "tutor_silent_hours": Field("number", 24, check=between(0.01, 720)),  # claimed, tutor silent: reminded
    "student_silent_hours": Field("number", 72, check=between(0.01, 720)),  # waiting on the student: asked
    "student_close_hours": Field("number", 72, check=between(0.01, 720)),  # ... then closed this much later
    "transcript_days": Field("int", 30, check=between(1, 365)),  # transcripts kept this long after closing
    "page_size": Field("int", 5, check=between(1, 25)),  # requests per page of /tutor queue
    "stats_days": Field("int", 30, check=between(1, 3650)),  # the default period of /tutor stats
})

ONLINE = "online"
STATE_OPEN, STATE_CLAIMED = "open", "claimed"
CLOSED_STATES = ("resolved", "cancelled", "expired")

TOPIC_LABELS: dict[str, Text] = {
    "study_skills": _("Study skills"),
    "starting": _("Starting studies"),
    "online_tools": _("Online tools"),
    "wellbeing": _("Wellbeing"),
    "other": _("Other"),
}
LANGUAGE_CHOICES = [Choice("fi", _("Finnish"), {"fi": "suomi"}), Choice("en", _("English"), {"fi": "englanti"})]


def settings(ctx: ServiceContext) -> Any:
    return ctx.section(cog.section)


def queries(ctx: ServiceContext) -> TutoringQueries:
    return TutoringQueries(ctx.db)


def questions_for(ctx: ServiceContext, topic: str) -> list[str]:
    return [q.partition(":")[2].strip() for q in settings(ctx)["questions"] if q.partition(":")[0].strip() == topic]


def topic_label(topic: str) -> Text:
    return TOPIC_LABELS.get(topic, topic.replace("_", " "))


def topic_choices(config: Config) -> list[Choice]:
    topics = config.sections.get("tutoring", {}).get("topics", DEFAULT_TOPICS)
    return [Choice(t, topic_label(t)) for t in topics]


def where_choices(config: Config) -> list[Choice]:
    return [Choice(ONLINE, _("Online"), {"fi": "verkossa"})] + [
        Choice(c.id, c) for c in config.campuses]


def where_text(ctx: ServiceContext, request: Request) -> Text:
    return place_text(ctx, request.campus)


def place_text(ctx: ServiceContext, campus_id: str | None) -> Text:
    """A campus by its name in the reader's language ("Jyväskylä", not "jyvaskyla"), or "Online" for None."""
    if campus_id is None or campus_id == ONLINE:
        return _("Online")
    try:
        return ctx.config.campus(campus_id)
    except KeyError:  # removed from config since
        return campus_id


def language_text(code: str) -> Text:
    return next((c.label for c in LANGUAGE_CHOICES if c.value == code), code)


def destination_for(ctx: ServiceContext, campus: str | None) -> str:
    """The online tutors' destination, or the campus tutors' (`tutors_<campus>`) when config has one."""
    own = f"{settings(ctx)['destination']}_{campus}"
    if campus is not None and settings(ctx)["campus_destinations"] and own in ctx.config.destinations:
        return own
    return str(settings(ctx)["destination"])


@cog.on_startup
async def check_settings(ctx: ServiceContext) -> None:
    for key in ("destination", "coordinator_destination"):
        name = settings(ctx)[key]
        if name not in ctx.config.destinations:
            raise RuntimeError(f"tutoring.{key}: no destination named {name!r} in [destinations]")
    for entry in settings(ctx)["questions"]:
        if entry.partition(":")[0].strip() not in settings(ctx)["topics"]:
            raise RuntimeError(f"tutoring.questions: {entry.partition(':')[0]!r} is not one of tutoring.topics")
    if settings(ctx)["hours_start"] >= settings(ctx)["hours_end"]:
        raise RuntimeError("tutoring.hours_start must be before tutoring.hours_end")


def within_hours(ctx: ServiceContext, start: datetime, hours: float) -> datetime:
    """`hours` after `start`, counting only tutors' hours (their weekdays, from hours_start to hours_end)."""
    zone = TIMEZONE.zone
    s = settings(ctx)
    days, remaining = set(s["days"]), timedelta(hours=hours)
    local = start.astimezone(zone)
    for _day in range(800):  # a bound: config guarantees at least one working day a week
        day = local.date()
        opening = datetime.combine(day, time(s["hours_start"]), zone)
        closing = (datetime.combine(day, time(0), zone) + timedelta(days=1) if s["hours_end"] == 24
                   else datetime.combine(day, time(s["hours_end"]), zone))
        if day.isoweekday() in days and local < closing:
            begin = max(local, opening)
            if remaining <= closing - begin:
                return (begin + remaining).astimezone(UTC)
            remaining -= closing - begin
        local = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start + timedelta(hours=hours)


async def get_request(ctx: ServiceContext, request_id: int) -> Request:
    request = await queries(ctx).get(request_id)
    if request is None:
        raise UserError(_("There is no tutoring request #{id}.", id=request_id))
    return request


def check_open(request: Request) -> None:
    if request.closed:
        raise UserError(_("Tutoring request #{id} is already closed.", id=request.id))


def check_helper(ctx: Context, request: Request) -> None:
    """A tutor of this request (its own tutor or the second one)."""
    if ctx.person.id not in request.tutors():
        raise UserError(_("You are not a tutor of request #{id}.", id=request.id))


def check_student(ctx: Context, request: Request) -> None:
    if request.student_id != ctx.person.id:
        raise UserError(_("Only the student who asked can do that to request #{id}.", id=request.id))


async def suggest_mine(ctx: ServiceContext, partial: str) -> list[Choice]:
    person = getattr(ctx, "person", None)
    if person is None:
        return []
    found = await queries(ctx).of_person(person.id)
    typed = partial.lstrip("#")
    return [Choice(str(r.id), f"#{r.id} {r.description[:40]}") for r in found if str(r.id).startswith(typed)]


REQUEST = Param(_("Request number"),
                question=_("Which request (its number)?"),
                min=1, suggest=suggest_mine, names={"fi": "pyyntö"}, example="12")
