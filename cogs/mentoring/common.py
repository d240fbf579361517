"""What every part of the mentoring cog shares: the cog, its settings, choices, lookups and who may see what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.commands import Choice, Cog, Reply, UserError
from bot.config import Field, between
from bot.context import Context, ServiceContext
from bot.i18n import ListOf, Text, _
from cogs.mentoring.storage import GOALS, MentoringQueries, Pair, Programme

ROLES = {"mentor": _("mentors"), "aktori": _("aktoris"), "mentor_coordinator": _("mentor coordinators")}
COORDINATORS = frozenset({"mentor_coordinator"})

cog = Cog("mentor", _("The mentor programme"), prefix="mn", section="mentoring",
          migrations=Path(__file__).with_name("migrations"), roles=ROLES, settings={
              "checkin_days": Field("int", 14, check=between(1, 90)),  # members are asked how it goes
              "overdue_days": Field("int", 30, check=between(1, 180)),  # no meeting held or planned: nudged
              "reminder_hours": Field("int_list", [24, 1], check=between(1, 720, max_items=5)),
              "target_individual": Field("int", 4, check=between(1, 20)),  # meetings held, individual mentoring
              "target_group": Field("int", 4, check=between(1, 20)),  # ... group mentoring (4-6)
              "coordinator_destination": Field("str", ""),  # also told of trouble ("" = only the coordinator)
              "suggestions": Field("int", 3, check=between(1, 10)),  # match suggestions per aktori
              # the destination under whose chat a pair's room opens (a private Discord thread); "" = direct chats
              "conversation_host": Field("str", ""),
          })

SIDE_CHOICES = [Choice("mentor", _("Mentor"), {"fi": "mentori"}),
                Choice("aktori", _("Aktori (mentee)"), {"fi": "aktori"})]
MODE_CHOICES = [Choice("online", _("Online"), {"fi": "verkossa"}),
                Choice("campus", _("On campus"), {"fi": "kampuksella"}),
                Choice("either", _("Either"), {"fi": "kumpi_vain"})]
LANGUAGES = {"fi": _("Finnish"), "en": _("English"), "sv": _("Swedish")}
LANGUAGE_WORDS = {"fi": "fi", "suomi": "fi", "finnish": "fi", "en": "en", "englanti": "en", "english": "en",
                  "sv": "sv", "ruotsi": "sv", "swedish": "sv"}
GOAL_LABELS: dict[str, Text] = {
    "belonging": _("Belonging to the professional community"),
    "dialogue": _("Interaction in professional dialogue"),
    "reflection": _("Pausing for professional reflection"),
    "reciprocity": _("Reciprocity of the mentor and aktori roles"),
    "learning": _("Learning both ways"),
}
assert tuple(GOAL_LABELS) == GOALS


def campus_choices(config: Any) -> list[Choice]:
    return [Choice(c.id, c.name("en"), {"fi": c.name("fi")}) for c in config.campuses]


def settings(ctx: ServiceContext) -> Any:
    return ctx.section("mentoring")


def queries(ctx: ServiceContext) -> MentoringQueries:
    return MentoringQueries(ctx.db)


def key(pair_id: int, rest: str = "") -> str:
    return f"mn:{pair_id}:{rest}"


def is_coordinator(ctx: Context) -> bool:
    return ctx.has_role(*COORDINATORS)


async def current(ctx: ServiceContext) -> Programme:
    programme = await queries(ctx).current()
    if programme is None:
        raise UserError(_("No mentor programme is open: a coordinator opens one with /mentor programme."))
    return programme


async def pair_for(ctx: Context, number: int | None) -> Pair:
    """The pair a member means: the one named (theirs, or any for a coordinator), or their only open one."""
    if number is None:
        mine = await queries(ctx).pairs_of(ctx.person.id)
        if len(mine) != 1:
            raise UserError(_("You are in no open mentoring pair.") if not mine else
                            _("You are in several pairs: give the pair number."))
        return mine[0]
    pair = await queries(ctx).pair(number)
    if pair is None or ctx.person.id not in pair.members:
        # A coordinator's own pair lookups go through pair_any; members never learn other pairs exist.
        raise UserError(_("You have no mentoring pair number {number}.", number=number))
    return pair


async def pair_any(ctx: Context, number: int) -> Pair:
    pair = await queries(ctx).pair(number)
    if pair is None:
        raise UserError(_("There is no mentoring pair number {number}.", number=number))
    return pair


async def tell_coordinator(ctx: ServiceContext, programme_id: int, message: Text) -> None:
    programme = await queries(ctx).programme(programme_id)
    reply = Reply(message, title=_("Mentor programme"))
    if programme is not None and programme.coordinator_id is not None:
        await ctx.notify(programme.coordinator_id, reply)
    destination = settings(ctx)["coordinator_destination"]
    if destination:
        await ctx.post(destination, reply)


async def names(ctx: ServiceContext, ids: tuple[int, ...] | list[int]) -> ListOf:
    """People as the reader's list: "Emma ja Olli" / "Emma and Olli"."""
    found = [await ctx.people.get(i) for i in ids]
    return ListOf(p.display_name for p in found if p is not None)
