"""Member benefits: listed by place through the pager, kept by the board, and the gaps between campuses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from bot.commands import Button, Param, Reply, UserError
from bot.context import Context
from bot.i18n import Lines, ListOf, Text, When, _
from bot.pager import Line, source_pager
from cogs.membership.common import (
    EVERYWHERE,
    campus_choices,
    cog,
    kind_choices,
    place_choices,
    place_name,
    places,
    queries,
    settings,
)
from cogs.membership.storage import Benefit

ALL = "-"  # no campus filter, in a page button


def _line(ctx: Context, benefit: Benefit) -> Text:
    until: Text | None = _("valid until {when}", when=When(benefit.valid_until)) if benefit.valid_until else None
    return Lines(_("{name} ({place}): {what}", name=benefit.name, place=place_name(ctx.config, benefit.place),
                   what=benefit.what), until, sep="; ")


async def _page(ctx: Context, page: int, campus: str, *, edit: bool) -> Reply:
    where = None if campus == ALL else [campus, EVERYWHERE]
    board = ctx.has_role("board")

    def line(b: Benefit) -> Line:
        return Line(_line(ctx, b), [Button(_("Edit"), cog.action_id("bed", b.id)),
                                    Button(_("Remove"), cog.action_id("brm", b.id), style="danger")] if board else [])

    title: Text = _("Member benefits") if campus == ALL else \
        _("Member benefits: {place}", place=place_name(ctx.config, campus))
    return await source_pager(queries(ctx).benefits_paged(ctx.now(), where), line, page=page,
                              size=settings(ctx)["page_size"], turn=lambda n: cog.action_id("ben", n, campus),
                              title=title, empty=_("No member benefits listed here yet."), edit=edit)


@cog.command(_("Member benefits, by campus"), top_level=True)
async def benefits(ctx: Context,
                   campus: Annotated[str | None, Param(_("Where you study"),
                                                       question=_("Which campus do you study at?"),
                                                       choices=campus_choices,
                                                       names={"fi": "kampus"})] = None) -> Reply:
    return await _page(ctx, 1, campus or ALL, edit=False)


@cog.action("ben")
async def benefits_page(ctx: Context, page: int, campus: str) -> Reply:
    if campus != ALL and campus not in places(ctx.config):
        raise UserError(_("That campus is not known."))
    return await _page(ctx, page, campus, edit=True)


Name = Annotated[str, Param(_("Benefit"),
                            question=_("What is the benefit called?"),
                            max_len=80, names={"fi": "nimi"}, example='"Lounas -10 %"')]
What = Annotated[str, Param(_("What a member gets"),
                            question=_("What does a member get?"), max_len=300, long=True, names={"fi": "mita"})]
Kind = Annotated[str, Param(_("Kind"),
                            question=_("What kind of benefit is it?"), choices=kind_choices, names={"fi": "laji"})]
Where = Annotated[str, Param(_("Where it holds"),
                             question=_("Where does the benefit hold?"), choices=place_choices, names={"fi": "missa"})]
Until = Annotated[datetime | None, Param(_("Valid until"),
                                         question=_("Until when is it valid?"), future=True, names={"fi": "voimassa"})]


@cog.command(_("Add a member benefit"), roles={"board"})
async def benefit(ctx: Context, name: Name, what: What, kind: Kind, where: Where, until: Until = None) -> Reply:
    await queries(ctx).add_benefit(name, what, kind, where, until, ctx.now())
    return Reply(_("Added the benefit {name}.", name=name), private=True)


@cog.form(_("Edit a member benefit"), roles={"board"})
async def edit_benefit(ctx: Context, benefit_id: Annotated[int, Param(_("Benefit number"),
                                                                      question=_("Which benefit (its number)?"),
                                                                      min=1)], name: Name,
                       what: What, kind: Kind, where: Where, until: Until = None) -> Reply:
    if not await queries(ctx).edit_benefit(benefit_id, name, what, kind, where, until):
        raise UserError(_("That benefit is gone."))
    return Reply(_("Saved the benefit {name}.", name=name), private=True)


@cog.action("bed", roles={"board"})
async def edit_pressed(ctx: Context, benefit_id: int) -> Reply:
    if await queries(ctx).benefit(benefit_id) is None:
        raise UserError(_("That benefit is gone."))
    return await ctx.form(edit_benefit, {"benefit_id": benefit_id})


@cog.action("brm", roles={"board"})
async def remove_pressed(ctx: Context, benefit_id: int) -> Reply:
    found = await queries(ctx).benefit(benefit_id)
    if found is None:
        raise UserError(_("That benefit is gone."))
    return ctx.confirm(_("Remove the benefit {name}?", name=found.name), _("It is no longer listed anywhere."),
                       cog.action_id("brmy", benefit_id), yes_label=_("Remove"))


@cog.action("brmy", roles={"board"}, owner_only=True)
async def remove_yes(ctx: Context, benefit_id: int) -> Reply:
    if not await queries(ctx).remove_benefit(benefit_id):
        return Reply(_("That benefit is gone."), edit=True)
    return Reply(_("Removed."), edit=True)


def gaps_of(found: list[Benefit], everywhere_places: list[str]) -> dict[str, list[str]]:
    """Per kind that some place has: the places that lack it (a benefit valid everywhere covers them all)."""
    has: dict[str, set[str]] = {}
    for b in found:
        has.setdefault(b.kind, set()).update(everywhere_places if b.place == EVERYWHERE else [b.place])
    return {kind: [p for p in everywhere_places if p not in held] for kind, held in sorted(has.items())
            if any(p not in held for p in everywhere_places)}


@cog.command(_("Campuses that lack a kind of benefit others have"), top_level=True)
async def benefit_gaps(ctx: Context) -> Reply:
    gaps = gaps_of(await queries(ctx).benefits(ctx.now()), places(ctx.config))
    if not gaps:
        return Reply(_("Every campus and online students have every kind of benefit listed."),
                     title=_("Benefit gaps"))
    lines = [_("{kind}: missing for {places}", kind=kind,
               places=ListOf(place_name(ctx.config, p) for p in missing))
             for kind, missing in gaps.items()]
    return Reply(Lines(*lines), title=_("Benefit gaps"))

