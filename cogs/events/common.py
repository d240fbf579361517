"""What every part of the events cog shares: the cog itself, choices, lookups and permission rules."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.commands import Choice, Cog, Param, UserError
from bot.config import Config, Field, between, cron
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Translated, When, _
from cogs.events.recurrence import duration, next_occurrence
from cogs.events.storage import Event, EventQueries

# The cog is /event; its settings are the [events] table of config.toml.
MIGRATIONS = Path(__file__).with_name("migrations")  # its tables, numbered from 0001 (bot/commands.py Cog)
ROLES = {"organiser": _("organisers"), "board": _("the board")}  # who may create and manage events
cog = Cog("event", _("Events"), prefix="ev", section="events", migrations=MIGRATIONS, roles=ROLES, settings={
    # reminders this long before the start
    "reminder_hours": Field("int_list", [24, 1], check=between(1, 720, max_items=10)),
    "waitlist_offer_hours": Field("number", 12, check=between(0.25, 336)),  # a freed place is held this long
    "digest_cron": Field("str", "0 9 * * mon", check=cron),  # when the weekly digest is posted
    "feedback_delay_hours": Field("number", 1, check=between(0, 336)),  # feedback asked this long after the end
    "page_size": Field("int", 5, check=between(1, 25)),  # events per page of /event list
    "english_destination": Field("str", ""),  # events in English are also announced here ("" = nowhere more)
    # /event create shows the organiser the card first (Publish / Edit / Discard); an unanswered preview is
    # dropped after `preview_hours`. `preview = false` announces at once (the test kit's default).
    "preview": Field("bool", True),
    "preview_hours": Field("number", 24, check=between(0.25, 336)),
})

ONLINE = "online"
LANGUAGE_CHOICES = [Choice("fi", _("Finnish"), {"fi": "suomi"}), Choice("en", _("English"), {"fi": "englanti"}),
                    Choice("both", _("Finnish and English"), {"fi": "molemmat"})]
REPEAT_CHOICES = [Choice("none", _("Does not repeat"), {"fi": "ei"}),
                  Choice("weekly", _("Every week"), {"fi": "viikoittain"}),
                  Choice("biweekly", _("Every other week"), {"fi": "joka_toinen_viikko"})]
REPEAT_WEEKS = {"none": 0, "weekly": 1, "biweekly": 2}


def where_choices(config: Config) -> list[Choice]:
    return [Choice(c.id, c) for c in config.campuses] + [Choice(ONLINE, _("Online"), {"fi": "verkossa"})]


def where_text(ctx: ServiceContext, event: Event) -> Any:
    if event.campus is None:
        return _("Online")
    try:
        return ctx.config.campus(event.campus)
    except KeyError:  # a campus removed from config since: show its id rather than fail
        return event.campus


def announce_to(ctx: ServiceContext, event: Event) -> list[str]:
    """Where a new event is announced: everyone, its campus, and in English for international students."""
    names = ["announcements"]
    if event.campus is not None:
        names.append(ctx.config.campus(event.campus).destination or "announcements")
    english = settings(ctx)["english_destination"]
    if english and event.language in ("en", "both"):
        names.append(english)
    return list(dict.fromkeys(names))  # once each, in this order


@cog.on_startup
async def check_settings(ctx: ServiceContext) -> None:
    english = settings(ctx)["english_destination"]
    if english and english not in ctx.config.destinations:
        raise RuntimeError(f"events.english_destination: no destination named {english!r} in [destinations]")


def queries(ctx: ServiceContext) -> EventQueries:
    return EventQueries(ctx.db)


def settings(ctx: ServiceContext) -> Any:
    return ctx.section(cog.section)


async def get_event(ctx: ServiceContext, event_id: int) -> Event:
    event = await queries(ctx).get(event_id)
    if event is None:
        raise UserError(_("There is no event #{id}.", id=event_id))
    return event


def ended(ctx: ServiceContext, event: Event) -> bool:
    return event.series_end_at <= ctx.now()


async def open_event(ctx: ServiceContext, event_id: int) -> Event:
    """An event people can still answer to or change: not cancelled, not over."""
    event = await get_event(ctx, event_id)
    if event.cancelled_at is not None:
        raise UserError(_("{title} has been cancelled.", title=event.title))
    if ended(ctx, event):
        raise UserError(_("{title} is already over.", title=event.title))
    return event


def check_can_manage(ctx: Context, event: Event) -> None:
    """The organiser who created the event, or the board."""
    if ctx.has_role("board") or event.organiser_id == ctx.person.id:
        return
    raise UserError(_("Only the organiser who created {title} or the board can change it.", title=event.title))


def upcoming_start(ctx: ServiceContext, event: Event) -> datetime:
    if event.next_start is not None and event.next_start + duration(event.starts_at, event.ends_at) > ctx.now():
        return event.next_start  # stored and still current: no need to expand the series
    found = next_occurrence(event, ctx.now())
    return found[1] if found else event.starts_at


def _cut(title: str | None) -> str | None:
    return title if title is None or len(title) <= 60 else title[:59] + "…"
async def current_next(ctx: ServiceContext) -> int:
    """Bring the stored next occurrences up to date before a list reads them; returns how many were computed.

    Computed on read, for the rows that need it only: those created, edited or with an occurrence cancelled
    since (marked by the storage) and those whose stored occurrence has ended since the last read. So it
    follows the clock without a scheduled row per occurrence, and a list of 10,000 events computes none."""
    now = ctx.now()
    stale = await queries(ctx).stale(now)
    if not stale:
        return 0
    found = []
    for event in stale:
        nxt = next_occurrence(event, now)
        found.append((event, None if nxt is None else (nxt[1], nxt[1] + duration(event.starts_at, event.ends_at))))
    await queries(ctx).set_next(found)
    return len(found)


def suggestion_label(event: Event, start: datetime) -> Lines:
    # Suggestion labels are short on every platform (CHOICE_LABEL_MAX): cut long titles, keep the id and day.
    title = Translated({"fi": _cut(event.title_fi), "en": _cut(event.title_en)})
    return Lines(Lines(f"#{event.id}", title, sep=" "), When(start, "short"), sep=" · ")


def destination_languages(ctx: ServiceContext, destinations: list[str]) -> list[str]:
    """The languages an announcement is rendered in at these destinations, once each, in order."""
    return list(dict.fromkeys(ctx.config.destinations[name].language for name in destinations
                              if name in ctx.config.destinations))


async def suggest_upcoming(ctx: ServiceContext, partial: str) -> list[Choice]:
    events = await queries(ctx).search(partial.lstrip("#"), ctx.now())
    return [Choice(str(e.id), suggestion_label(e, upcoming_start(ctx, e))) for e in events]


async def suggest_any(ctx: ServiceContext, partial: str) -> list[Choice]:
    """Past events too (feedback is about events that are over), newest first."""
    events = await queries(ctx).search(partial.lstrip("#"), ctx.now(), include_past=True)
    return [Choice(str(e.id), suggestion_label(e, e.starts_at)) for e in events]


# The fields /event create and /event edit share: Finnish names typed (`aloitus=`) and shown as Discord options,
# and an example for /help.
TITLE = Param(_("Title"),
              question=_("What is the event called?"), max_len=100, names={"fi": "otsikko"}, example='"Quiz night"')
START = Param(_("Starts"),
              question=_("When does the event start?"),
              future=True, names={"fi": "aloitus"}, example='"4.12. klo 18"', date_alone="refuse")
# When editing, a date alone moves the event to that day at its old time of day.
NEW_START = dataclasses.replace(START, date_alone="date")
END = Param(_("Ends"),
            question=_("When does the event end?"),
            names={"fi": "loppu"}, example='"4.12. klo 21"', date_alone="refuse")
NEW_END = dataclasses.replace(END, date_alone="date")
WHERE = Param(_("Campus or online"),
              question=_("Where is the event: on which campus, or online?"),
              choices=where_choices, names={"fi": "paikka"})
DESCRIPTION = Param(_("Description"),
                    question=_("What happens at the event?"),
                    max_len=2000, long=True, names={"fi": "kuvaus"}, example='"Teams of four"')
# English ones beside the Finnish: a reader (and a destination) in English gets them, else the Finnish ones.
TITLE_EN = Param(_("Title in English"), question=_("What is the event's title in English?"), max_len=100,
                 names={"fi": "otsikko_en"}, example='"Quiz night"')
DESCRIPTION_EN = Param(_("Description in English"), question=_("What happens at the event, in English?"),
                       max_len=2000, long=True, names={"fi": "kuvaus_en"}, example='"Teams of four"')
LINK = Param(_("Link (required for online events)"),
             question=_("Which link do people join with online?"), max_len=500, names={"fi": "linkki"},
             example="https://meet.example/quiz")
CAPACITY = Param(_("Number of places"),
                 question=_("How many places are there?"), min=1, max=100000, names={"fi": "paikkamäärä"}, example="30")
LANGUAGE = Param(_("Language of the event"),
                 question=_("In which language is the event held?"), choices=LANGUAGE_CHOICES, names={"fi": "kieli"})
REPEAT = Param(_("Repeats"), question=_("Does the event repeat?"), choices=REPEAT_CHOICES, names={"fi": "toisto"})
UNTIL = Param(_("Last repeat (a date)"),
              question=_("On which date is the last time?"), names={"fi": "viimeinen"}, example='"18.12."')
EVENT = Param(_("Event"), question=_("Which event?"), suggest=suggest_upcoming, names={"fi": "tapahtuma"},
              example="12")
# A series asks for feedback once, after its last time, unless its organiser asks after every time.
FEEDBACK_CHOICES = [Choice("series", _("Once, after the last time"), {"fi": "kerran"}),
                    Choice("each", _("After every time"), {"fi": "joka_kerta"})]
FEEDBACK = Param(_("Feedback of a repeating event"),
                 question=_("Should a repeating event ask for feedback once at its end, or after every time?"),
                 choices=FEEDBACK_CHOICES, names={"fi": "palaute"})
