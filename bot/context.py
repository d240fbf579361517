"""Who is acting, where, with which roles and language; and what a handler may do: reply, notify, post.

Cogs only ever see these objects. Everything platform-shaped (message ids, chat ids, retries) stays behind
them in the core and the frontends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.commands import Reply
from bot.i18n import Text, current_language

if TYPE_CHECKING:
    from bot.app import Application
    from bot.config import Config
    from bot.scheduler import Planned
    from storage.db import Database
    from storage.people import Person


@dataclass(frozen=True)
class Chat:
    """Where a command was typed."""

    platform: str
    id: str
    direct: bool  # a direct chat with the bot, not a group or channel
    title: str = ""


@dataclass(frozen=True)
class Origin:
    """The message a button was pressed on, so the action can edit it."""

    platform: str
    chat_id: str
    message_id: str


@dataclass(frozen=True)
class Account:
    platform: str
    user_id: str


class ServiceContext:
    """What scheduled jobs and tasks get: the community's services, no person acting."""

    def __init__(self, app: Application) -> None:
        self.app = app

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def config(self) -> Config:
        return self.app.config

    def now(self) -> datetime:
        return self.app.clock.now()

    def section(self, name: str) -> Any:
        return self.app.config.section(name)

    async def notify(self, person_id: int, reply: Reply, *, urgent: bool = True,
                     shows: tuple[str, int] | None = None) -> None:
        """A message to one person, on their preferred platform, through the outbox."""
        await self.app.outbox.to_person(person_id, reply, urgent=urgent, shows=shows)

    async def post(self, destination: str, reply: Reply | None = None, *,
                   shows: tuple[str, int] | None = None) -> None:
        """A message to a named destination (announcements, a campus channel) on every platform it maps to.

        With `shows=("event", 42)` the message is the cog's view of that thing: the core remembers each copy
        and keeps it current when the cog calls `changed`.
        """
        person = getattr(self, "person", None)  # a person posting hears if it cannot be posted somewhere
        await self.app.outbox.to_destination(destination, reply, shows=shows,
                                             requested_by=person.id if person is not None else None)

    async def open_thread(self, destination: str, title: Text, people: list[int], reply: Reply) -> int:
        """A private conversation for a few people (a student and their tutor) under a named destination, with
        `reply` as its first message; returns the thread's id for post_to_thread.

        Where the destination's platform has private threads (Discord) the members with an account there
        share one; everyone else gets each message as a DM on their own platform, headed with `title`.
        """
        return await self.app.threads.open(destination, title, people, reply)

    async def post_to_thread(self, thread_id: int, reply: Reply) -> None:
        """A further message in a thread opened with open_thread, to every member."""
        await self.app.threads.post(thread_id, reply)

    async def changed(self, kind: str, ref_id: int) -> None:
        """A stored thing changed: every posted copy of it is re-rendered and edited in place."""
        await self.app.live.changed(kind, ref_id)

    async def schedule(self, task: str, at: datetime, *, key: str, payload: dict[str, Any] | None = None,
                       person_id: int | None = None) -> None:
        """A row first, then a wake-up: the task runs once at `at`, also across restarts."""
        await self.app.scheduler.schedule(task, at, key=key, payload=payload or {}, person_id=person_id)

    async def schedule_many(self, planned: Iterable[Planned]) -> None:
        """Many rows in one transaction (a recurring event's reminders), then one wake-up."""
        await self.app.scheduler.schedule_many(planned)

    async def unschedule(self, key_prefix: str) -> int:
        return await self.app.scheduler.cancel(key_prefix)


class Context(ServiceContext):
    """A person acting: typing a command or pressing a button."""

    def __init__(
        self,
        app: Application,
        person: Person,
        account: Account,
        roles: frozenset[str],
        language: str,
        chat: Chat,
        origin: Origin | None = None,
    ) -> None:
        super().__init__(app)
        self.person = person
        self.account = account
        self.roles = roles
        self.language = language
        self.chat = chat
        self.origin = origin
        self.missed_messages = False  # the bot's DMs to this person failed since they last wrote

    @property
    def platform(self) -> str:
        return self.chat.platform

    async def set_language(self, language: str) -> None:
        """The person's chosen language, stored and used from this reply on."""
        await self.app.people.set_locale(self.person.id, language)
        self.language = language
        current_language.set(language)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    async def ask(self, command: Callable[..., Awaitable[Reply]], values: dict[str, Any]) -> Reply:
        """Start one of the cog's commands from a button: `values` given, the rest asked for by the core's
        prompt flow (a modal, a keyboard or the next message, as the platform does it)."""
        spec = next(s for s in self.app.core.commands.values() if s.handler is command)
        return await self.app.core.ask(self, spec, values)
