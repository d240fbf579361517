"""A test cog built only from the interaction kit: a form opened from a button (with a field that must fit
another, re-asked), a confirmation, and a pager. The form tests run it on the console and the fakes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from bot.commands import Button, Choice, Cog, FieldError, Param, Reply
from bot.context import Context
from bot.pager import Line, pager

kit = Cog("kit", "The form kit test cog", prefix="kit")
SIGNUPS: list[dict[str, object]] = []
DIETS = [Choice("none", "No diet", {"fi": "ei"}), Choice("vegan", "Vegan", {"fi": "vegaani"})]


@kit.form("Sign up for the trip")
async def trip(
    ctx: Context,
    name: Annotated[str, Param("Your name", max_len=40, names={"fi": "nimi"})],
    seats: Annotated[int, Param("Seats", min=1, max=4, names={"fi": "paikat"})],
    arriving: Annotated[datetime, Param("Arriving", future=True, names={"fi": "saapuu"})],
    diet: Annotated[str | None, Param("Diet", choices=DIETS, names={"fi": "ruokavalio"})] = None,
    sauna: Annotated[bool | None, Param("Sauna", names={"fi": "sauna"})] = None,
    note: Annotated[str | None, Param("Anything else", long=True, max_len=500, names={"fi": "muuta"})] = None,
) -> Reply:
    if sauna and seats > 2:
        raise FieldError("The sauna fits at most two of one group: fewer seats, please.", "seats")
    SIGNUPS.append({"name": name, "seats": seats, "arriving": arriving, "diet": diet, "sauna": sauna,
                    "note": note, "by": ctx.person.id})
    return Reply(f"Signed up {name}: {seats} seats, diet {diet}, sauna {sauna}, note {note}.", private=True)


@kit.command("Open the trip form")
async def trip_button(ctx: Context) -> Reply:
    return Reply("The trip", buttons=[Button("Sign up", kit.action_id("open"))])


@kit.action("open")
async def open_trip(ctx: Context) -> Reply:
    return await ctx.form(trip)


@kit.command("Delete every sign-up")
async def wipe(ctx: Context) -> Reply:
    return ctx.confirm("Delete every sign-up?", "Nobody is signed up after this.", kit.action_id("wipe_yes"),
                       yes_label="Delete")


@kit.action("wipe_yes", owner_only=True)
async def wipe_yes(ctx: Context) -> Reply:
    SIGNUPS.clear()
    return Reply("Deleted.", edit=True)


@kit.action("anyone")
async def anyone(ctx: Context) -> Reply:
    return Reply("pressed")


@kit.command("Numbers in pages")
async def numbers(ctx: Context) -> Reply:
    return _numbers(1, edit=False)


@kit.action("numbers")
async def numbers_page(ctx: Context, page: int) -> Reply:
    return _numbers(page, edit=True)


def _numbers(page: int, *, edit: bool) -> Reply:
    lines = [Line(f"number {n}", [Button(f"Pick {n}", kit.action_id("anyone"))]) for n in range(1, 13)]
    return pager(lines, page=page, size=5, turn=lambda n: kit.action_id("numbers", n), title="Numbers",
                 empty="none", edit=edit)
