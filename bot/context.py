"""Who is acting, where, with which roles and language; and what a handler may do: reply, notify, post.

Cogs only ever see these objects. Everything platform-shaped (message ids, chat ids, retries) stays behind
them in the core and the frontends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.commands import Button, DeclarationError, Reply, render_reply
from bot.i18n import Text, current_language, render

if TYPE_CHECKING:
    from bot.app import Application
    from bot.commands import Cog, CommandSpec, PublicPost
    from bot.config import Config
    from bot.conversations import Member
    from bot.scheduler import Planned
    from storage.db import Database
    from storage.people import PeopleQueries, Person


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
    """What scheduled jobs and tasks get: the community's services, no person acting.

    A scheduled row or a cron fire gets a context with a `run` key: a task may be run again after a crash or
    a stop, so every message it queues is keyed by (run, recipient, how many to them so far in this run),
    and the second run queues only what the first did not. A task that fans out needs nothing of its own.
    """

    def __init__(self, app: Application, cog: Cog | None = None, *, run: str | None = None) -> None:
        self.app = app
        self.cog = cog  # the cog this context serves, where known: its schedule keys are checked against it
        self.run = run
        self._sent_to: dict[str, int] = {}

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

    @property
    def people(self) -> PeopleQueries:
        """The core's people and accounts (names, linked accounts, settings)."""
        return self.app.people

    @property
    def cogs(self) -> list[Cog]:
        """The loaded cogs, built-in ones first (for /help)."""
        return self.app.cogs

    async def export_person(self, person_id: int) -> dict[str, Any]:
        """Everything stored about a person, the core's rows and every cog's exporters (/mydata)."""
        from bot.personal_data import export_person

        return await export_person(self.app, person_id)

    async def forget_person(self, person_id: int) -> None:
        """Erase a person: every cog's forget hooks and the core's rows, in one transaction (/forgetme)."""
        from bot.personal_data import forget_person

        await forget_person(self.app, person_id)

    async def merge_people(self, keep: int, gone: int) -> None:
        """Make `gone` part of `keep`: every cog's merge hooks and the core's rows, in one transaction (/link)."""
        from bot.personal_data import merge_people

        await merge_people(self.app, keep, gone)

    async def public_calendar(self, since: datetime, until: datetime, *, besides: Cog | None = None
                              ) -> list[PublicPost]:
        """Everything the bot will post publicly in [since, until): public cron jobs' fires and what each cog's
        `@cog.planned_posts` lists, in time order (the communication calendar). `besides`: leave that cog's
        planned posts out (it pages its own rows in SQL with these: cogs/announcements/calendar.py)."""
        posts = self.app.scheduler.public_fires(since, until)
        for cog in self.app.cogs:
            if cog is besides:
                continue
            for planned in cog.public_posts:
                posts.extend(await planned(ServiceContext(self.app, cog), since, until))
        return sorted(posts, key=lambda post: (post.at, post.source))

    async def calendar_feed_url(self, person_id: int, *, reset: bool = False) -> str | None:
        """The person's private calendar feed URL (bot/feeds.py), made on first use; `reset` revokes the old
        one. None when the web server is off."""
        from bot.feeds import feed_url

        return await feed_url(self, person_id, reset=reset)

    def on_dropped(self, task: str, handler: Callable[[ServiceContext, Any], Awaitable[None]]) -> None:
        """`handler(ctx, due)` runs instead of the task for a row missed beyond the grace time."""
        self.app.scheduler.on_dropped(task, handler)

    def direct_link(self, platform: str, payload: str) -> str | None:
        """A link opening a direct chat with the bot that carries `payload` (a Telegram deep link, answered by
        the cog's `@cog.deep_link`); None when that platform is not running or has no such links."""
        frontend = self.app.frontends.get(platform)
        return frontend.direct_link(payload) if frontend is not None else None

    async def people_with_role(self, role: str) -> list[int]:
        """The known holders of `role`, by person id: those given it by id in config ([roles.X] discord_user_ids,
        telegram_user_ids, console_users) once they have used the bot, and those the bot has seen holding it.

        Known holders only: a Discord role's members and a Telegram team chat's members are known once they
        have used the bot (listing them needs Discord's members intent, and Telegram cannot list a chat's
        members at all); someone whose role was taken away counts until the bot sees them again."""
        return await self.app.role_holders.holders(role, self.app.roles.accounts_with(role))

    def destination_platforms(self, destination: str) -> list[str]:
        """The running platforms a named destination maps to: where `post` puts it."""
        return [name for name, frontend in self.app.frontends.items()
                if frontend.destination_chat(destination) is not None]

    def preview(self, reply: Reply, platform: str, language: str) -> str | None:
        """`reply` in `language` as a reader on `platform` would see it, as plain text (that platform's
        clipping and escaping applied); None when the platform is not running."""
        frontend = self.app.frontends.get(platform)
        return frontend.preview(render_reply(reply, language)) if frontend is not None else None

    async def invite_link(self, destination: str, platform: str) -> tuple[str, str] | None:
        """A new invite of its own to the destination's chat on `platform` (a Discord server invite), as
        (code, url): `Arrival.invite` names the code when someone joins through it. None when the platform is
        not running, the destination has no chat there, or the platform makes no invites."""
        frontend = self.app.frontends.get(platform)
        chat_id = frontend.destination_chat(destination) if frontend is not None else None
        if frontend is None or chat_id is None:
            return None
        return await frontend.create_invite(chat_id)

    async def notify(self, person_id: int, reply: Reply, *, urgent: bool = True,
                     shows: tuple[str, int] | None = None) -> None:
        """A message to one person, on their preferred platform, through the outbox."""
        # Its buttons are signed for that person: owner-only ones work for them alone.
        await self.app.outbox.to_person(person_id, self.app.core.seal(reply, person_id), urgent=urgent, shows=shows,
                                        dedupe=self._dedupe(f"p{person_id}"))

    async def notify_many(self, person_ids: Iterable[int], reply: Reply, *, urgent: bool = True,
                          shows: tuple[str, int] | None = None) -> int:
        """The same message to many people (a reminder to everyone going), queued in batches; in a scheduled
        task resumable: run again after a crash, it skips those already queued. Returns how many were new.
        Buttons are signed for each person."""
        keyed = [(person_id, self._dedupe(f"p{person_id}")) for person_id in person_ids]
        return await self.app.outbox.to_people(keyed, reply, urgent=urgent, shows=shows)

    async def notify_sealed(self, handle: str, reply: Reply) -> bool:
        """A message to whoever the handle from `seal_route` was made for, without the database learning who:
        False when the route is gone (dropped, or the person used /forgetme). Its buttons are shared ones."""
        return await self.app.sealed.deliver(handle, reply)

    async def routes_of(self, person_id: int) -> list[str]:
        """The sealed handles leading to any account of this person. It opens every route: for rare things
        (/forgetme closing their anonymous cases), never per message."""
        return await self.app.sealed.of_accounts(await self.app.people.accounts(person_id))

    async def drop_sealed(self, handle: str) -> None:
        """The sealed route is no longer needed (the case is closed): it goes, with anything queued for it."""
        await self.app.sealed.drop(handle)

    async def post(self, destination: str, reply: Reply | None = None, *,
                   shows: tuple[str, int] | None = None, author: int | None = None) -> None:
        """A message to a named destination (announcements, a campus channel) on every platform it maps to.

        With `shows=("event", 42)` the message is the cog's view of that thing: the core remembers each copy
        and keeps it current when the cog calls `changed`. Whoever posts it (the person of a command, or
        `author` for a scheduled post of theirs) hears if it can never be posted somewhere; a platform that is
        down for a while gets it when it returns, and nobody is told of that.
        """
        shared = self.app.core.seal(reply, None) if reply is not None else None  # a view is signed by live.render
        person = getattr(self, "person", None)
        requested_by = author if author is not None else person.id if person is not None else None
        await self.app.outbox.to_destination(destination, shared, shows=shows,
                                             dedupe=self._dedupe(f"d:{destination}"), requested_by=requested_by)

    def _dedupe(self, recipient: str) -> str | None:
        """The key of this run's next message to `recipient` (None outside a scheduled run)."""
        if self.run is None:
            return None
        count = self._sent_to[recipient] = self._sent_to.get(recipient, 0) + 1
        return f"{self.run}/{recipient}/{count}"

    async def open_conversation(self, kind: str, title: Text, members: Sequence[Member], *,
                                host: str | None = None, first: Reply | None = None,
                                first_from: Member | None = None) -> int:
        """A conversation of `members` (`Member.person(id)`, `Member.team(destination)`, `Member.sealed(handle)`)
        that they carry on both ways, each on their own platform; returns its id.

        `kind` names the cog's `@cog.conversation_message(kind)` handler, which hears what members write.
        `host` (default: the first team member's destination) is where shared rooms open: a Discord thread
        under its channel, a Telegram forum topic in its group when its team is a member. Everyone else gets
        the conversation in their direct chat, headed with `title`. `first`: its opening message, from the bot,
        or with `first_from` the words of that member (anonymous feedback: the sealed sender's text).
        """
        return await self.app.conversations.open(kind, title, members, host=host,
                                                 first=self.app.core.seal(first, None) if first else None,
                                                 first_from=first_from)

    async def post_to_conversation(self, conversation_id: int, reply: Reply, *, label: Text | None = None,
                                   as_member: Member | None = None) -> None:
        """A message from the cog to every member (`label`: shown as its sender, e.g. the team's name). With
        `as_member` it is that member's words, relayed later by the cog (anonymous feedback's delayed answers):
        labelled as theirs and not sent back to them."""
        await self.app.conversations.post(conversation_id, self.app.core.seal(reply, None), label=label,
                                          as_member=as_member)

    async def delete_conversation(self, conversation_id: int) -> None:
        """The conversation's rows go (a retention rule); nobody is told. Close it first to lock its rooms."""
        await self.app.conversations.delete(conversation_id)

    async def add_to_conversation(self, conversation_id: int, member: Member, *, welcome: Reply | None = None) -> None:
        await self.app.conversations.add(conversation_id, member, welcome=welcome)

    async def remove_from_conversation(self, conversation_id: int, member: Member) -> None:
        await self.app.conversations.remove(conversation_id, member)

    async def transfer_conversation(self, conversation_id: int, old: Member, new: Member, *,
                                    welcome: Reply | None = None) -> None:
        """`new` takes `old`'s place in one step (a tutor hands the student over)."""
        await self.app.conversations.transfer(conversation_id, old, new, welcome=welcome)

    async def close_conversation(self, conversation_id: int) -> None:
        """Members are told; the Discord thread is archived and locked, the Telegram topic closed."""
        await self.app.conversations.close(conversation_id)

    async def reopen_conversation(self, conversation_id: int) -> None:
        await self.app.conversations.reopen(conversation_id)

    async def changed(self, kind: str, ref_id: int) -> None:
        """A stored thing changed: every posted copy of it is re-rendered and edited in place."""
        await self.app.live.changed(kind, ref_id)

    async def schedule(self, task: str, at: datetime, *, key: str, payload: dict[str, Any] | None = None,
                       person_id: int | None = None, private: bool = False) -> None:
        """A row first, then a wake-up: the task runs once at `at`, also across restarts. The key must be in the
        task's cog's namespace (`<cog.keys>:...`, e.g. `ev:42:offer:7:`). `private`: the row does not record when
        it was made (an anonymous sender's delayed message must not tell when it was sent), only when it is due."""
        self._check_key(task, key)
        await self.app.scheduler.schedule(task, at, key=key, payload=payload or {}, person_id=person_id,
                                          private=private)

    async def schedule_many(self, planned: Iterable[Planned]) -> None:
        """Many rows in one transaction (a recurring event's reminders), then one wake-up."""
        items = list(planned)
        for item in items:
            self._check_key(item.task, item.key)
        await self.app.scheduler.schedule_many(items)

    async def unschedule(self, key_prefix: str) -> int:
        """Cancel the pending rows whose key starts with `key_prefix`, which must be in the cog's namespace."""
        self.app.core.check_key(key_prefix, self.cog)
        return await self.app.scheduler.cancel(key_prefix)

    def _check_key(self, task: str, key: str) -> None:
        spec = self.app.core.tasks.get(task)
        if spec is None:
            raise KeyError(f"no task {task!r} declared by a cog")
        if self.cog is not None and spec.cog is not self.cog:
            raise DeclarationError(f"cog {self.cog.name!r} schedules task {task!r} of cog {spec.cog.name!r}")
        self.app.core.check_key(key, spec.cog)


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

    async def seal_route(self) -> str:
        """A handle to reach this person later on the account they are writing from (anonymous feedback): the
        account is stored only encrypted, and `notify_sealed(handle, reply)` sends without naming them. The
        cog must declare `needs_secret=True`."""
        return await self.app.sealed.seal(self.account, self.language)

    async def owns_route(self, handle: str) -> bool:
        """Whether the handle was sealed for the account this person is writing from (adding to their own
        anonymous case), without anything stored saying so."""
        return await self.app.sealed.is_for(handle, self.account)

    def sender_key(self, purpose: str) -> str:
        """A keyed hash of this person for one purpose ("feedback-block"): the same for them on every linked
        account, different per purpose, meaningless without the secret. It changes when the key is rotated."""
        return self.app.sealed.keyed_hash(purpose, self.person.id)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def commands(self) -> list[CommandSpec]:
        """The commands this person may use (for /help)."""
        return self.app.core.visible_commands(self.roles)

    def every_command(self) -> list[CommandSpec]:
        """Every command, also those this person may not use (/help COMMAND says who may)."""
        return list(self.app.core.commands.values())

    def check_allowed(self, spec: CommandSpec) -> None:
        """A UserError naming who may use the command ("Only the board and organisers can use ..."), when this
        person may not."""
        self.app.core.check_allowed(self, spec)
    def help_text(self, build: Callable[[], Text]) -> str:
        """/help's text for this person: `build()` rendered once per language and role set (the core forgets
        it when commands change)."""
        key = (self.language, self.roles)
        text = self.app.core.help_texts.get(key)
        if text is None:
            text = self.app.core.help_texts[key] = render(build(), self.language)
        return text

    def deep_link(self, prefix: str) -> Callable[[str], Awaitable[Reply]] | None:
        """The cog handler of `/start <prefix>_<rest>`, called with the rest, run as that cog."""
        found = self.app.core.deep_links.get(prefix)
        if found is None:
            return None
        owner, handler = found

        async def run(rest: str) -> Reply:
            self.cog = owner
            return await handler(self, rest)

        return run

    async def ask(self, command: Callable[..., Awaitable[Reply]], values: dict[str, Any], *, every: bool = False,
                  prefill: Mapping[str, str] | None = None) -> Reply:
        """Start one of the cog's commands from a button: `values` given, the missing required ones asked for
        by the core's prompt flow (a modal on Discord, buttons and the next message elsewhere). `every` asks the
        optional ones too; `prefill` (typed texts per field) reopens a form with its answers: filled in on a
        modal, offered with a Keep button elsewhere."""
        spec = next(s for s in self.app.core.commands.values() if s.handler is command)
        return await self.app.core.ask(self, spec, values, every=every, prefill=prefill)

    async def form(self, form: Callable[..., Awaitable[Reply]], values: dict[str, Any] | None = None, *,
                   labels: Mapping[str, Text] | None = None) -> Reply:
        """Open a form declared with `@cog.form(...)`: every field not in `values` is asked (optional ones can
        be skipped), then the form's handler runs with the answers. A refused answer, or a FieldError from
        the handler, asks that field again and keeps the rest. `labels` asks fields under other names for
        this flow only (questions that come from config: declare generic fields, label them here, and give
        the unused ones a value so they are not asked)."""
        return await self.app.core.ask(self, self.app.core.forms[form], dict(values or {}), every=True,
                                       labels=dict(labels or {}))

    def preview_post(self, shown: Reply, heading: Text, actions: Sequence[Button], *,
                     languages: Sequence[str] = ()) -> Reply:
        """`shown` (a card) as it will be posted, to this person alone, under `heading`, with `actions` instead
        of its own buttons: cog action buttons (Publish / Edit / Discard) declared `owner_only=True`. `languages`
        are the destinations' (`ctx.config.destinations[name].language`): the preview is in those, the first as
        the message itself; none: the reader's language."""
        return self.app.core.preview(shown, heading, actions, languages)

    def confirm(self, question: Text, consequence: Text, yes: str, *, yes_label: Text | None = None,
                no: str | None = None, no_label: Text | None = None, danger: bool = True) -> Reply:
        """A question with its consequence and Yes/No buttons that only this person may press. `yes` is an
        action id of the cog (`cog.action_id("forget", 42)`), declared `owner_only=True`; `no` optionally
        another (default: the question becomes "Nothing was changed.")."""
        options: dict[str, Any] = {"yes_label": yes_label, "no_label": no_label, "danger": danger}
        if no is not None:
            options["no"] = no
        return self.app.core.confirm(question, consequence, yes, **options)
