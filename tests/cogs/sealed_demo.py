"""A test-only anonymous feedback cog on sealed delivery: what a real one would do, in a few lines.

`/anon send TEXT` seals the sender's route and posts the text to the board without a name (`/anon more N TEXT`
adds to it, checked against the sealed route, so only its sender can); the board answers
with `/anon answer N TEXT` (delivered through the sealed route), blocks a sender with `/anon block N` (a keyed
sender hash, so the block follows the person to their linked accounts) and closes a case with `/anon close N`.
Its cases live in memory: `demo_cog()` makes a fresh cog (and store) per test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from bot.commands import Cog, Param, Reply, UserError
from bot.context import Context

BLOCK = "anon-block"


@dataclass
class Case:
    handle: str
    text: str
    sender: str  # the keyed hash of the sender for BLOCK: says nothing without the secret


@dataclass
class Store:
    cases: dict[int, Case] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)


def demo_cog() -> Cog:
    cog = Cog("anon", "Anonymous feedback (test)", needs_secret=True)
    store = Store()

    def case(number: int) -> Case:
        found = store.cases.get(number)
        if found is None:
            raise UserError(f"No feedback #{number}.")
        return found

    @cog.command("Send feedback without your name", private=True)
    async def send(ctx: Context, text: Annotated[str, Param("Your feedback", max_len=500)]) -> Reply:
        sender = ctx.sender_key(BLOCK)
        if sender in store.blocked:
            raise UserError("You cannot send feedback any more.")
        number = len(store.cases) + 1
        store.cases[number] = Case(await ctx.seal_route(), text, sender)
        await ctx.post("board", Reply(f"Feedback #{number}: {text}"))
        return Reply(f"Sent without your name as #{number}.", private=True)

    @cog.command("Add to your own feedback", private=True)
    async def more(ctx: Context, number: Annotated[int, Param("Feedback number", min=1)],
                   text: Annotated[str, Param("What to add", max_len=500)]) -> Reply:
        if not await ctx.owns_route(case(number).handle):
            raise UserError(f"Feedback #{number} is not yours.")
        await ctx.post("board", Reply(f"Feedback #{number}, more: {text}"))
        return Reply(f"Added to #{number}.", private=True)

    @cog.command("Answer feedback", roles={"board"})
    async def answer(ctx: Context, number: Annotated[int, Param("Feedback number", min=1)],
                     text: Annotated[str, Param("Your answer", max_len=500)]) -> Reply:
        delivered = await ctx.notify_sealed(case(number).handle, Reply(f"Answer to your feedback #{number}: {text}"))
        return Reply("Answer sent." if delivered else "That sender can no longer be reached.")

    @cog.command("Block the sender of feedback", roles={"board"})
    async def block(ctx: Context, number: Annotated[int, Param("Feedback number", min=1)]) -> Reply:
        store.blocked.add(case(number).sender)
        return Reply(f"The sender of #{number} is blocked.")

    @cog.command("Close feedback", roles={"board"})
    async def close(ctx: Context, number: Annotated[int, Param("Feedback number", min=1)]) -> Reply:
        await ctx.drop_sealed(case(number).handle)
        return Reply(f"#{number} closed.")

    return cog
