"""Conversations: a few members (people, a team's destination, sealed handles) talking through the bot, both
ways, each on their own platform.

A cog opens one with `ctx.open_conversation(kind, title, members, host=...)`. Where it is shown:
- Under the host destination's chat, a platform with shared rooms gets one, opened on the first delivery so
  that it is retried like any message: on Discord a thread (private; public when the host team is a member,
  so the whole team sees it) with the members who have a Discord account added; on Telegram a forum topic of
  the team's group, when the host team is a member.
- Everyone else gets each message in their direct chat, headed with the conversation's title and the
  sender's label. A team without a room on a platform (the console, a Telegram group that is not a forum)
  gets it in its chat there; a sealed member through `SealedRoutes` (bot/sealed.py), which alone knows
  the route.

Inbound (the frontends hand it here): a message written in a room is the sender's there; a non-command
message in a direct chat goes to the person's conversation by the rule in `from_direct`. The cog's
`@cog.conversation_message(kind)` handler sees it first (it may change or stop the relay); by default it is
relayed to every other member, labelled with the member's label or the writer's display name.

Texts are never stored beyond the outbox row that delivers them (cleared once sent) and never logged; a
message held while its writer picks a conversation lives in memory only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.commands import Button, Cog, DeclarationError, File, Rendered, Reply, clip, render_reply
from bot.context import Account, Context, ServiceContext
from bot.i18n import LANGUAGES, ListOf, Text, _, render
from storage.conversations import ConversationQueries, ConversationRow, MemberRow, NewMember
from storage.outbox import OutboxRow

if TYPE_CHECKING:
    from bot.app import Application
    from bot.frontends.base import Sent

log = logging.getLogger(__name__)

CONVERSATION = "conversation"  # the `shows` kind of the outbox rows of a conversation (the reply mapping)
PERSON, DESTINATION, SEALED = "person", "destination", "sealed"
MAX_FILE_BYTES = 8 * 1024 * 1024  # passed on per file: below Discord's and Telegram's upload limits
BUTTON_LABEL_MAX = 60  # a conversation's button: longer labels are cut on phones anyway
CLOSE_WAIT_SECONDS = 5.0  # how long closing waits for the "closed" note to reach the rooms
SENDER = _("Sender")  # a sealed member's label unless the cog chose one


@dataclass(frozen=True)
class Member:
    """Who is in a conversation: `Member.person(id)`, `Member.team("advocacy")` (the destination's chat: its
    team) or `Member.sealed(handle_id)`. `label` is shown on their relayed messages instead of their name
    (an anonymous conversation: `label=_("Sender")`, `label=_("Advocacy team")`)."""

    kind: str
    ref: str
    label: Text | None = None

    @classmethod
    def person(cls, person_id: int, label: Text | None = None) -> Member:
        return cls(PERSON, str(person_id), label)

    @classmethod
    def team(cls, destination: str, label: Text | None = None) -> Member:
        return cls(DESTINATION, destination, label)

    @classmethod
    def sealed(cls, handle_id: str, label: Text | None = None) -> Member:
        return cls(SEALED, handle_id, label)

    def same(self, row: MemberRow) -> bool:
        if self.kind == PERSON:
            return row.kind == PERSON and str(row.person_id) == self.ref
        return row.kind == self.kind and row.ref == self.ref


class SealedRoutes(Protocol):
    """Routes to people the database does not name (bot/sealed.py's `app.sealed`)."""

    async def deliver(self, handle: str, reply: Reply) -> bool:
        """Queue `reply` to whoever `handle` was sealed for; False if there is no such route any more."""
        ...

    async def is_for(self, handle: str, account: Account) -> bool:
        """Whether `handle` was sealed for this account (a sealed member writing in their direct chat)."""
        ...


@dataclass(frozen=True)
class ConversationMessage:
    """What a member wrote, as the cog's handler sees it."""

    conversation_id: int
    kind: str
    sender: Member  # the member it came from (a team member writing in the team's room: the team)
    author: str  # the writer's display name (for a sealed member: empty)
    text: str
    files: tuple[File, ...] = ()


# A handler returns None to relay the message as it is, False to relay nothing, or a Reply to relay instead.
ConversationHandler = Callable[..., Awaitable[Reply | bool | None]]


@dataclass(frozen=True)
class PerLanguage:
    """A text rendered once per language when it was stored (a title, a label)."""

    texts: Mapping[str, str]

    def render(self, language: str) -> str:
        return self.texts.get(language) or next(iter(self.texts.values()), "")


def per_language(text: Text) -> dict[str, str]:
    return {language: render(text, language) for language in LANGUAGES}


@dataclass(frozen=True)
class Heading:
    """“Private conversation “Statistics help”” (· Emma), in the reader's language: what a direct chat or a
    team's plain group shows above each message of a conversation."""

    titles: Mapping[str, str]
    inner: Text | None = None

    def render(self, language: str) -> str:
        title = PerLanguage(self.titles).render(language)
        heading = render(_("Private conversation “{title}”", title=title), language)
        return f"{heading} · {render(self.inner, language)}" if self.inner else heading


@dataclass(frozen=True)
class Choice:
    """“Statistics help (Emma, Olli)”, clipped to what a button shows well."""

    title: PerLanguage
    others: tuple[Text, ...]

    def render(self, language: str) -> str:
        names = ListOf(self.others).render(language)
        text = f"{self.title.render(language)} ({names})" if names else self.title.render(language)
        return clip(text, BUTTON_LABEL_MAX)


@dataclass
class Held:
    """A direct message waiting for its writer to pick one of their conversations (memory only)."""

    text: str
    files: tuple[File, ...]
    until: datetime


class Conversations:
    def __init__(self, app: Application, cogs: Sequence[Cog]) -> None:
        self.app = app
        self.rows = ConversationQueries(app.db)
        self.sealed: SealedRoutes | None = None  # bot/sealed.py's app.sealed, wired by the application
        self.handlers: dict[str, ConversationHandler] = {}
        for cog in cogs:
            for kind, handler in cog.conversation_handlers.items():
                if kind in self.handlers:
                    raise DeclarationError(f"conversation kind {kind!r} is handled by two cogs")
                self.handlers[kind] = handler
        self._rooms: dict[tuple[str, str], int] = {}  # (platform, room chat id) -> conversation id
        self._opening: dict[tuple[int, str], asyncio.Lock] = {}  # one opening per conversation and platform
        self._held: dict[int, Held] = {}

    async def load(self) -> None:
        """The index of opened rooms, so that a frontend knows at once which messages are ours to read."""
        self._rooms = {(platform, chat_id): cid for platform, chat_id, cid in await self.rows.rooms()}

    def room_of(self, platform: str, chat_id: str) -> int | None:
        """The conversation whose room this chat is (a Discord thread, a Telegram "group/topic"), if any."""
        return self._rooms.get((platform, chat_id))

    # ------------------------------------------------------------------------------------- the cog's side

    async def open(self, kind: str, title: Text, members: Sequence[Member], *, host: str | None = None,
                   first: Reply | None = None, first_from: Member | None = None) -> int:
        """A conversation of `members`; `host` is the destination under whose chat rooms open (default: the
        first team member's). `first` is its opening message: from the bot to everyone, or, with `first_from`,
        as that member's words (labelled as theirs, not sent back to them). Returns its id."""
        host = host or next((m.ref for m in members if m.kind == DESTINATION), None)
        if host is not None:
            self.app.config.destination(host)  # a misspelt destination fails in the cog, not later
        for member in members:
            if member.kind == DESTINATION:
                self.app.config.destination(member.ref)
        team = host is not None and any(m.kind == DESTINATION and m.ref == host for m in members)
        rooms: dict[str, str] = {}
        if host is not None:
            for frontend in self.app.frontends.values():
                parent = frontend.destination_chat(host)
                if parent is None or frontend.room_kind is None:
                    continue
                if frontend.room_kind == "topic" and not team:
                    continue  # a topic is the team's view; people still get DMs
                rooms[frontend.platform] = parent
        unique: list[Member] = []
        for member in members:  # once each, in the cog's order (labels are not hashable)
            if member not in unique:
                unique.append(member)
        rows = [await self._new_member(member, rooms) for member in unique]
        # A thread nobody would be in is not opened.
        for platform in [p for p in rooms if self.app.frontends[p].room_kind == "thread"]:
            if not team and not any(r.room == platform for r in rows):
                del rooms[platform]
        conversation_id = await self.rows.create(kind=kind, host=host, titles=per_language(title),
                                                 now=self.app.clock.now(), members=rows, rooms=rooms)
        if first is not None and first_from is not None:
            conversation = await self.rows.get(conversation_id)
            assert conversation is not None
            sender = next((m for m in conversation.members if first_from.same(m)), None)
            if sender is None:
                raise ValueError("first_from must be one of the members")
            await self._deliver(conversation, first, self._label(sender, await self._author(sender)), sender=sender,
                                origin=None)
        elif first is not None:
            await self.post(conversation_id, first)
        return conversation_id

    async def _author(self, member: MemberRow | None) -> str:
        """A person member's display name (what their words are labelled with unless they have a label)."""
        if member is None or member.kind != PERSON or member.person_id is None:
            return ""
        person = await self.app.people.get(member.person_id)
        return person.display_name if person else ""

    async def _new_member(self, member: Member, rooms: Mapping[str, str]) -> NewMember:
        labels = per_language(member.label) if member.label is not None else None
        if member.kind != PERSON:
            return NewMember(member.kind, None, member.ref, labels, None)
        person_id = int(member.ref)
        accounts = dict(await self.app.people.accounts(person_id))
        room = next((p for p in rooms if self.app.frontends[p].room_kind == "thread" and p in accounts), None)
        return NewMember(PERSON, person_id, None, labels, room)

    async def post(self, conversation_id: int, reply: Reply, *, label: Text | None = None,
                   as_member: Member | None = None) -> None:
        """A message from the cog (no member wrote it) to every member; with `as_member`, that member's words
        (labelled as theirs, not sent back to them), as `first_from` does for the opening message."""
        conversation = await self._get(conversation_id)
        if conversation is None:
            return
        sender = next((m for m in conversation.members if as_member.same(m)), None) if as_member else None
        if as_member is not None and sender is None:
            raise ValueError("as_member must be one of the members")
        await self._deliver(conversation, reply, label or self._label(sender, await self._author(sender)),
                            sender=sender, origin=None)

    async def delete(self, conversation_id: int) -> None:
        """Gone for good (a retention rule): its rows and undelivered messages. Members are not told; the
        platforms' rooms keep what they show (close it first to archive and lock them)."""
        await self.rows.delete(conversation_id)
        self._rooms = {key: cid for key, cid in self._rooms.items() if cid != conversation_id}

    async def add(self, conversation_id: int, member: Member, *, welcome: Reply | None = None) -> None:
        """A new member; told so (with `welcome` if given) wherever they get the conversation."""
        conversation = await self._get(conversation_id)
        if conversation is None or any(member.same(m) for m in conversation.members):
            return
        rooms = {r.platform: r.parent_chat_id for r in conversation.rooms if not r.refused}
        new = await self._new_member(member, rooms)
        await self.rows.add_member(conversation_id, new)
        await self._joined(conversation_id, new, welcome)

    async def remove(self, conversation_id: int, member: Member) -> None:
        """The member leaves: out of the platform's thread, told so, and no longer hears it."""
        conversation = await self._get(conversation_id)
        row = next((m for m in conversation.members if member.same(m)), None) if conversation else None
        if conversation is None or row is None:
            return
        await self.rows.remove_member(row.id)
        await self._left(conversation, row)

    async def transfer(self, conversation_id: int, old: Member, new: Member, *, welcome: Reply | None = None) -> None:
        """`new` takes `old`'s place (a tutor hands a student over), in one transaction."""
        conversation = await self._get(conversation_id)
        row = next((m for m in conversation.members if old.same(m)), None) if conversation else None
        if conversation is None or row is None:
            return
        rooms = {r.platform: r.parent_chat_id for r in conversation.rooms if not r.refused}
        added = await self._new_member(new, rooms)
        await self.rows.transfer(row.id, conversation_id, added)
        await self._left(conversation, row)
        await self._joined(conversation_id, added, welcome)

    async def close(self, conversation_id: int) -> None:
        """Closed: its rooms archived and locked (Discord) or closed (Telegram topics); every member told."""
        await self._set_open(conversation_id, False)

    async def reopen(self, conversation_id: int) -> None:
        await self._set_open(conversation_id, True)

    async def members(self, conversation_id: int) -> list[Member]:
        conversation = await self.rows.get(conversation_id)
        if conversation is None:
            return []
        return [Member(m.kind, str(m.person_id) if m.kind == PERSON else m.ref or "",
                       PerLanguage(m.labels) if m.labels else None) for m in conversation.members]

    async def is_open(self, conversation_id: int) -> bool:
        conversation = await self.rows.get(conversation_id)
        return conversation is not None and conversation.open

    async def _get(self, conversation_id: int) -> ConversationRow | None:
        conversation = await self.rows.get(conversation_id)
        if conversation is None:
            log.warning("conversation %s does not exist", conversation_id)
        return conversation

    async def _joined(self, conversation_id: int, row: NewMember, welcome: Reply | None) -> None:
        conversation = await self.rows.get(conversation_id)
        if conversation is None:
            return
        if row.kind == PERSON and row.room is not None:
            room = conversation.room(row.room)
            user_id = await self._account(row.person_id, row.room)
            if room is not None and room.chat_id is not None and user_id is not None:
                await self.app.frontends[row.room].add_to_room(room.chat_id, user_id)
        note = welcome or Reply(_("You were added to this conversation."))
        await self._to_member(conversation, row, note, None)

    async def _left(self, conversation: ConversationRow, row: MemberRow) -> None:
        if row.kind == PERSON and row.room is not None:
            room = conversation.room(row.room)
            user_id = await self._account(row.person_id, row.room)
            if room is not None and room.chat_id is not None and user_id is not None:
                await self.app.frontends[row.room].remove_from_room(room.chat_id, user_id)
        if row.kind == PERSON and row.person_id is not None:
            # Told in their direct chat: the room is no longer theirs to read.
            await self.app.outbox.to_person(row.person_id, self._headed(
                conversation, Reply(_("You are no longer in this conversation.")), None))

    async def _set_open(self, conversation_id: int, is_open: bool) -> None:
        conversation = await self._get(conversation_id)
        if conversation is None or conversation.open == is_open:
            return
        if is_open:  # the rooms take messages again, then everyone is told
            await self.rows.set_status(conversation_id, "open")
            await self._close_rooms(conversation, closed=False)
            await self._deliver(conversation, Reply(_("This conversation was reopened.")), None, sender=None,
                                origin=None)
            return
        # Told first, while the rooms still take messages; then they are archived or closed.
        await self._deliver(conversation, Reply(_("This conversation was closed.")), None, sender=None, origin=None)
        with contextlib.suppress(TimeoutError):  # a busy outbox: the rooms close anyway, the note follows
            await self.app.outbox.drain(timeout=CLOSE_WAIT_SECONDS)
        await self.rows.set_status(conversation_id, "closed")
        await self._close_rooms(conversation, closed=True)

    async def _close_rooms(self, conversation: ConversationRow, *, closed: bool) -> None:
        for room in conversation.rooms:
            frontend = self.app.frontends.get(room.platform)
            if frontend is None or room.chat_id is None or room.refused:
                continue
            try:
                await frontend.close_room(room.chat_id, closed=closed)
            except Exception as error:  # the conversation's state is ours: a platform hiccup is only logged
                log.warning("conversation %s: %s room not %s: %s", conversation.id, room.platform,
                            "closed" if closed else "reopened", type(error).__name__)

    async def _account(self, person_id: int | None, platform: str) -> str | None:
        if person_id is None:
            return None
        return dict(await self.app.people.accounts(person_id)).get(platform)

    # ------------------------------------------------------------------------------------------ delivery

    def _usable(self, conversation: ConversationRow, platform: str | None) -> bool:
        """Whether the platform's room can carry messages now (opened later if need be)."""
        if platform is None or platform not in self.app.frontends:
            return False
        room = conversation.room(platform)
        return room is not None and not room.refused

    def _label(self, row: MemberRow | None, author: str) -> Text | None:
        if row is None:
            return None
        if row.labels:
            return PerLanguage(row.labels)
        return SENDER if row.kind == SEALED else author or None

    @staticmethod
    def _headed(conversation: ConversationRow, reply: Reply, label: Text | None) -> Reply:
        return dataclasses.replace(reply, title=Heading(conversation.titles, label or reply.title))

    async def _deliver(self, conversation: ConversationRow, reply: Reply, label: Text | None, *,
                       sender: MemberRow | None, origin: str | None) -> None:
        """To every member but the sender: each usable room once (not the one it was written in), then the
        members no room reaches. `origin`: the platform whose shared place (room or team chat) it came from."""
        outbox = self.app.outbox
        shows = (CONVERSATION, conversation.id)
        in_room = dataclasses.replace(reply, title=label or reply.title)
        host_language = self._host_language(conversation)
        for room in conversation.rooms:
            if room.platform == origin or not self._usable(conversation, room.platform):
                continue
            await outbox.rows.add(
                now=self.app.clock.now(), person_id=None, destination=conversation.host, platform=room.platform,
                target_kind="thread", target_id=str(conversation.id), language=host_language,
                body=render_reply(in_room, host_language).to_json(), shows=shows, urgent=True,
            )
        for member in conversation.members:
            if sender is not None and member.id == sender.id:
                continue
            await self._to_member(conversation, member, reply, label, origin=origin)
        outbox.wake()

    async def _to_member(self, conversation: ConversationRow, member: MemberRow | NewMember, reply: Reply,
                         label: Text | None, *, origin: str | None = None) -> None:
        """One member, where no room reaches them: a DM, the team's own chat, or the sealed route."""
        headed = self._headed(conversation, reply, label)
        if member.kind == PERSON and member.person_id is not None:
            if not self._usable(conversation, member.room):
                await self.app.outbox.to_person(member.person_id, headed, shows=(CONVERSATION, conversation.id))
        elif member.kind == DESTINATION and member.ref is not None:
            await self._to_team(conversation, member.ref, headed, origin)
        elif member.kind == SEALED and member.ref is not None:
            if self.sealed is None:
                log.warning("conversation %s: a sealed member, but no sealed delivery is set up", conversation.id)
                return
            if not await self.sealed.deliver(member.ref, headed):
                log.info("conversation %s: a sealed member's route is gone", conversation.id)

    async def _to_team(self, conversation: ConversationRow, destination: str, reply: Reply, origin: str | None) -> None:
        """The team's chat on each platform where no room of this conversation shows it to them."""
        language = self.app.config.destination(destination).language
        for frontend in self.app.frontends.values():
            chat_id = frontend.destination_chat(destination)
            hosted = destination == conversation.host and self._usable(conversation, frontend.platform)
            if chat_id is None or hosted or frontend.platform == origin:
                continue
            await self.app.outbox.rows.add(
                now=self.app.clock.now(), person_id=None, destination=destination, platform=frontend.platform,
                target_kind="chat", target_id=chat_id, language=language,
                body=render_reply(reply, language).to_json(), shows=(CONVERSATION, conversation.id), urgent=True,
            )

    def _host_language(self, conversation: ConversationRow) -> str:
        destination = self.app.config.destinations.get(conversation.host or "")
        return destination.language if destination else self.app.config.community.default_language

    # ------------------------------------------------------------------------------------- outbox hooks

    async def chat_for(self, row: OutboxRow) -> str | None:
        """The platform's room for a "thread" row, opened on first use; None if the platform cannot host it."""
        conversation_id = int(row.target_id)
        async with self._opening.setdefault((conversation_id, row.platform), asyncio.Lock()):
            conversation = await self.rows.get(conversation_id)
            room = conversation.room(row.platform) if conversation else None
            if conversation is None or room is None or room.refused:
                return None
            if room.chat_id is not None:
                return room.chat_id
            user_ids = [user_id for m in conversation.members if m.kind == PERSON and m.room == row.platform
                        if (user_id := await self._account(m.person_id, row.platform)) is not None]
            team = any(m.kind == DESTINATION and m.ref == conversation.host for m in conversation.members)
            chat_id = await self.app.frontends[row.platform].open_room(
                room.parent_chat_id, conversation.title(row.language), user_ids, team=team)
            if chat_id is None:
                log.warning("conversation %s: %s cannot host it; its members get DMs", conversation_id, row.platform)
                await self.rows.refuse_room(conversation_id, row.platform)
                return None
            await self.rows.set_room(conversation_id, row.platform, chat_id)
            self._rooms[(row.platform, chat_id)] = conversation_id
            return chat_id

    async def reroute(self, row: OutboxRow, message: Rendered) -> None:
        """The platform could not host the room after all: its people get this message as DMs and its team in
        its chat (already rendered, so in the host's language)."""
        outbox = self.app.outbox
        await outbox.rows.mark_final(row.id, "rerouted", "no room")
        conversation = await self.rows.get(int(row.target_id))
        if conversation is None:
            return
        heading = Heading(conversation.titles, message.title).render(row.language)
        body = dataclasses.replace(message, title=heading).to_json()
        for member in conversation.members:
            if member.kind == PERSON and member.room == row.platform and member.person_id is not None:
                await outbox.queue_dm(member.person_id, row.language, body, row.shows)
            elif member.kind == DESTINATION and member.ref == conversation.host:
                await outbox.rows.add(
                    now=self.app.clock.now(), person_id=None, destination=conversation.host, platform=row.platform,
                    target_kind="chat", target_id=self._parent(conversation, row.platform), language=row.language,
                    body=body, shows=row.shows, urgent=True,
                )
        outbox.wake()

    @staticmethod
    def _parent(conversation: ConversationRow, platform: str) -> str:
        room = conversation.room(platform)
        assert room is not None
        return room.parent_chat_id

    async def delivered(self, row: OutboxRow, sent: Sent) -> None:
        """A relayed message reached a direct chat or a team's plain chat: a reply to it finds its way back."""
        if row.target_kind == "thread":
            return  # a room is known by its own id
        await self.rows.remember_relay(int(row.shows[1]) if row.shows else 0, row.platform,
                                       row.person_id, None if row.person_id is not None else sent.chat_id,
                                       sent.message_id, self.app.clock.now())

    # --------------------------------------------------------------------------------------- inbound side

    async def from_room(self, ctx: Context, conversation_id: int, text: str, files: Sequence[File]) -> Reply | None:
        """A message written in a conversation's room (a Discord thread, a Telegram topic); None when the writer
        is not a member (a moderator reading along: their words are not passed on)."""
        refused = await self.app.core.admit(ctx)  # typed lines in direct chats were counted as commands already
        if refused is not None:
            return refused
        conversation = await self.rows.get(conversation_id)
        if conversation is None:
            return None
        sender = conversation.person(ctx.person.id)
        if sender is None:  # someone of the hosting team (they see the room through its channel or group)
            sender = next((m for m in conversation.members if m.kind == DESTINATION and m.ref == conversation.host),
                          None)
        if sender is None:
            return None
        return await self._receive(ctx, conversation, sender, ctx.person.display_name, text, files, ctx.platform)

    async def relayed_in_chat(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """The conversation a message relayed to a team's plain group belongs to (a reply to it is the team's)."""
        return await self.rows.relayed_in_chat(platform, chat_id, message_id)

    async def from_team_chat(self, ctx: Context, conversation_id: int, text: str,
                             files: Sequence[File]) -> Reply | None:
        """A reply, in a team's plain group, to a message of the conversation relayed there: the team's."""
        refused = await self.app.core.admit(ctx)
        if refused is not None:
            return refused
        conversation = await self.rows.get(conversation_id)
        frontend = self.app.frontends.get(ctx.platform)
        sender = next((m for m in conversation.members if m.kind == DESTINATION and frontend is not None
                       and frontend.destination_chat(m.ref or "") == ctx.chat.id), None) if conversation else None
        if conversation is None or sender is None:
            return None
        return await self._receive(ctx, conversation, sender, ctx.person.display_name, text, files, ctx.platform)

    @staticmethod
    def too_large() -> Reply:
        return Reply(_("That file is too large to pass on (at most {megabytes} MB).",
                       megabytes=MAX_FILE_BYTES // (1024 * 1024)))

    async def from_direct(self, ctx: Context, text: str, files: Sequence[File],
                          replied_to: str | None = None) -> Reply | None:
        """A non-command message in a person's direct chat. The rule:
        1. a reply to a message relayed from a conversation goes to that conversation;
        2. otherwise, if the person is in exactly one open conversation, it goes there (as a member by person,
           or as a sealed member whose route leads to the account they write from: then anonymously);
        3. in several, it is held (in memory) and the person picks one with buttons;
        4. in none, None: the frontend answers as it does to any chatter.
        A relayed message gets an empty Reply (nothing to show the writer).
        """
        if replied_to is not None:
            conversation_id = await self.rows.relayed_to_person(ctx.platform, ctx.person.id, replied_to)
            conversation = await self.rows.get(conversation_id) if conversation_id is not None else None
            sender = conversation.person(ctx.person.id) if conversation else None
            if conversation is not None and sender is not None:
                return await self._receive(ctx, conversation, sender, ctx.person.display_name, text, files, None)
        mine = await self._memberships(ctx)
        if not mine:
            return None
        if len(mine) == 1:
            conversation, sender = mine[0]
            return await self._as_member(ctx, conversation, sender, text, files)
        until = ctx.now() + timedelta(seconds=self.app.config.bot.prompt_timeout_seconds)
        self._held[ctx.person.id] = Held(text, tuple(files), until)
        await self.app.core.prompt_moved(ctx)  # several processes: the choice is handed to this one
        buttons = [[Button(await self._choice(c, m), cog.action_id("to", c.id))] for c, m in mine]
        question = Reply(_("You are in several conversations. Which one is this message for? (Replying to a message "
                           "of a conversation sends it there directly.)"), buttons=buttons)
        return self.app.core.seal(question, ctx.person.id)  # owner-only buttons: signed for the writer

    async def _memberships(self, ctx: Context) -> list[tuple[ConversationRow, MemberRow]]:
        """The person's open conversations with their membership: by person, and (when sealed routes are wired)
        the sealed ones whose route leads to the account they write from, found by opening each route."""
        found = [(c, m) for c in await self.rows.open_for_person(ctx.person.id)
                 if (m := c.person(ctx.person.id)) is not None]
        if self.sealed is not None:
            for conversation_id, handle in await self.rows.open_sealed():
                if await self.sealed.is_for(handle, ctx.account):
                    conversation = await self.rows.get(conversation_id)
                    member = next((m for m in conversation.members if m.kind == SEALED and m.ref == handle), None) \
                        if conversation else None
                    if conversation is not None and member is not None:
                        found.append((conversation, member))
        return sorted(found, key=lambda pair: pair[0].id)

    async def _as_member(self, ctx: Context, conversation: ConversationRow, sender: MemberRow, text: str,
                         files: Sequence[File]) -> Reply:
        """A sealed member stays anonymous to the cog too: its handler gets no person and no name."""
        if sender.kind == SEALED:
            return await self._receive(ServiceContext(self.app), conversation, sender, "", text, files, None)
        return await self._receive(ctx, conversation, sender, ctx.person.display_name, text, files, None)

    async def _choice(self, conversation: ConversationRow, me: MemberRow) -> Text:
        """A conversation as a button: its title and who else is in it (as they are shown to others)."""
        others: list[Text] = []
        for member in conversation.members:
            if member.id == me.id:
                continue
            if member.labels:
                others.append(PerLanguage(member.labels))
            elif member.kind == PERSON and member.person_id is not None:
                person = await self.app.people.get(member.person_id)
                others.append(person.display_name if person else "?")
            else:
                others.append(SENDER if member.kind == SEALED else member.ref or "?")
        return Choice(PerLanguage(conversation.titles), tuple(others))

    def held_until(self, person_id: int) -> datetime | None:
        """Until when a message of this person waits here for them to pick a conversation (None: none waits)."""
        held = self._held.get(person_id)
        return held.until if held is not None else None

    async def send_held(self, ctx: Context, conversation_id: int) -> Reply:
        held = self._held.get(ctx.person.id)
        if held is None or ctx.now() > held.until:
            self._held.pop(ctx.person.id, None)
            return Reply(notice=_("That message is no longer waiting. Write it again."))
        found = next(((c, m) for c, m in await self._memberships(ctx) if c.id == conversation_id), None)
        if found is None:
            return Reply(notice=_("You are not in that conversation."))
        del self._held[ctx.person.id]
        conversation, sender = found
        answer = await self._as_member(ctx, conversation, sender, held.text, held.files)
        if answer.text:
            return dataclasses.replace(answer, edit=True)
        return Reply(_("Sent to “{title}”.", title=PerLanguage(conversation.titles)), edit=True)

    async def receive_sealed(self, ctx: ServiceContext, conversation_id: int, handle_id: str, text: str,
                             files: Sequence[File] = ()) -> Reply | None:
        """A sealed member wrote (bot/sealed.py hands it over without saying who): relayed like any member's."""
        conversation = await self.rows.get(conversation_id)
        sender = next((m for m in conversation.members if m.kind == SEALED and m.ref == handle_id), None) \
            if conversation else None
        if conversation is None or sender is None:
            return None
        return await self._receive(ctx, conversation, sender, "", text, files, None)

    async def _receive(self, ctx: ServiceContext, conversation: ConversationRow, sender: MemberRow, author: str,
                       text: str, files: Sequence[File], origin: str | None) -> Reply:
        """The cog's handler first, then the relay. The writer's answer is empty (nothing to show) unless the
        conversation is closed or a file too large."""
        if not text.strip() and not files:
            return Reply()  # a sticker, a poll: nothing we pass on
        if not conversation.open:
            return Reply(_("This conversation is closed."))
        if any(len(f.data) > MAX_FILE_BYTES for f in files):
            return self.too_large()
        as_member = Member(sender.kind, str(sender.person_id) if sender.kind == PERSON else sender.ref or "",
                           PerLanguage(sender.labels) if sender.labels else None)
        message = ConversationMessage(conversation.id, conversation.kind, as_member, author, text, tuple(files))
        handler = self.handlers.get(conversation.kind)
        outcome = await handler(ctx, message) if handler is not None else None
        if outcome is False:
            return Reply()
        relayed = outcome if isinstance(outcome, Reply) else Reply(text, files=list(files))
        await self._deliver(conversation, relayed, self._label(sender, author), sender=sender, origin=origin)
        return Reply()


# The buttons a person in several conversations picks one with; declared like a cog's, so the permission
# rules and the matrix cover them.
cog = Cog("conversation", _("Conversations"), prefix="conv")


@cog.action("to", owner_only=True)
async def _send_to(ctx: Context, conversation_id: int) -> Reply:
    return await ctx.app.conversations.send_held(ctx, conversation_id)


@cog.export_person
async def _export(ctx: ServiceContext, person_id: int) -> list[dict[str, object]]:
    return await ctx.app.conversations.rows.of_person(person_id)
