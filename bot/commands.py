"""The platform-neutral command model: cogs, commands, typed parameters, actions, jobs and replies.

A cog declares what it offers; frontends read these declarations to build native commands (Discord slash
commands, Telegram commands, console lines). Everything is checked when the cog loads against the stricter
of both platforms' rules, so a bad name fails at start-up, not in production.
"""

from __future__ import annotations

import enum
import functools
import inspect
import re
import types
import typing
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from bot.i18n import Msg, Text, _

if TYPE_CHECKING:
    from bot.config import Field

NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
ACTION_ID_MAX_BYTES = 64  # Telegram's callback_data limit; Discord allows 100.
# The core signs every action id when the reply leaves it (bot/signing.py): `<payload>~<owner>~<mac>`. A cog's
# payload must leave room for the separators, an owner of up to 7 base-36 digits and the 12-character MAC.
ACTION_SEP = "~"
ACTION_PAYLOAD_MAX = ACTION_ID_MAX_BYTES - 2 - 7 - 12
MAX_OPTIONS = 25  # both platforms: options per command, choices per option
DESCRIPTION_MAX = 100
CHOICE_LABEL_MAX = 100  # a choice's or suggestion's label (Discord's limit; Telegram buttons are shorter to read)


class DeclarationError(Exception):
    """A cog declared something that one of the platforms would reject."""


class UserError(Exception):
    """Something the person can fix: shown to them, translated, and nothing changes."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


class FieldError(UserError):
    """A value that does not fit the others (an online event without a link). Raised by a handler before it
    changes anything: the core re-asks `fields` (parameter names), keeping every other answer, instead of
    ending the flow."""

    def __init__(self, message: Text, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


# ---------------------------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Button:
    label: Text
    action: str = ""
    url: str | None = None
    style: str = "secondary"  # primary | secondary | success | danger

    def __post_init__(self) -> None:
        if self.url is None:
            check_action_id(self.action)

    def with_action(self, action: str) -> Button:
        """This button with another (checked, signed) action id: a copy without dataclasses.replace's cost,
        which a reply pays per button on every command."""
        button = object.__new__(Button)
        button.__dict__.update(self.__dict__, action=action)
        return button


@dataclass(frozen=True)
class File:
    name: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class Arrival:
    """Someone joined a community server (`@cog.on_arrival`): through which of the bot's invites, if known
    (its code, as `ctx.invite_link` made it), and when their platform account was made, if the platform says."""

    platform: str
    invite: str | None = None
    account_created: datetime | None = None


@dataclass(frozen=True)
class CalendarEntry:
    """A dated thing a reply shows (an event). Frontends with a calendar mirror it: on Discord a guild
    scheduled event, created when the message is posted in a server, updated on edits, cancelled with it."""

    uid: str  # stable per thing, e.g. "event:42": one calendar entry per thing and server
    title: Text
    start: datetime
    end: datetime | None = None
    location: Text = ""  # the campus, or the online link
    description: Text = ""
    cancelled: bool = False
    # A series from `start` on: every this many weeks on start's weekday, open-ended (a calendar that cannot end
    # a series gets it while more than one time is left; 0 once one is, and for a one-off).
    every_weeks: int = 0

    def rendered(self, language: str) -> CalendarEntry:
        from bot.i18n import render

        return CalendarEntry(self.uid, render(self.title, language), self.start, self.end,
                             render(self.location, language), render(self.description, language), self.cancelled,
                             self.every_weeks)

    def to_json(self) -> dict[str, Any]:
        from storage.db import to_iso  # stored in the outbox's rows: the one stored form of an instant

        return {"uid": self.uid, "title": str(self.title), "start": to_iso(self.start),
                "end": to_iso(self.end) if self.end else None, "location": str(self.location),
                "description": str(self.description), "cancelled": self.cancelled, "every_weeks": self.every_weeks}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalendarEntry:
        end = datetime.fromisoformat(data["end"]) if data.get("end") else None
        return cls(data["uid"], data["title"], datetime.fromisoformat(data["start"]), end, data["location"],
                   data["description"], data["cancelled"], int(data.get("every_weeks", 0)))


@dataclass
class Reply:
    """What a handler answers. Frontends render it natively; texts are rendered in the reader's language."""

    text: Text = ""
    title: Text | None = None
    fields: Sequence[tuple[Text, Text]] = ()
    buttons: Sequence[Sequence[Button]] | Sequence[Button] = ()  # rows, or a flat list as one row
    files: Sequence[File] = ()
    private: bool = False  # only the person sees it (Discord ephemeral; a DM elsewhere)
    edit: bool = False  # an action's reply that replaces the message the button was on
    notice: Text | None = None  # a short toast for the person who pressed a button
    shows: tuple[str, int] | None = None  # a view of a stored thing: the core keeps this copy current
    calendar: CalendarEntry | None = None  # a dated thing: mirrored in the platform's calendar if it has one
    form: FormAsk | None = None  # the core asks for fields: a modal where the platform has one, else this text

    def __post_init__(self) -> None:
        self.buttons = button_rows(self.buttons)

    @property
    def rows(self) -> list[list[Button]]:
        """The buttons as rows (a flat list given to the constructor is one row)."""
        buttons = self.buttons
        if not buttons:
            return []
        return button_rows(buttons)

    def with_buttons(self, rows: list[list[Button]]) -> Reply:
        """A copy of this reply with other buttons (the core's sealed ones), cheaper than dataclasses.replace."""
        reply = object.__new__(Reply)
        reply.__dict__.update(self.__dict__, buttons=rows)
        return reply

    @property
    def all_buttons(self) -> list[Button]:
        return [button for row in self.rows for button in row]


def button_rows(buttons: Sequence[Sequence[Button]] | Sequence[Button]) -> list[list[Button]]:
    """Rows of buttons; loose buttons (a flat list) form one row."""
    loose: list[Button] = []
    rows: list[list[Button]] = []
    for item in buttons:
        if isinstance(item, Button):
            loose.append(item)
        else:
            rows.append(list(item))
    return [loose, *rows] if loose else rows


def clip(text: str, limit: int) -> str:
    """Cut a text to a platform's limit, with an ellipsis so the reader sees it goes on."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_action_id(action: str) -> None:
    """A cog's action id (unsigned) must leave room for the signature; a signed one must fit the platforms."""
    if ACTION_SEP in action:
        if len(action.encode()) > ACTION_ID_MAX_BYTES or action.count(ACTION_SEP) != 2:
            raise DeclarationError(f"signed action id {action!r}: malformed or over {ACTION_ID_MAX_BYTES} bytes")
        return
    if not action or len(action.encode()) > ACTION_PAYLOAD_MAX:
        raise DeclarationError(f"action id {action!r} must be 1-{ACTION_PAYLOAD_MAX} bytes, without {ACTION_SEP!r}")


# ------------------------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text
    names: Mapping[str, str] = field(default_factory=dict)  # the value typed in another language: {"fi": "viikoittain"}


ChoicesSource = Sequence[Choice] | Callable[[Any], Sequence[Choice]]
Suggest = Callable[[Any, str], Awaitable[Sequence[Choice]]]


@dataclass(frozen=True)
class Param:
    """Constraints of one parameter, read from `Annotated[type, Param(...)]`."""

    description: Text
    max_len: int | None = None
    min_len: int | None = None
    min: int | None = None
    max: int | None = None
    choices: ChoicesSource | None = None  # a list, or a function of the config (campuses)
    future: bool = False  # a date-time that must be ahead of now
    # A date typed without a time of day: "default" reads it as 09:00, "refuse" asks for a time (an event's
    # start), "date" hands the handler a `datetime.date` (an edit that keeps the old time of day).
    date_alone: str = "default"
    long: bool = False  # long text: a modal on Discord, the next message elsewhere
    suggest: Suggest | None = None  # reference to a stored thing, with autocomplete
    names: Mapping[str, str] = field(default_factory=dict)  # the name in other languages: {"fi": "aloitus"}
    example: str | None = None  # a typed value shown by /help COMMAND (in English; dates in either language)
    # What the prompt asks when the field is missing: "When does the event start?" (else a generic question
    # naming `description`).
    question: Text | None = None


class Kind(enum.Enum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    CHOICE = "choice"
    DATETIME = "datetime"
    USER = "user"
    REFERENCE = "reference"
    YES_NO = "yes_no"


class PersonRef:
    """Annotate a parameter with this type to receive a person (another student, a tutor)."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: Kind
    param: Param
    required: bool
    default: Any = None

    @property
    def description(self) -> Text:
        return self.param.description

    @property
    def question(self) -> Text:
        """What a prompt asks for this field: its own question, else one built from its description."""
        if self.param.question is not None:
            return self.param.question
        return _("What should “{name}” be?", name=self.param.description)

    def choices(self, config: Any) -> Sequence[Choice]:
        if self.kind is Kind.YES_NO:
            return YES_NO_CHOICES
        source = self.param.choices
        if source is None:
            return ()
        return source(config) if callable(source) else source

    def display_name(self, language: str) -> str:
        """The name in the reader's language, as written (`päättyy`)."""
        return self.param.names.get(language, self.name)

    def typed_name(self, language: str) -> str:
        """The name typed or shown as a Discord option in that language: [a-z0-9_] (`paattyy`)."""
        return fold_name(self.display_name(language))

    def all_typed_names(self) -> set[str]:
        return {self.name, *(fold_name(n) for n in self.param.names.values())}


def fold_name(name: str) -> str:
    """A name as typed: case and accents folded (ä → a, ö → o), so `Päättyy=` and `paattyy=` both work."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


YES_NO_CHOICES = (Choice("yes", _("Yes"), {"fi": "kylla"}), Choice("no", _("No"), {"fi": "ei"}))


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        if set(args) == {datetime, date}:  # a date-time whose date may come alone (Param.date_alone="date")
            return datetime
    return annotation


def _kind_of(base: Any, param: Param) -> Kind:
    if param.choices is not None:
        return Kind.CHOICE
    if param.suggest is not None:
        return Kind.REFERENCE
    if base is str:
        return Kind.LONG_TEXT if param.long else Kind.TEXT
    if base is int:
        return Kind.INTEGER
    if base is datetime:
        return Kind.DATETIME
    if base is PersonRef:
        return Kind.USER
    if base is bool:
        return Kind.YES_NO
    raise DeclarationError(f"unsupported parameter type {base!r}")


def params_of(handler: Callable[..., Any], skip: int = 1) -> list[ParamSpec]:
    """Read typed parameters from a handler's signature, the way discord.py reads slash commands."""
    hints = typing.get_type_hints(handler, include_extras=True)
    specs: list[ParamSpec] = []
    for index, (name, sig_param) in enumerate(inspect.signature(handler).parameters.items()):
        if index < skip:
            continue
        hint = hints.get(name)
        if typing.get_origin(hint) is not Annotated:
            raise DeclarationError(f"{handler.__qualname__}.{name}: annotate with Annotated[type, Param(...)]")
        base, *extras = typing.get_args(hint)
        param = next((e for e in extras if isinstance(e, Param)), None)
        if param is None:
            raise DeclarationError(f"{handler.__qualname__}.{name}: missing Param(...)")
        required = sig_param.default is inspect.Parameter.empty
        default = None if required else sig_param.default
        specs.append(ParamSpec(name, _kind_of(_unwrap_optional(base), param), param, required, default))
    return specs


@dataclass(frozen=True)
class FormAsk:
    """The fields the core asks for next, together: Discord shows them as one modal (the reply's text and
    buttons ask for the first of them elsewhere). `given` holds answers kept from before, as typed text."""

    title: Text
    fields: tuple[ParamSpec, ...]
    given: Mapping[str, str] = field(default_factory=dict)
    note: Text | None = None  # why a field is asked again (a refused value)
    must: frozenset[str] = frozenset()  # optional fields that must be answered now (asked again after an error)


# ------------------------------------------------------------------------------------------ declarations

Handler = Callable[..., Awaitable[Reply]]


@dataclass
class CommandSpec:
    cog: Cog
    name: str
    description: Text
    handler: Handler
    params: list[ParamSpec]
    roles: frozenset[str] | None  # None: everyone
    private: bool  # must run in a direct chat (feedback, personal reminders)
    grouped: bool  # /event list (grouped) or /help (top level)

    # The names and parameter lists below are read on every command: kept once made (a spec does not change
    # once its cog has registered it).
    @property
    def path(self) -> tuple[str, ...]:
        return (self.cog.name, self.name) if self.grouped else (self.name,)

    @functools.cached_property
    def full_name(self) -> str:
        return " ".join(self.path)

    @functools.cached_property
    def flat_name(self) -> str:
        """Telegram has no subcommands: /event list becomes /event_list."""
        return "_".join(self.path)

    @functools.cached_property
    def long_params(self) -> list[ParamSpec]:
        """The long texts (a modal's paragraphs on Discord)."""
        return [p for p in self.params if p.kind is Kind.LONG_TEXT]

    @functools.cached_property
    def required_short(self) -> frozenset[str]:
        """The required parameters that are not long texts (a platform's own command options ask them)."""
        return frozenset(p.name for p in self.params if p.required and p.kind is not Kind.LONG_TEXT)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass
class ActionSpec:
    cog: Cog
    name: str
    handler: Handler
    arg_types: list[type]
    roles: frozenset[str] | None = None  # None: everyone; checked by the core as for commands
    owner_only: bool = False  # only the person the message was made for may press (prompts, confirmations)

    @functools.cached_property
    def full_name(self) -> str:
        return f"{self.cog.prefix}:{self.name}"

    def action_id(self, *args: Any) -> str:
        action = ":".join((self.full_name, *map(str, args)))
        check_action_id(action)
        return action


@dataclass
class JobSpec:
    cog: Cog
    name: str
    handler: Callable[..., Awaitable[None]]
    cron: str | None = None  # a recurring job in the community's time zone
    config_key: str | None = None  # or the cron expression read from the cog's config section
    # A job that posts publicly (a digest) names what it posts and where, for the communication calendar
    # (ctx.public_calendar): destination names, or a function of the config giving them.
    public: Text | None = None
    posts_to: Sequence[str] | Callable[[Any], Sequence[str]] = ()

    def destinations(self, config: Any) -> list[str]:
        return list(self.posts_to(config) if callable(self.posts_to) else self.posts_to)


@dataclass(frozen=True)
class PublicPost:
    """One thing the bot will post publicly (the communication calendar): when, what, where, and who plans it."""

    at: datetime
    title: Text
    destinations: tuple[str, ...]
    source: str  # the cog's name, or "config" for a [[scheduler.jobs]] entry


@dataclass
class TaskSpec:
    """A handler for scheduled rows (reminders) that a cog creates with ctx.schedule()."""

    cog: Cog
    name: str
    handler: Callable[..., Awaitable[None]]


@dataclass
class ViewSpec:
    """Renders a stored thing (an event card) so the core can refresh every posted copy of it."""

    cog: Cog
    kind: str
    handler: Callable[..., Awaitable[Reply | None]]


def _check_name(name: str, what: str) -> None:
    if not NAME_RE.match(name):
        raise DeclarationError(f"{what} name {name!r} must match [a-z0-9_]{{1,32}}")


def _check_description(text: Text, what: str) -> None:
    source = text.msgid if isinstance(text, Msg) else str(text)
    if not 1 <= len(source) <= DESCRIPTION_MAX:
        raise DeclarationError(f"{what}: description must be 1-{DESCRIPTION_MAX} characters")


class Cog:
    """A feature: its commands (as a group like /event ..., or top-level), actions, jobs and views."""

    def __init__(self, name: str, description: Text, *, prefix: str | None = None, grouped: bool = True,
                 settings: Mapping[str, Field] | None = None, section: str | None = None,
                 needs_secret: bool = False, migrations: Path | None = None, keys: str | None = None,
                 roles: Mapping[str, Text] | None = None):
        _check_name(name, "cog")
        _check_description(description, f"cog {name}")
        self.name = name
        self.description = description
        self.prefix = prefix or name
        # Its scheduled rows' keys start with `<keys>:` (default its prefix): ctx.schedule/unschedule check it.
        self.keys = keys or self.prefix
        # The roles its commands and buttons use, with their names as shown ("Only organisers can ..."): a role
        # neither declared by a loaded cog nor defined in config is refused at load (bot/core.py).
        self.roles: dict[str, Text] = dict(roles or {})
        for role in self.roles:
            _check_name(role, "role")
        self.grouped = grouped
        # The cog's config table ([<section>], default its name) and its schema, validated by load_config.
        self.settings: Mapping[str, Field] | None = settings
        self.section = section or name
        # It seals routes or hashes senders (bot/sealed.py): start-up refuses a missing or short secret.
        self.needs_secret = needs_secret
        # Its own tables: NNNN_name.sql files numbered from 0001 in this folder, recorded under the cog's name and
        # applied at start (after the core's) when the cog is enabled. Its queries live next to them.
        self.migrations = migrations
        self.commands: list[CommandSpec] = []
        self.forms: dict[str, CommandSpec] = {}
        self.actions: dict[str, ActionSpec] = {}
        self.jobs: list[JobSpec] = []
        self.tasks: dict[str, TaskSpec] = {}
        self.views: dict[str, ViewSpec] = {}
        self.deep_links: dict[str, Callable[..., Awaitable[Reply]]] = {}
        self.exporters: list[Callable[..., Awaitable[Any]]] = []
        self.forgetters: list[Callable[..., Awaitable[None]]] = []
        self.mergers: list[Callable[..., Awaitable[None]]] = []
        self.startup: list[Callable[..., Awaitable[None]]] = []
        self.calendar_feeds: list[Callable[..., Awaitable[list[Any]]]] = []
        self.arrivals: list[Callable[..., Awaitable[None]]] = []
        self.role_hooks: list[Callable[..., Awaitable[None]]] = []
        self.conversation_handlers: dict[str, Callable[..., Awaitable[Any]]] = {}
        # A line /help shows under the cog's commands and the /start greeting shows too (who to turn to).
        self.about: Text | None = None
        self.public_posts: list[Callable[..., Awaitable[Sequence[PublicPost]]]] = []

    def command(
        self,
        description: Text,
        *,
        name: str | None = None,
        roles: set[str] | frozenset[str] | None = None,
        private: bool = False,
        top_level: bool = False,
    ) -> Callable[[Handler], Handler]:
        """`top_level=True`: a command of a grouped cog that stands alone (`/benefits` beside `/member ...`)."""

        def register(handler: Handler) -> Handler:
            spec = self._spec(handler, description, name, roles, private)
            if top_level:
                spec.grouped = False
            if any(c.name == spec.name for c in self.commands):
                raise DeclarationError(f"/{self.name} {spec.name} declared twice")
            if len(spec.flat_name) > 32:
                raise DeclarationError(f"/{spec.flat_name}: the Telegram name must be at most 32 characters")
            self.commands.append(spec)
            return handler

        return register

    def form(self, title: Text, *, name: str | None = None,
             roles: set[str] | frozenset[str] | None = None) -> Callable[[Handler], Handler]:
        """A form the cog opens from a button with `ctx.form(handler, ...)`: declared like a command (its typed
        parameters are its fields), but not a command anyone types. Every field is asked, optional ones with a
        Skip button; Discord shows up to five at once as a modal."""

        def register(handler: Handler) -> Handler:
            spec = self._spec(handler, title, name, roles, False)
            if spec.name in self.forms:
                raise DeclarationError(f"form {self.prefix}:{spec.name} declared twice")
            self.forms[spec.name] = spec
            return handler

        return register

    def _spec(self, handler: Handler, description: Text, name: str | None,
              roles: set[str] | frozenset[str] | None, private: bool) -> CommandSpec:
        command_name = name or handler.__name__.rstrip("_")
        _check_name(command_name, "command")
        _check_description(description, f"/{self.name} {command_name}")
        params = params_of(handler)
        if len(params) > MAX_OPTIONS:
            raise DeclarationError(f"/{command_name}: at most {MAX_OPTIONS} parameters")
        seen_optional = False
        typed: dict[str, str] = {}
        for spec in params:
            _check_name(spec.name, f"/{command_name} parameter")
            _check_description(spec.description, f"/{command_name} {spec.name}")
            for other in spec.all_typed_names():
                _check_name(other, f"/{command_name} {spec.name}: the name")
                if typed.setdefault(other, spec.name) != spec.name:
                    raise DeclarationError(f"/{command_name}: {other!r} names both {typed[other]} and {spec.name}")
            if isinstance(spec.param.choices, Sequence) and len(spec.param.choices) > MAX_OPTIONS:
                raise DeclarationError(f"/{command_name} {spec.name}: at most {MAX_OPTIONS} choices")
            if spec.required and seen_optional:
                raise DeclarationError(f"/{command_name}: required {spec.name} after an optional one")
            seen_optional = seen_optional or not spec.required
        return CommandSpec(self, command_name, description, handler, params,
                           frozenset(roles) if roles else None, private, self.grouped)

    def action(self, name: str, *, roles: set[str] | frozenset[str] | None = None,
               owner_only: bool = False) -> Callable[[Handler], Handler]:
        """A button handler: the action id is `<prefix>:<name>:<arg>:<arg>`, args typed by the signature.

        `roles`: who may press it, as for commands. `owner_only`: only the person the message was made for (the
        one who typed the command, or received the DM) may press it; others are told it is not theirs."""

        def register(handler: Handler) -> Handler:
            _check_name(name, "action")
            if name in self.actions:
                raise DeclarationError(f"action {self.prefix}:{name} declared twice")
            hints = typing.get_type_hints(handler)
            names = list(inspect.signature(handler).parameters)[1:]
            arg_types = [hints.get(n, str) for n in names]
            self.actions[name] = ActionSpec(self, name, handler, arg_types, frozenset(roles) if roles else None,
                                            owner_only)
            return handler

        return register

    def action_id(self, name: str, *args: Any) -> str:
        return self.actions[name].action_id(*args)

    def job(self, *, cron: str | None = None, config_key: str | None = None, public: Text | None = None,
            posts_to: Sequence[str] | Callable[[Any], Sequence[str]] = ()) -> Callable[[Any], Any]:
        """A recurring job; `public=` (what it posts) and `posts_to=` (where) list its fires in the communication
        calendar (`ctx.public_calendar`)."""
        def register(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
            if any(job.name == handler.__name__ for job in self.jobs):
                raise DeclarationError(f"job {handler.__name__!r} declared twice by cog {self.name!r}")
            self.jobs.append(JobSpec(self, handler.__name__, handler, cron, config_key, public, posts_to))
            return handler

        return register

    def task(self, name: str) -> Callable[[Any], Any]:
        def register(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
            if name in self.tasks:
                raise DeclarationError(f"task {name!r} declared twice by cog {self.name!r}")
            self.tasks[name] = TaskSpec(self, name, handler)
            return handler

        return register

    def view(self, kind: str) -> Callable[[Any], Any]:
        def register(handler: Callable[..., Awaitable[Reply | None]]) -> Callable[..., Awaitable[Reply | None]]:
            if kind in self.views:
                raise DeclarationError(f"view {kind!r} declared twice by cog {self.name!r}")
            self.views[kind] = ViewSpec(self, kind, handler)
            return handler

        return register

    def deep_link(self, prefix: str) -> Callable[[Any], Any]:
        """`/start <prefix>_<rest>` (Telegram deep links, console `/start`) reaches this handler."""

        def register(handler: Callable[..., Awaitable[Reply]]) -> Callable[..., Awaitable[Reply]]:
            if prefix in self.deep_links:
                raise DeclarationError(f"deep link {prefix!r} declared twice by cog {self.name!r}")
            self.deep_links[prefix] = handler
            return handler

        return register

    def conversation_message(self, kind: str) -> Callable[[Any], Any]:
        """`handler(ctx, message)` hears what members write in the cog's conversations of this kind (opened
        with `ctx.open_conversation(kind, ...)`, see bot/conversations.py). It returns None to relay the message
        to the other members as it is, False to relay nothing, or a Reply to relay instead."""

        def register(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            _check_name(kind, "conversation kind")
            if kind in self.conversation_handlers:
                raise DeclarationError(f"conversation kind {kind!r} declared twice")
            self.conversation_handlers[kind] = handler
            return handler

        return register

    def planned_posts(self, handler: Callable[..., Awaitable[Sequence[PublicPost]]]
                      ) -> Callable[..., Awaitable[Sequence[PublicPost]]]:
        """`handler(ctx, since, until) -> [PublicPost]`: what the cog's own rows will post publicly in
        [since, until) (scheduled announcements), for the communication calendar."""
        self.public_posts.append(handler)
        return handler

    def on_startup(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        self.startup.append(handler)
        return handler

    def calendar_feed(self, handler: Callable[..., Awaitable[list[Any]]]) -> Callable[..., Awaitable[list[Any]]]:
        """`handler(ctx, feed) -> list[icalendar.Event]`: this cog's entries in a subscribed calendar
        (bot/feeds.py). `feed.person_id` set: that person's own (links welcome), else a public feed of
        `feed.scope` ("all", a campus id, "online") that must carry no links; texts in `feed.language`.
        DTSTAMP/LAST-MODIFIED from the stored row and a SEQUENCE that grows with each edit."""
        self.calendar_feeds.append(handler)
        return handler

    def on_arrival(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """`handler(ctx, arrival)` runs when someone joins a community server (a Discord guild; the frontend
        then needs the privileged members intent): `ctx` is the newcomer's Context, `arrival` an Arrival."""
        self.arrivals.append(handler)
        return handler

    def on_role_given(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """`handler(ctx, role)` runs when a platform gives someone a configured role (a Discord server role
        mapped in [roles.X]): `ctx` is that person's Context, `role` the role's name."""
        self.role_hooks.append(handler)
        return handler

    def export_person(self, handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        self.exporters.append(handler)
        return handler

    def forget_person(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        self.forgetters.append(handler)
        return handler

    def merge_person(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """`handler(ctx, kept_person_id, merged_person_id)`, run when /link makes two people one: inside the
        merge's transaction, before the core moves the remaining rows naming the merged person to the kept
        one. The cog settles its own rows there (a unique rule would otherwise leave one behind)."""
        self.mergers.append(handler)
        return handler

    def person_data(self, store: Callable[[Any], Any], *, merge: bool = True) -> None:
        """/mydata, /forgetme (and /link) straight from the cog's storage: `store(ctx)` returns its query object,
        whose `export_person(person_id)`, `forget_person(person_id)` and `merge_people(keep, gone)` do the work.
        `merge=False` when the core's generic move of rows naming the person is all /link needs."""

        async def export(ctx: Any, person_id: int) -> Any:
            return await store(ctx).export_person(person_id)

        async def forget(ctx: Any, person_id: int) -> None:
            await store(ctx).forget_person(person_id)

        async def merge_people(ctx: Any, keep_id: int, gone_id: int) -> None:
            await store(ctx).merge_people(keep_id, gone_id)

        self.export_person(export)
        self.forget_person(forget)
        if merge:
            self.merge_person(merge_people)


# ------------------------------------------------------------------------------------- rendered replies


@dataclass(frozen=True)
class RenderedButton:
    label: str
    action: str = ""
    url: str | None = None
    style: str = "secondary"


@dataclass
class Rendered:
    """A reply rendered in one language: plain strings, ready for a frontend or for the outbox's table."""

    text: str = ""
    title: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[list[RenderedButton]] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    private: bool = False
    edit: bool = False
    notice: str | None = None
    shows: tuple[str, int] | None = None
    calendar: CalendarEntry | None = None  # with rendered strings

    def has_body(self) -> bool:
        """Something to show as a message; a reply with only a notice is a toast for the presser."""
        return bool(self.text or self.title or self.fields or self.files)

    def plain_text(self) -> str:
        """Title, text and fields as one plain text (console, Telegram, notifications)."""
        parts = [self.title] if self.title else []
        if self.text:
            parts.append(self.text)
        parts.extend(f"{name}: {value}" for name, value in self.fields)
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        import base64

        return {
            "text": self.text, "title": self.title, "fields": self.fields,
            "buttons": [[vars(b) for b in row] for row in self.buttons],
            "files": [{"name": f.name, "mime": f.mime, "data": base64.b64encode(f.data).decode()}
                      for f in self.files],
            "private": self.private, "notice": self.notice,
            "calendar": self.calendar.to_json() if self.calendar else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rendered:
        import base64

        return cls(
            text=data["text"], title=data["title"], fields=[tuple(f) for f in data["fields"]],
            buttons=[[RenderedButton(**b) for b in row] for row in data["buttons"]],
            files=[File(f["name"], base64.b64decode(f["data"]), f["mime"]) for f in data["files"]],
            private=data["private"], notice=data.get("notice"),
            calendar=CalendarEntry.from_json(data["calendar"]) if data.get("calendar") else None,
        )


def render_reply(reply: Reply, language: str) -> Rendered:
    from bot.i18n import render

    # Every reply passes here: the empty parts (most replies have no fields, files or calendar) cost nothing.
    return Rendered(
        text=render(reply.text, language),
        title=render(reply.title, language) if reply.title is not None else None,
        fields=[(render(name, language), render(value, language)) for name, value in reply.fields]
        if reply.fields else [],
        buttons=[[RenderedButton(render(b.label, language), b.action, b.url, b.style) for b in row]
                 for row in reply.rows],
        files=list(reply.files) if reply.files else [],
        private=reply.private,
        edit=reply.edit,
        notice=render(reply.notice, language) if reply.notice is not None else None,
        shows=reply.shows,
        calendar=reply.calendar.rendered(language) if reply.calendar is not None else None,
    )
