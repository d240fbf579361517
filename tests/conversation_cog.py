"""A cog only the conversation tests load, standing in for tutoring and anonymous feedback: its commands open
and manage conversations through the public Context API, and its handler records what members wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from bot.commands import Cog, Param, PersonRef, Reply
from bot.context import Context, ServiceContext
from bot.conversations import ConversationMessage, Member, PerLanguage

tutordemo = Cog("tutordemo", "Conversation test commands")
ADVOCACY = PerLanguage({"fi": "Edunvalvontatiimi", "en": "Advocacy team"})


@dataclass
class Heard:
    """What the handler saw, in order: (conversation id, sender kind, author, text, file names)."""

    messages: list[tuple[int, str, str, str, tuple[str, ...]]] = field(default_factory=list)
    also: list[int] = field(default_factory=list)  # further members by person id (platform options can't name)
    team: str | None = None  # a team destination to add as a member when opening


HEARD = Heard()


def reset() -> None:
    HEARD.messages.clear()
    HEARD.also.clear()
    HEARD.team = None


@tutordemo.conversation_message("tutoring")
async def heard(ctx: ServiceContext, message: ConversationMessage) -> Reply | bool | None:
    HEARD.messages.append((message.conversation_id, message.sender.kind, message.author, message.text,
                           tuple(f.name for f in message.files)))
    if message.text == "secret":
        return False  # the cog keeps it to itself
    if message.text.startswith("shout "):
        return Reply(message.text.removeprefix("shout ").upper())
    return None


Who = Annotated[PersonRef, Param("Who")]
Id = Annotated[int, Param("Conversation", min=1)]


def person(who: PersonRef) -> Member:
    return Member.person(who.id)  # type: ignore[attr-defined]


@tutordemo.command("Open a conversation with someone")
async def open_(ctx: Context, who: Who) -> Reply:
    members = [Member.person(ctx.person.id), person(who), *(Member.person(p) for p in HEARD.also)]
    if HEARD.team is not None:
        members.append(Member.team(HEARD.team))
    conversation_id = await ctx.open_conversation("tutoring", "Statistics help", members, host="tutors",
                                                  first=Reply("Welcome, both of you"))
    return Reply(f"conversation {conversation_id}")


@tutordemo.command("Post in a conversation")
async def post(ctx: Context, conversation: Id, text: Annotated[str, Param("Text", max_len=200)]) -> Reply:
    await ctx.post_to_conversation(conversation, Reply(text))
    return Reply("posted")


@tutordemo.command("Add someone")
async def add(ctx: Context, conversation: Id, who: Who) -> Reply:
    await ctx.add_to_conversation(conversation, person(who))
    return Reply("added")


@tutordemo.command("Remove someone")
async def remove(ctx: Context, conversation: Id, who: Who) -> Reply:
    await ctx.remove_from_conversation(conversation, person(who))
    return Reply("removed")


@tutordemo.command("Hand over to someone")
async def transfer(ctx: Context, conversation: Id, who: Who) -> Reply:
    await ctx.transfer_conversation(conversation, Member.person(ctx.person.id), person(who),
                                    welcome=Reply("You take over from your colleague"))
    return Reply("handed over")


@tutordemo.command("Close a conversation")
async def close(ctx: Context, conversation: Id) -> Reply:
    await ctx.close_conversation(conversation)
    return Reply("closed")


@tutordemo.command("Reopen a conversation")
async def reopen(ctx: Context, conversation: Id) -> Reply:
    await ctx.reopen_conversation(conversation)
    return Reply("reopened")


@tutordemo.command("Send feedback without your name", private=True)
async def feedback(ctx: Context, text: Annotated[str, Param("Your feedback", max_len=500)]) -> Reply:
    """Anonymous feedback on a real sealed route: the team answers, the sender writes back, nobody is named."""
    sender = Member.sealed(await ctx.seal_route())
    await ctx.open_conversation("tutoring", "Feedback", [sender, Member.team("tutors", label=ADVOCACY)],
                                first=Reply(text), first_from=sender)
    return Reply("Sent without your name.", private=True)


async def open_anonymous(ctx: ServiceContext, handle_id: str) -> int:
    """Anonymous feedback: a sealed sender and the advocacy team, each labelled, never named."""
    return await ctx.open_conversation("tutoring", "Feedback", [Member.sealed(handle_id),
                                                                Member.team("tutors", label=ADVOCACY)])
