"""The one path every command and button press takes, on every frontend.

Permissions, per-person rate limits, parameter validation, the prompt flow for missing parameters and
error replies all happen here, before and around a cog's handler, so they hold identically everywhere.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.commands import (
    MAX_OPTIONS,
    ActionSpec,
    Arrival,
    Button,
    Choice,
    Cog,
    CommandSpec,
    DeclarationError,
    FieldError,
    FormAsk,
    JobSpec,
    Kind,
    ParamSpec,
    Reply,
    TaskSpec,
    UserError,
    ViewSpec,
)
from bot.config import RoleSource
from bot.context import Account, Chat, Context, Origin
from bot.i18n import Lines, ListOf, Text, _, current_language, normalise_language
from bot.params import action_arg, convert, date_example, reads_as_date
from bot.roles import EVERYONE
from bot.signing import ActionSigner, Signed, load_key
from bot.textargs import is_command, parse_args, split_command
from storage.db import is_busy

if TYPE_CHECKING:
    from bot.app import Application
    from bot.fleet import Fleet

log = logging.getLogger(__name__)

PROMPT_PREFIX = "core"  # action ids of the prompt flow: core:pick:<n>, core:cancel
REFERENCE_BUTTONS = 8  # best matches offered as buttons when a reference is asked for
ONLY_EVERYONE = frozenset({EVERYONE})
NOT_KEPT = datetime.min.replace(tzinfo=UTC)
MAX_ROLE_SETS = 256  # role sets whose visible commands and /help texts are kept
MODAL_FIELDS = 5  # Discord's limit of components in a modal: more fields are asked in further rounds
MODAL_KINDS = {Kind.TEXT, Kind.LONG_TEXT, Kind.INTEGER, Kind.DATETIME, Kind.CHOICE, Kind.YES_NO}


@dataclass
class Pending:
    """A command waiting for the person to give its missing parameters, one at a time."""

    spec: CommandSpec
    values: dict[str, Any]
    # Set when the flow is first kept (most commands have everything and are never kept): until then expired.
    expires: datetime = NOT_KEPT
    asking: ParamSpec | None = None
    choices: list[Choice] = field(default_factory=list)
    every: bool = False  # a form: optional fields are asked too, with a Skip button
    again: set[str] = field(default_factory=set)  # optional fields asked again after a FieldError
    skipped: set[str] = field(default_factory=set)
    previous: dict[str, str] = field(default_factory=dict)  # a refused text, offered for correction
    note: Text | None = None  # why the field now asked was refused, until it is answered
    labels: dict[str, Text] = field(default_factory=dict)  # this flow's own field labels (questions from config)
    prefill: dict[str, str] = field(default_factory=dict)  # current answers offered to keep (a form reopened)

    def open_fields(self) -> list[ParamSpec]:
        """The fields still to ask, in declaration order (labelled for this flow where it says so)."""
        return [self._labelled(p) for p in self.spec.params if p.name not in self.values and p.name not in self.skipped
                and (p.required or self.every or p.name in self.again)]

    def _labelled(self, param: ParamSpec) -> ParamSpec:
        label = self.labels.get(param.name)
        # A label from config is the flow's own question ("What have you tried so far?").
        return param if label is None else dataclasses.replace(
            param, param=dataclasses.replace(param.param, description=label, question=label))


class Verdict(enum.Enum):
    ALLOW = "allow"
    TELL = "tell"  # refused, and told so
    SILENT = "silent"  # refused again in the same window: not answered, so a flood gets one answer


class RateLimiter:
    """At most `limit` typed lines and button presses per person in a sliding window of `seconds`.

    Times come from the app's clock (tests control it). A refused person is told once; while the window stays
    full, further refusals are silent."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[int, deque[float]] = {}
        self._told: set[int] = set()

    def check(self, person_id: int, now: float) -> Verdict:
        hits = self._hits.setdefault(person_id, deque())
        verdict, told = judge(hits, person_id in self._told, now, self.limit, self.seconds)
        if told:
            self._told.add(person_id)
        else:
            self._told.discard(person_id)
        return verdict


def judge(hits: deque[float], told: bool, now: float, limit: int, seconds: float) -> tuple[Verdict, bool]:
    """The rate rule on a person's recent hit times (`hits`, changed in place) and whether they were told: the
    verdict, and whether they are told now. Shared by the in-memory limiter and the database's (bot/fleet.py)."""
    while hits and now - hits[0] > seconds:
        hits.popleft()
    if len(hits) >= limit:
        return (Verdict.SILENT, True) if told else (Verdict.TELL, True)
    hits.append(now)
    return Verdict.ALLOW, False


TOO_FAST = _("You are sending commands too fast. Wait a moment and try again.")
SKIP, KEEP = _("Skip"), _("Keep")  # a prompt's buttons: skip an optional field, keep a reopened form's answer
NO_LONGER_WORKS = _("This button no longer works.")
NOT_YOURS = _("This button is for the person it was shown to.")


class PressRefused(Exception):
    """A press the core turns down before the handler runs; `reply` (a toast) tells the presser why."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("press refused")
        self.reply = reply


class Core:
    def __init__(self, app: Application, cogs: list[Cog]) -> None:
        self.app = app
        self.cogs = cogs
        self.commands: dict[tuple[str, ...], CommandSpec] = {}
        self.by_flat_name: dict[str, CommandSpec] = {}
        self.actions: dict[tuple[str, str], ActionSpec] = {}
        self.forms: dict[Any, CommandSpec] = {}  # by handler: ctx.form(handler) opens it
        self.pending: dict[tuple[str, str, str], Pending] = {}
        bot_config = app.config.bot
        self.rate = RateLimiter(bot_config.command_rate, bot_config.command_rate_seconds)
        self._fleet: Fleet | None = None  # decided at first use (the database is open by then)
        self._fleet_decided = False
        self._signer: ActionSigner | None = None
        self.tasks: dict[str, TaskSpec] = {}
        self.views: dict[str, ViewSpec] = {}
        self.deep_links: dict[str, tuple[Cog, Callable[..., Awaitable[Reply]]]] = {}
        self.jobs: list[JobSpec] = []
        self._owners: dict[tuple[str, str], Cog] = {}
        self.role_names: dict[str, Text] = {EVERYONE: _("students")}
        # What depends only on the commands and a role set: computed once per set (and language), dropped
        # whenever a cog registers (its commands change what a set sees).
        self._visible: dict[frozenset[str], list[CommandSpec]] = {}
        self.help_texts: dict[tuple[str, frozenset[str]], str] = {}  # (language, roles) -> /help's text
        for cog in (prompts, *cogs):
            self._register(cog)
        self._check_roles()

    def _register(self, cog: Cog) -> None:
        """Every registration is namespaced by its cog; a second cog claiming a name already taken is refused
        here, at load, instead of silently replacing the first one's."""
        self.commands_changed()
        for what, name in (("cog", cog.name), ("action prefix", cog.prefix), ("schedule key prefix", cog.keys)):
            owner = self._owners.setdefault((what, name), cog)
            if owner is not cog:
                raise DeclarationError(f"cogs {owner.name!r} and {cog.name!r} both use the {what} {name!r}")
        for spec in cog.commands:
            if spec.path in self.commands or spec.flat_name in self.by_flat_name:
                raise DeclarationError(f"/{spec.full_name} is declared by two cogs")
            self.commands[spec.path] = spec
            self.by_flat_name[spec.flat_name] = spec
        for name, action in cog.actions.items():
            self.actions[(cog.prefix, name)] = action
        for form in cog.forms.values():
            self.forms[form.handler] = form
        self._claim(cog, "task", cog.tasks, self.tasks)
        self._claim(cog, "view", cog.views, self.views)
        self._claim(cog, "deep link", cog.deep_links, self.deep_links)
        self.jobs += cog.jobs  # run as `<cog>.<job>` (bot/scheduler.py): unique once cog names are
        for role, role_name in cog.roles.items():
            self.role_names.setdefault(role, role_name)  # a role two cogs share keeps the first one's name

    def _check_roles(self) -> None:
        """Every role a command, form or button names is declared by a cog or defined in config; config's
        names win over a cog's (the community's own words)."""
        for role, source in self.app.config.roles.items():
            if source.name("fi") or role not in self.role_names:
                self.role_names[role] = ConfiguredRoleName(source, role)
        known = sorted(self.role_names)
        for cog in (prompts, *self.cogs):
            specs: list[CommandSpec | ActionSpec] = [*cog.commands, *cog.forms.values(), *cog.actions.values()]
            for spec in specs:
                for role in sorted(spec.roles or ()):
                    if role not in self.role_names:
                        close = difflib.get_close_matches(role, known, n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else ""
                        raise DeclarationError(f"{cog.name} {spec.name}: unknown role {role!r}{hint}; declare it with "
                                               f"Cog(..., roles={{{role!r}: _(...)}}) or define [roles.{role}]")

    def role_name(self, role: str) -> Text:
        return self.role_names.get(role, role)

    def role_list(self, roles: frozenset[str]) -> ListOf:
        """Roles as the reader's list: "hallitus ja paikallistoimijat" / "the board and organisers"."""
        return ListOf(self.role_name(r) for r in sorted(roles))

    def _claim(self, cog: Cog, what: str, mine: Mapping[str, Any], taken: dict[str, Any]) -> None:
        for name, spec in mine.items():
            owner = self._owners.setdefault((what, name), cog)
            if owner is not cog:
                raise DeclarationError(f"{what} {name!r} is declared by cogs {owner.name!r} and {cog.name!r}")
            taken[name] = spec if what != "deep link" else (cog, spec)

    def key_owner(self, key: str) -> Cog | None:
        """The cog whose schedule-key namespace `key` is in (`ev:42:rem:24:0` is the events cog's)."""
        prefix = key.split(":", 1)[0]
        owner = self._owners.get(("schedule key prefix", prefix))
        return owner if owner is not None and key.startswith(f"{prefix}:") else None

    def check_key(self, key: str, cog: Cog | None) -> None:
        """A schedule key must be in its cog's namespace (`<keys>:...`): one cog cannot move or cancel another's
        rows. `cog` is the cog acting, where known (the task's cog when scheduling)."""
        owner = self.key_owner(key)
        if owner is None or (cog is not None and owner is not cog):
            expected = f"{cog.keys}:" if cog is not None else "<a cog's keys prefix>:"
            raise DeclarationError(f"schedule key {key!r} is outside its cog's namespace {expected!r}")

    def group_names(self) -> set[str]:
        return {spec.path[0] for spec in self.commands.values() if len(spec.path) == 2}

    @staticmethod
    def may_use(spec: CommandSpec | ActionSpec, roles: frozenset[str]) -> bool:
        """The one role rule: a command or action without roles is for everyone, else one of its roles is needed."""
        return spec.roles is None or bool(spec.roles & roles)

    # ------------------------------------------------------------------------------------- signing

    @property
    def signer(self) -> ActionSigner:
        if self._signer is None:  # on first use: the data directory exists by then
            self._signer = ActionSigner(load_key(self.app.config.secrets.secret_key, self.app.data_dir))
        return self._signer

    def seal(self, reply: Reply, owner: int | None) -> Reply:
        """Sign the reply's buttons for the person it is made for (None: a shared message, such as a card)."""
        return self.signer.seal(reply, owner)

    @property
    def fleet(self) -> Fleet | None:
        """What several processes receiving one person's updates share (bot/fleet.py); None in one process."""
        if not self._fleet_decided:
            from bot.fleet import Fleet, spreads_updates

            self._fleet = Fleet(self.app) if spreads_updates(self.app) else None
            self._fleet_decided = True
        return self._fleet

    async def _admit(self, ctx: Context) -> Reply | None:
        """Every typed line and every press counts against the person's rate; None when it may go on."""
        fleet = self.fleet
        if fleet is not None:  # the person's updates reach several processes: their rate is the database's
            verdict = await fleet.rate.check(ctx.person.id, ctx.now().timestamp())
        else:
            verdict = self.rate.check(ctx.person.id, ctx.now().timestamp())
        if verdict is Verdict.ALLOW:
            return None
        if verdict is Verdict.SILENT:
            return Reply()  # nothing to show: frontends send nothing
        return Reply(notice=TOO_FAST) if ctx.origin is not None else Reply(TOO_FAST, private=True)

    async def admit(self, ctx: Context) -> Reply | None:
        """What a person writes outside commands (a conversation's room) counts against the same rate."""
        return await self._admit(ctx)

    async def prompt_moved(self, ctx: Context) -> None:
        """With several processes receiving this person's updates, the database says which one holds their open
        prompt or held message (its answer is handed there); before the question goes out, so the answer finds
        it."""
        fleet = self.fleet
        if fleet is not None:
            key = self._pending_key(ctx)
            pending = self.pending.get(key)
            waiting = [pending.expires] if pending is not None and pending.asking is not None else []
            held = self.app.conversations.held_until(ctx.person.id) if ctx.chat.direct else None
            await fleet.prompts.sync(key, max([*waiting, *([held] if held else [])], default=None))

    def visible_commands(self, roles: frozenset[str]) -> list[CommandSpec]:
        """The commands a role set may use, in registration order (a shared list: do not change it)."""
        visible = self._visible.get(roles)
        if visible is None:
            if len(self._visible) >= MAX_ROLE_SETS:  # role sets come from config, but keep memory bounded
                self._visible.clear()
            visible = self._visible[roles] = [spec for spec in self.commands.values() if self.may_use(spec, roles)]
        return visible

    def commands_changed(self) -> None:
        """Forget what was computed from the commands (the visible ones per role set, /help's texts)."""
        self._visible.clear()
        self.help_texts.clear()

    # ---------------------------------------------------------------------------------------- context

    async def context_for(
        self,
        account: Account,
        display_name: str,
        chat: Chat,
        roles: frozenset[str],
        platform_language: str | None = None,
        origin: Origin | None = None,
    ) -> Context:
        # The platform's language is stored on first contact, so messages the bot sends on its own (reminders,
        # notifications) speak the same language as its replies until the person chooses one with /language.
        platform_language = normalise_language(platform_language)
        person = await self.app.people.get_or_create(account.platform, account.user_id, display_name,
                                                     platform_language)
        missed_messages = await self.app.people.reachable_again(account.platform, account.user_id)
        language = person.locale or platform_language or self.app.config.community.default_language
        current_language.set(language)
        roles = frozenset(roles | self.app.roles.configured_roles(account))
        # Remembered so that a cog can reach a role's holders (people_with_role): platforms cannot list them.
        await self.app.role_holders.seen(person.id, account.platform, roles - ONLY_EVERYONE, self.app.clock.now)
        ctx = Context(self.app, person, account, roles, language, chat, origin)
        ctx.missed_messages = missed_messages
        return ctx

    async def arrived(self, ctx: Context, arrival: Arrival) -> None:
        """Someone joined a community server: every cog's arrival hook, each as its cog; one failing is logged
        and does not stop the others."""
        await self._member_hooks(ctx, "arrivals", arrival)

    async def role_given(self, ctx: Context, role: str) -> None:
        """A platform gave someone a configured role: every cog's role hook."""
        await self._member_hooks(ctx, "role_hooks", role)

    @property
    def wants_members(self) -> bool:
        """Whether any cog hears arrivals or given roles (Discord then needs the members intent)."""
        return any(cog.arrivals or cog.role_hooks for cog in self.cogs)

    async def _member_hooks(self, ctx: Context, kind: str, value: Any) -> None:
        for cog in self.cogs:
            for hook in getattr(cog, kind):
                ctx.cog = cog
                try:
                    await hook(ctx, value)
                except Exception:
                    log.exception("%s hook of cog %s failed", kind, cog.name)

    # -------------------------------------------------------------------------------------- commands

    def find(self, words: list[str], rest: str) -> tuple[CommandSpec | None, str]:
        """`/event list`, `/event_list`; returns the command and the rest of the line."""
        head = words[0]
        if head in self.by_flat_name:
            return self.by_flat_name[head], rest
        sub, _sep, tail = rest.partition(" ")
        spec = self.commands.get((head, sub.lower()))
        if spec is not None:
            return spec, tail.strip()
        return None, rest

    async def handle_text(self, ctx: Context, text: str) -> Reply | None:
        """A typed line: a command, or the answer to a pending prompt. None when it is neither; an empty Reply
        when the person is over their rate and was already told."""
        refused = await self._admit(ctx)
        if refused is not None:
            return refused
        reply = await self._text(ctx, text)
        await self.prompt_moved(ctx)
        return None if reply is None else self.seal(reply, ctx.person.id)

    async def _text(self, ctx: Context, text: str) -> Reply | None:
        if is_command(text):
            line = split_command(text)
            if line.words[0] in ("cancel", "peru") and self._pending_key(ctx) in self.pending:
                return self._cancel(ctx)
            spec, rest = self.find(line.words, line.rest)
            if spec is None:
                if line.words[0] in self.group_names():
                    return self._group_help(ctx, line.words[0])
                return Reply(_("Unknown command /{name}. /help lists what you can do.", name=line.words[0]),
                             private=True)
            self.pending.pop(self._pending_key(ctx), None)
            return await self._invoke(ctx, spec, rest)
        pending = self.pending.get(self._pending_key(ctx))
        if pending is None or pending.asking is None:
            return None
        return await self._answer_prompt(ctx, pending, text)

    async def invoke(self, ctx: Context, spec: CommandSpec, raw: str | dict[str, Any]) -> Reply:
        """Run a command from a typed line (`str`) or from values a frontend already split (`dict`)."""
        refused = await self._admit(ctx)
        if refused is not None:
            return refused
        reply = await self._invoke(ctx, spec, raw)
        await self.prompt_moved(ctx)
        return self.seal(reply, ctx.person.id)

    async def _invoke(self, ctx: Context, spec: CommandSpec, raw: str | dict[str, Any]) -> Reply:
        started, outcome = time.perf_counter(), "handled"  # perf_counter: a metric, not the app's clock
        try:
            self.check_allowed(ctx, spec)
            if spec.private and not ctx.chat.direct:
                return self._go_private(ctx, spec)
            if isinstance(raw, str):
                raw = parse_args(spec, raw, lambda text: reads_as_date(ctx, text))
            values: dict[str, Any] = {}
            for param in spec.params:
                if param.name in raw and raw[param.name] not in (None, ""):
                    values[param.name] = await convert(ctx, param, raw[param.name])
            return await self._continue(ctx, Pending(spec, values))
        except UserError as error:
            outcome = "refused"
            return Reply(error.message, private=True)
        except Exception as error:
            outcome = "failed"
            failed(error, "command /%s failed", spec.full_name)
            return self.apology(error)
        finally:
            self.app.metrics.command(spec.full_name, ctx.platform, outcome, time.perf_counter() - started)

    async def _continue(self, ctx: Context, pending: Pending) -> Reply:
        fields = pending.open_fields()
        if not fields:
            self.pending.pop(self._pending_key(ctx), None)
            try:
                return await self._run(ctx, pending.spec, pending.values)
            except FieldError as error:
                return await self._ask_again(ctx, pending, error)
        missing = fields[0]
        pending.asking = missing
        pending.choices = list(missing.choices(ctx.config))
        if missing.kind is Kind.REFERENCE:
            # The best matches as buttons: a keyboard on Telegram, numbered buttons on the console.
            pending.choices = (await self.suggest(ctx, pending.spec, missing.name, ""))[:REFERENCE_BUTTONS]
        if pending.expires is NOT_KEPT:
            pending.expires = self._prompt_expiry(ctx)
        self.pending[self._pending_key(ctx)] = pending
        # A field asked again because of the others cannot be skipped: the handler would refuse again.
        asked = self._ask(ctx, missing, pending.choices,
                          optional=not missing.required and missing.name not in pending.again,
                          current=pending.prefill.get(missing.name) if missing.name not in pending.previous else None)
        return dataclasses.replace(asked, form=self._form_of(ctx, pending, fields))

    async def _ask_again(self, ctx: Context, pending: Pending, error: FieldError) -> Reply:
        """A cross-field error: the offending fields are asked again, every other answer is kept."""
        fields = [p for p in pending.spec.params if p.name in error.fields]
        if not fields:
            raise error
        for param in fields:
            value = pending.values.pop(param.name, None)
            if isinstance(value, str):
                pending.previous[param.name] = value
            pending.skipped.discard(param.name)
            pending.again.add(param.name)
        pending.note = error.message
        return refused(await self._continue(ctx, pending), error.message)

    def _form_of(self, ctx: Context, pending: Pending, fields: list[ParamSpec]) -> FormAsk | None:
        """The next fields as one modal, where the platform has modals: from the first one asked, those a
        modal can hold (text, numbers, dates, short choices, yes/no), at most five."""
        if fields[0].kind not in MODAL_KINDS:
            return None
        fit = [p for p in fields if p.kind in MODAL_KINDS
               and (p.kind is not Kind.CHOICE or len(p.choices(ctx.config)) <= MAX_OPTIONS)]
        chosen = tuple(fit[:MODAL_FIELDS])
        kept = {**pending.prefill, **pending.previous}
        given = {p.name: kept[p.name] for p in chosen if p.name in kept}
        must = frozenset(p.name for p in chosen if p.name in pending.again)
        return FormAsk(pending.spec.description, chosen, given, pending.note, must)

    async def ask(self, ctx: Context, spec: CommandSpec, values: dict[str, Any], *, every: bool = False,
                  labels: dict[str, Text] | None = None, prefill: Mapping[str, str] | None = None) -> Reply:
        """Start a command's (or a form's) prompt flow from code (a button): `values` are kept, the missing
        ones asked for; `every` asks the optional ones too; `labels` replace fields' descriptions for this flow;
        `prefill` offers typed answers to keep (filled in on a modal, a Keep button elsewhere).
        (The press that got here was already counted against the person's rate.)"""
        try:
            self.check_allowed(ctx, spec)
            pending = Pending(spec, dict(values), every=every, labels=dict(labels or {}),
                              prefill=dict(prefill or {}))
            return await self._continue(ctx, pending)
        except UserError as error:
            return Reply(error.message, private=True)

    async def submit(self, ctx: Context, answers: dict[str, Any]) -> Reply:
        """Several fields answered at once (a Discord modal), counted against the person's rate like a line."""
        refused_now = await self._admit(ctx)
        if refused_now is not None:
            return refused_now
        reply = await self._submit_form(ctx, answers)
        await self.prompt_moved(ctx)
        return self.seal(reply, ctx.person.id)

    async def _submit_form(self, ctx: Context, answers: dict[str, Any]) -> Reply:
        """The fields of a modal at once (Discord): each is checked in order; the first refused one is asked
        again with the answers before it kept. An empty optional field is skipped."""
        pending = self.pending.get(self._pending_key(ctx))
        if pending is None:
            return Reply(_("That question is no longer open."), private=True)
        if ctx.now() > pending.expires:
            self.pending.pop(self._pending_key(ctx), None)
            return Reply(_("That question expired. Start the command again."), private=True)
        pending.note = None
        try:
            first_error: UserError | None = None
            for param in pending.open_fields():
                if param.name not in answers:
                    continue
                raw = answers[param.name]
                if raw in (None, "") and not param.required and param.name not in pending.again:
                    pending.skipped.add(param.name)
                    continue
                try:
                    pending.values[param.name] = await convert(ctx, param, raw)
                except UserError as error:  # the others are still kept; this one is asked again
                    if isinstance(raw, str):
                        pending.previous[param.name] = raw
                    first_error = first_error or error
            if first_error is not None:
                pending.note = first_error.message
                return refused(await self._continue(ctx, pending), first_error.message)
            return await self._continue(ctx, pending)
        except UserError as error:
            return Reply(error.message, private=True)

    async def form_again(self, ctx: Context) -> Reply:
        """The open question once more (a button under it reopens the modal)."""
        pending = self.pending.get(self._pending_key(ctx))
        if pending is None:
            return Reply(notice=_("That question is no longer open."))
        return await self._continue(ctx, pending)

    async def _run(self, ctx: Context, spec: CommandSpec, values: dict[str, Any]) -> Reply:
        # Defaults on a copy: a FieldError keeps the flow, and an unanswered field must stay unanswered.
        values = {**{p.name: p.default for p in spec.params}, **values}
        ctx.cog = spec.cog
        reply = await spec.handler(ctx, **values)
        if ctx.missed_messages:
            # Our direct messages to this person failed (closed DMs, blocked bot): say so where they are now.
            ctx.missed_messages = False
            reply = dataclasses.replace(reply, text=Lines(reply.text, MISSED_MESSAGES_NOTE))
        return reply

    def check_allowed(self, ctx: Context, spec: CommandSpec) -> None:
        """A UserError naming who may use the command when this person may not."""
        if not self.may_use(spec, ctx.roles):
            assert spec.roles is not None
            raise UserError(_("Only {roles} can use /{command}.", roles=self.role_list(spec.roles),
                              command=spec.full_name))

    def _go_private(self, ctx: Context, spec: CommandSpec) -> Reply:
        frontend = self.app.frontends.get(ctx.platform)
        link = frontend.direct_link(spec.flat_name) if frontend is not None else None
        buttons = [Button(_("Open a private chat"), url=link)] if link else []
        return Reply(_("/{command} works only in a private chat with me, so that others don't see it.",
                       command=spec.full_name), buttons=buttons, private=True)

    # --------------------------------------------------------------------------------------- prompts

    def _pending_key(self, ctx: Context) -> tuple[str, str, str]:
        # Keyed by the platform account, so a frontend can ask before it creates anyone (has_prompt).
        return (ctx.chat.platform, ctx.chat.id, ctx.account.user_id)

    def has_prompt(self, platform: str, chat_id: str, user_id: str) -> bool:
        """Whether this account owes us an answer in this chat (group chatter is otherwise ignored)."""
        return (platform, chat_id, user_id) in self.pending

    def _prompt_expiry(self, ctx: Context) -> datetime:
        return ctx.now() + timedelta(seconds=self.app.config.bot.prompt_timeout_seconds)

    def _ask(self, ctx: Context, param: ParamSpec, choices: list[Choice], *, optional: bool = False,
             current: str | None = None) -> Reply:
        buttons = [[Button(choice.label, f"{PROMPT_PREFIX}:pick:{index}")]
                   for index, choice in enumerate(choices)]
        last = [Button(_("Cancel"), f"{PROMPT_PREFIX}:cancel", style="danger")]
        if optional:
            last.insert(0, Button(SKIP, f"{PROMPT_PREFIX}:skip"))
        if current is not None:
            last.insert(0, Button(KEEP, f"{PROMPT_PREFIX}:keep", style="primary"))
        buttons.append(last)
        hint = {
            Kind.LONG_TEXT: _("Write it as your next message."),
            Kind.DATETIME: _("For example “{example}” or “tomorrow 18:00”.", example=date_example(ctx)),
            Kind.CHOICE: _("Choose below."),
            Kind.YES_NO: _("Choose below."),
            Kind.REFERENCE: _("Choose below.") if choices else None,
        }.get(param.kind)
        shown: Text | None = next((c.label for c in choices if c.value == current), current)  # a choice: its label
        now = _("Now: {value}", value=shown) if shown is not None else None
        return Reply(Lines(param.question, now, hint), buttons=buttons)

    async def _answer_prompt(self, ctx: Context, pending: Pending, value: Any) -> Reply:
        if ctx.now() > pending.expires:
            self.pending.pop(self._pending_key(ctx), None)
            return Reply(_("That question expired. Start the command again."), private=True)
        assert pending.asking is not None
        pending.note = None
        try:
            try:
                pending.values[pending.asking.name] = await convert(ctx, pending.asking, value)
            except UserError as error:
                # The same field is still open: asked again.
                pending.note = error.message
                return refused(await self._continue(ctx, pending), error.message)
            return await self._continue(ctx, pending)
        except UserError as error:  # the handler refused (not a field's fault): the flow ends, as a command
            return Reply(error.message, private=True)
        except Exception as error:
            failed(error, "prompt for /%s failed", pending.spec.full_name)
            self.pending.pop(self._pending_key(ctx), None)
            return self.apology(error)

    def _cancel(self, ctx: Context) -> Reply:
        self.pending.pop(self._pending_key(ctx), None)
        return Reply(_("Cancelled."), edit=ctx.origin is not None)

    def cancel_button(self, ctx: Context) -> Reply:
        """A prompt's Cancel (owner-only, so it is the presser's own prompt): only an open one is cancelled."""
        if self._pending_key(ctx) not in self.pending:
            return Reply(notice=_("That question is no longer open."))
        return self._cancel(ctx)

    async def skip(self, ctx: Context) -> Reply:
        pending = self.pending.get(self._pending_key(ctx))
        if pending is None or pending.asking is None or pending.asking.required:
            return Reply(notice=_("That question is no longer open."))
        pending.skipped.add(pending.asking.name)
        pending.note = None
        return await self._continue(ctx, pending)

    async def keep(self, ctx: Context) -> Reply:
        """Keep the current answer of a reopened form (its prefill) for the field asked."""
        pending = self.pending.get(self._pending_key(ctx))
        if pending is None or pending.asking is None or pending.asking.name not in pending.prefill:
            return Reply(notice=_("That question is no longer open."))
        return await self._answer_prompt(ctx, pending, pending.prefill[pending.asking.name])

    async def pick(self, ctx: Context, index: int) -> Reply:
        pending = self.pending.get(self._pending_key(ctx))
        if pending is None or pending.asking is None or not 0 <= index < len(pending.choices):
            return Reply(notice=_("That question is no longer open."))
        return await self._answer_prompt(ctx, pending, pending.choices[index].value)

    def _group_help(self, ctx: Context, group: str) -> Reply:
        from bot.i18n import render

        lines = [f"/{spec.full_name} — {render(spec.description, ctx.language)}"
                 for spec in self.visible_commands(ctx.roles) if spec.path[0] == group and len(spec.path) == 2]
        return Reply(Lines(_("Commands of /{group}:", group=group), *lines), private=True)

    # --------------------------------------------------------------------------------------- buttons

    async def press(self, ctx: Context, action_id: str) -> Reply:
        """A button press (Telegram callback data, a Discord custom_id, a console click): the signature, the
        presser's rate, roles and ownership are checked before the handler runs."""
        signed: Signed | None = None
        try:
            refused = await self._admit(ctx)
            if refused is not None:
                return refused
            signed = self.signer.verify(action_id)
            if signed is None:  # forged, altered, or posted before the key changed
                return Reply(notice=NO_LONGER_WORKS)
            action, typed = self._resolve(signed)
            mine = signed.owner is not None and await self.app.people.is_same(signed.owner, ctx.person.id)
            self._check_press(ctx, action, mine)
            ctx.cog = action.cog
            reply = await action.handler(ctx, *typed)
            reply, owner = await self._keep_shared_messages(ctx, reply, mine)
        except PressRefused as refusal:
            return refusal.reply
        except UserError as error:
            return Reply(notice=error.message)
        except Exception as error:
            failed(error, "action %s failed", ":".join(signed.payload.split(":")[:2]) if signed else "?")
            return self.apology(error)
        await self.prompt_moved(ctx)  # a press answers, skips or cancels a prompt, or starts one (ctx.ask)
        return self.seal(reply, owner)

    def _resolve(self, signed: Signed) -> tuple[ActionSpec, list[Any]]:
        prefix, _sep, rest = signed.payload.partition(":")
        name, *args = rest.split(":") if rest else [""]
        action = self.actions.get((prefix, name))
        if action is None:
            raise PressRefused(Reply(notice=NO_LONGER_WORKS))
        try:
            typed = [action_arg(kind, arg) for kind, arg in zip(action.arg_types, args, strict=True)]
        except ValueError:  # an outdated action id (a handler changed its arguments), not a bug in the handler
            raise PressRefused(Reply(notice=NO_LONGER_WORKS)) from None
        return action, typed

    def _check_press(self, ctx: Context, action: ActionSpec, mine: bool) -> None:
        if not self.may_use(action, ctx.roles):
            assert action.roles is not None
            raise PressRefused(Reply(notice=_("Only {roles} can use this button.", roles=self.role_list(action.roles))))
        if action.owner_only and not mine:
            raise PressRefused(Reply(notice=NOT_YOURS))

    async def _keep_shared_messages(self, ctx: Context, reply: Reply, mine: bool) -> tuple[Reply, int | None]:
        """A press on a shared message (a card in a channel or group, or someone else's message there) never
        turns it into a personal answer: the answer goes to the presser alone (ephemeral, a DM, the console's
        "you"). Editing it stays allowed when the reply re-renders the very view that copy shows; it stays
        shared then (its buttons are signed for nobody). Returns the reply and whom to sign it for."""
        origin = ctx.origin
        if origin is None or ctx.chat.direct or mine:
            return reply, ctx.person.id
        if reply.edit:
            shown = await self.app.live.copies.shown_at(origin.platform, origin.chat_id, origin.message_id)
            if reply.shows is not None and reply.shows == shown:
                return reply, None
            return dataclasses.replace(reply, edit=False, private=True), ctx.person.id
        if reply.text or reply.title or reply.fields or reply.files:
            return dataclasses.replace(reply, private=True), ctx.person.id
        return reply, ctx.person.id

    async def suggest(self, ctx: Context, spec: CommandSpec, param_name: str, partial: str) -> list[Choice]:
        from bot.params import suggestions

        param = spec.param(param_name)
        if param is None:
            return []
        try:
            return await suggestions(ctx, param, partial)
        except Exception:
            log.exception("suggestions for /%s %s failed", spec.full_name, param_name)
            return []

    def confirm(self, question: Text, consequence: Text, yes: str, **options: Any) -> Reply:
        """A confirmation whose Yes is the cog action `yes` (an action id), which must be owner-only."""
        from bot.confirm import confirmation

        prefix, _sep, rest = yes.partition(":")
        action = self.actions.get((prefix, rest.split(":")[0]))
        if action is None:
            raise DeclarationError(f"confirm: no action {yes!r}")
        return confirmation(question, consequence, yes, owner_only=action.owner_only, **options)

    def preview(self, shown: Reply, heading: Text, actions: Sequence[Button], languages: Sequence[str]) -> Reply:
        """A post previewed with actions (Publish / Edit / Discard), each a cog action that must be owner-only:
        a preview anyone could publish is a declaration error."""
        from bot.confirm import preview

        for button in actions:
            prefix, _sep, rest = (button.action or "").partition(":")
            action = self.actions.get((prefix, rest.split(":")[0]))
            if action is None or not action.owner_only:
                raise DeclarationError(f"preview: the action {button.action!r} must be declared owner_only=True")
        return preview(shown, heading, actions, languages)

    @staticmethod
    def apology(error: BaseException | None = None) -> Reply:
        """What a person hears when handling failed: "busy" while another process holds the database locked
        (nothing is wrong, trying again soon works), else an apology."""
        if error is not None and is_busy(error):
            return Reply(_("I'm busy right now; please try again in a moment."), private=True)
        return Reply(_("Sorry, something went wrong on my side. The error was logged; please try again."),
                     private=True)


def failed(error: BaseException, message: str, *args: object) -> None:
    """A handler's failure in the log: a warning while another process holds the database (nothing is broken),
    else the traceback."""
    if is_busy(error):
        log.warning(message + ": the database is locked", *args)
    else:
        log.error(message, *args, exc_info=error)


def refused(asked: Reply, message: Text) -> Reply:
    """A question asked again, headed by why the last answer was refused (the modal has it as its note)."""
    return dataclasses.replace(asked, text=Lines(message, asked.text))


MISSED_MESSAGES_NOTE = _("(I could not send you direct messages lately: your DMs were closed or I was blocked. "
                         "Allow direct messages from me so that reminders reach you.)")

@dataclass(frozen=True)
class ConfiguredRoleName:
    """A role's name from config ([roles.X] name_fi / name_en), in the reader's language."""

    source: RoleSource
    role: str

    def render(self, language: str) -> str:
        return self.source.name(language) or self.role


# The prompt flow's own buttons: declared like a cog's, so the permission rules and the matrix cover them.
prompts = Cog("core", _("Questions I ask"), prefix=PROMPT_PREFIX)


@prompts.action("pick", owner_only=True)
async def _pick(ctx: Context, index: int) -> Reply:
    return await ctx.app.core.pick(ctx, index)


@prompts.action("skip", owner_only=True)
async def _skip(ctx: Context) -> Reply:
    return await ctx.app.core.skip(ctx)


@prompts.action("keep", owner_only=True)
async def _keep(ctx: Context) -> Reply:
    return await ctx.app.core.keep(ctx)


@prompts.action("form", owner_only=True)
async def _form_again(ctx: Context) -> Reply:
    return await ctx.app.core.form_again(ctx)


@prompts.action("no", owner_only=True)
async def _no(ctx: Context) -> Reply:
    return Reply(_("Nothing was changed."), edit=True)


@prompts.action("cancel", owner_only=True)
async def _cancel_prompt(ctx: Context) -> Reply:
    return ctx.app.core.cancel_button(ctx)
