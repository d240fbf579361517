"""Load and validate the bot's TOML configuration into frozen dataclasses.

Validation is table-driven: each TOML table has a schema (key -> Field) and one validator walks it,
collecting *every* problem as "<dotted.key>: <what is wrong>" so an operator fixes the file in one go.
Secrets never live in the file; they come from the environment only.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import math
import os
import re
import sys
import tomllib
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

__all__ = [
    "DEFAULT_COGS_DIR",
    "LANGUAGES",
    "REQUIRED",
    "REQUIRED_DESTINATIONS",
    "BotSettings",
    "Bounds",
    "Campus",
    "Check",
    "Community",
    "Config",
    "ConfigError",
    "Destination",
    "DiscordSettings",
    "Field",
    "OutboxSettings",
    "RoleSource",
    "SchedulerSettings",
    "Schema",
    "Secrets",
    "TelegramSettings",
    "between",
    "cron",
    "default_config_path",
    "load_config",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COGS_DIR = REPO_ROOT / "cogs"

LANGUAGES = ("fi", "en")
REQUIRED_DESTINATIONS = ("announcements", "board")
SECRET_ENV = {"discord": "DISCORD_TOKEN", "telegram": "TELEGRAM_TOKEN", "secret_key": "HUMAKO_SECRET_KEY"}


class ConfigError(ValueError):
    """The configuration is unusable; `problems` lists every mistake found."""

    def __init__(self, problems: list[str], path: Path | None = None) -> None:
        self.problems = problems
        self.path = path
        where = f"{path}: " if path else ""
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{where}invalid configuration ({count}):\n" + "\n".join(f"  {p}" for p in problems))


# --- schema description ---------------------------------------------------------------------------

REQUIRED: Any = object()  # sentinel: the key has no default

Check = Callable[[Any], str | None]  # returns an error message, or None when the value is fine

_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "must be an integer"),
    "number": (lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
               "must be a finite number"),
    "bool": (lambda v: isinstance(v, bool), "must be true or false"),
    "str": (lambda v: isinstance(v, str), "must be a string"),
    "int_list": (
        lambda v: isinstance(v, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in v),
        "must be a list of integers",
    ),
    "str_list": (
        lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "must be a list of strings",
    ),
    "table_list": (
        lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
        "must be an array of tables",
    ),
}


NUMERIC_KINDS = ("int", "number", "int_list")


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


@dataclass(frozen=True)
class Bounds:
    """The check every number needs: the value (or each value of a list, and how many) lies in [low, high].

    A number without an upper bound is how `prompt_timeout_seconds = 1e400` or `reminder_hours = [1e9]`
    got past check-config and broke the bot later; Field refuses a numeric kind without one."""

    low: float
    high: float
    max_items: int | None = None  # for lists
    min_items: int = 0

    def __call__(self, value: Any) -> str | None:
        if not isinstance(value, list):
            return None if self.low <= value <= self.high else f"must be between {self.range}, not {value!r}"
        if self.max_items is not None and len(value) > self.max_items:
            return f"must have at most {self.max_items} entries"
        if len(value) < self.min_items:
            return f"must have at least {self.min_items} entries"
        bad = [v for v in value if not self.low <= v <= self.high]
        return f"must contain only numbers between {self.range}, not {bad[0]!r}" if bad else None

    @property
    def range(self) -> str:
        return f"{_shown(self.low)} and {_shown(self.high)}"


def between(low: float, high: float, *, max_items: int | None = None, min_items: int = 0) -> Bounds:
    """Field(check=between(low, high)): the bounds of a number, or of every number in a list."""
    return Bounds(low, high, max_items, min_items)


@dataclass(frozen=True)
class Field:
    """One key of a TOML table: its kind (see _KINDS, or "secret"), default, allowed values, extra check.
    Numbers (int, number, int_list) must be bounded: check=between(low, high)."""

    kind: str
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    check: Check | None = None
    env: str = ""  # for kind="secret": the environment variable that must be used instead

    def __post_init__(self) -> None:
        if self.kind in NUMERIC_KINDS and not isinstance(self.check, Bounds) and self.choices is None:
            raise TypeError(f"a {self.kind!r} setting needs bounds: Field(..., check=between(low, high))")


Schema = Mapping[str, Field]

# Bounds of platform ids: Discord snowflakes fit a signed 64-bit column; Telegram ids have at most 52
# significant bits (groups and channels are negative).
DISCORD_IDS = between(1, 2**63 - 1)
TELEGRAM_IDS = between(-(2**53), 2**53)
DAY = 24 * 3600
MAX_SHARDS = 4096  # Discord gateway shards (a bot in ~10 million guilds)


def _slug(value: str) -> str | None:
    return None if re.fullmatch(r"[a-z][a-z0-9_-]*", value) else "must be lowercase a-z, 0-9, _ or -"


def _url(value: str) -> str | None:
    return None if not value or re.match(r"^https?://", value) else "must be empty or an http(s):// URL"


def _database_url(value: str) -> str | None:
    if not value or re.match(r"^(sqlite:///|postgresql://|postgres://)", value):
        return None
    return "must be empty (SQLite in the data directory), sqlite:///path or postgresql://..."


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}{_suggest(value, zoneinfo.available_timezones())}"
    return None


def cron(value: str) -> str | None:
    if len(value.split()) != 5:
        return f"must be a 5-field cron expression like '0 9 * * mon', not {value!r}"
    try:
        from apscheduler.triggers.cron import CronTrigger  # the scheduler's own parser, when installed
    except ImportError:
        return None
    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        return f"invalid cron expression {value!r}: {exc}"
    return None


SCHEDULER_JOB_KEYS = ("name", "cron", "destination", "text")


def table_keys_problem(table: dict[str, Any], where: str, known: Iterable[str], required: Iterable[str]) -> str | None:
    """One table of an array of tables ([[x]]): no unknown key, every required key a non-empty string."""
    known = tuple(known)
    unknown = sorted(set(table) - set(known))
    if unknown:
        return f"{where}: unknown key {unknown[0]!r} (known: {', '.join(known)})"
    for key in required:
        if not isinstance(table.get(key), str) or not table[key].strip():
            return f"{where}.{key}: required, a non-empty string"
    return None


def _scheduler_jobs(jobs: list[dict[str, Any]]) -> str | None:
    """[[scheduler.jobs]]: a text posted to a destination on a cron (destinations are checked in _build)."""
    names: set[str] = set()
    for index, job in enumerate(jobs):
        where = f"[{index}]"
        problem = table_keys_problem(job, where, SCHEDULER_JOB_KEYS, SCHEDULER_JOB_KEYS)
        if problem:
            return problem
        if _slug(job["name"]) or job["name"] in names:
            return f"{where}.name: {job['name']!r} must be a unique lowercase name (a-z, 0-9, _ or -)"
        names.add(job["name"])
        problem = cron(job["cron"])
        if problem:
            return f"{where}.cron: {problem}"
    return None


def _suggest(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _secret(env: str) -> Field:
    return Field("secret", default=None, env=env)


# Where people tend to paste tokens; each gets a pointer to the right environment variable.
TOP_SECRETS: Schema = {
    "discord_token": _secret(SECRET_ENV["discord"]),
    "telegram_token": _secret(SECRET_ENV["telegram"]),
    "secret_key": _secret(SECRET_ENV["secret_key"]),
    **{env: _secret(env) for env in SECRET_ENV.values()},
}

SECTIONS: dict[str, Schema] = {
    "community": {
        "name": Field("str", "HUMAKO"),
        "timezone": Field("str", "Europe/Helsinki", check=_timezone),
        "default_language": Field("str", "fi", choices=LANGUAGES),
    },
    "bot": {
        "cogs": Field("str_list", ["ping", "events"]),
        "command_rate": Field("int", 20, check=between(1, 10_000)),
        "command_rate_seconds": Field("number", 60.0, check=between(1, DAY)),
        "prompt_timeout_seconds": Field("number", 300.0, check=between(10, DAY)),
        "live_edit_seconds": Field("number", 3.0, check=between(0, 3600)),
        "live_dm_days": Field("number", 7.0, check=between(0.01, 366)),
        "live_dm_copies": Field("int", 200, check=between(1, 100_000)),
        **TOP_SECRETS,
    },
    "scheduler": {
        "grace_seconds": Field("number", 21600.0, check=between(0, 30 * DAY)),
        "jobs": Field("table_list", [], check=lambda jobs: _scheduler_jobs(jobs)),
    },
    "outbox": {
        "max_attempts": Field("int", 6, check=between(1, 100)),
        "backoff_seconds": Field("number", 2.0, check=between(0.1, 3600)),
    },
    "database": {
        "url": Field("str", "", check=_database_url),
        "busy_timeout_seconds": Field("number", 5.0, check=between(0.1, 60)),
        "pool_size": Field("int", 10, check=between(1, 1000)),
    },
    "workers": {  # several processes on one database (bot/workers.py)
        "lease_seconds": Field("number", 60.0, check=between(5, 3600)),
    },
    "discord": {
        "enabled": Field("bool", True),
        "guild_ids": Field("int_list", [], check=DISCORD_IDS),
        "sync": Field("str", "guild", choices=("guild", "global")),
        "api_base": Field("str", "", check=_url),
        # Gateway shards of this process (discord.py's AutoShardedClient); none: one connection, all guilds.
        "shard_ids": Field("int_list", [], check=between(0, MAX_SHARDS - 1, max_items=MAX_SHARDS)),
        "shard_count": Field("int", None, check=between(1, MAX_SHARDS)),
        "token": _secret(SECRET_ENV["discord"]),
    },
    "telegram": {
        "enabled": Field("bool", True),
        "mode": Field("str", "polling", choices=("polling", "webhook")),
        "base_url": Field("str", "", check=_url),
        "base_file_url": Field("str", "", check=_url),
        "webhook_url": Field("str", "", check=_url),
        "webhook_listen": Field("str", "127.0.0.1"),
        "webhook_port": Field("int", 8443, check=between(1, 65535)),
        "role_cache_seconds": Field("number", 300.0, check=between(0, DAY)),
        "token": _secret(SECRET_ENV["telegram"]),
    },
    "web": {  # bot/web.py: calendar feeds, /healthz, /metrics (and the Telegram webhook's address)
        "enabled": Field("bool", False),
        "bind": Field("str", "127.0.0.1"),
        "port": Field("int", 8080, check=between(0, 65535)),  # 0: any free port (tests)
        "base_url": Field("str", "", check=_url),  # what the reverse proxy serves the server as
        "organizer_email": Field("str", ""),  # ORGANIZER of the calendar entries ("" = none)
    },
}

CAMPUS: Schema = {
    "id": Field("str", check=_slug),
    "name_fi": Field("str"),
    "name_en": Field("str"),
    "destination": Field("str", None),
}
ROLE: Schema = {
    "discord_role_ids": Field("int_list", [], check=DISCORD_IDS),
    "discord_user_ids": Field("int_list", [], check=DISCORD_IDS),
    "telegram_chat_ids": Field("int_list", [], check=TELEGRAM_IDS),
    "telegram_user_ids": Field("int_list", [], check=TELEGRAM_IDS),
    "console_users": Field("str_list", []),
    # A role no enabled cog declares is defined here by naming it (in either language or both).
    "name_fi": Field("str", ""),
    "name_en": Field("str", ""),
}
DESTINATION: Schema = {
    "discord_channel_id": Field("int", None, check=DISCORD_IDS),
    "telegram_chat_id": Field("int", None, check=TELEGRAM_IDS),
    "language": Field("str", None, choices=LANGUAGES),  # None: the community's default language
    "console_only": Field("bool", False),
}

def _check_table(data: Any, schema: Schema, path: str, problems: list[str]) -> dict[str, Any]:
    """Validate one table against its schema; return the values with defaults (lists become tuples)."""
    if not isinstance(data, dict):
        problems.append(f"{path}: must be a table")
        data = {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        spec = schema.get(key)
        where = f"{path}.{key}" if path else key
        if spec is None:
            problems.append(
                f"{where}: unknown key{_suggest(key, (k for k, f in schema.items() if f.kind != 'secret'))}"
            )
        elif spec.kind == "secret":
            problems.append(f"{where}: secrets come from the environment: set {spec.env}")
        else:
            message = _check_value(value, spec)
            if message:
                problems.append(f"{where}: {message}")
            else:
                out[key] = _normalise(value, spec)
    for key, spec in schema.items():
        if key not in out and key not in data and spec.kind != "secret":
            if spec.default is REQUIRED:
                problems.append(
                    f"{path}.{key}: missing required key" if path else f"{key}: missing required key"
                )
            else:
                out[key] = _normalise(spec.default, spec)
    return out


def _normalise(value: Any, spec: Field) -> Any:
    """Lists become tuples (frozen config); numbers become float so `60` and `60.0` behave alike."""
    if isinstance(value, list):
        return tuple(value)
    if spec.kind == "number" and value is not None:
        return float(value)
    return value


def _check_value(value: Any, spec: Field) -> str | None:
    accepts, message = _KINDS[spec.kind]
    if not accepts(value):
        return message
    if spec.choices is not None and value not in spec.choices:
        return f"must be one of {', '.join(repr(c) for c in spec.choices)}, not {value!r}"
    if spec.check is not None:
        return spec.check(value)
    return None


# --- the validated configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class Community:
    name: str
    timezone: str
    default_language: str


@dataclass(frozen=True)
class BotSettings:
    cogs: tuple[str, ...]
    command_rate: int  # commands allowed per person ...
    command_rate_seconds: float  # ... within this many seconds
    prompt_timeout_seconds: float
    live_edit_seconds: float  # at most one edit per posted copy this often; the last edit shows the final state
    live_dm_days: float = 7.0  # a live copy in a direct chat is kept current this long (or until its thing ends)
    live_dm_copies: int = 200  # at most this many live copies of one thing in direct chats; the oldest retire


@dataclass(frozen=True)
class Campus:
    id: str
    name_fi: str
    name_en: str
    destination: str | None = None

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_fi

    def render(self, language: str) -> str:
        """A campus is a text (bot.i18n.Text): its name in the reader's language, for choices and lines."""
        return self.name(language)


@dataclass(frozen=True)
class RoleSource:
    """Where membership of one role comes from, per platform."""

    discord_role_ids: tuple[int, ...] = ()
    discord_user_ids: tuple[int, ...] = ()
    telegram_chat_ids: tuple[int, ...] = ()  # members of these chats have the role
    telegram_user_ids: tuple[int, ...] = ()
    console_users: tuple[str, ...] = ()
    name_fi: str = ""  # the role's name as shown ("Only tutors can ..."): a cog's own name for it otherwise
    name_en: str = ""

    def name(self, language: str) -> str | None:
        """The configured name in `language`, else in the other language, else None."""
        first, other = (self.name_en, self.name_fi) if language == "en" else (self.name_fi, self.name_en)
        return first or other or None


@dataclass(frozen=True)
class Destination:
    name: str
    discord_channel_id: int | None
    telegram_chat_id: int | None
    language: str
    console_only: bool = False


@dataclass(frozen=True)
class SchedulerSettings:
    grace_seconds: float  # jobs missed by less than this (bot was down) still run on start
    jobs: tuple[Mapping[str, str], ...] = ()  # [[scheduler.jobs]]: name, cron, destination, text


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int
    backoff_seconds: float


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""  # "": SQLite in the data directory; sqlite:///path; postgresql://user@host/db (asyncpg)
    busy_timeout_seconds: float = 5.0  # a statement waits this long for another process's lock, then fails
    pool_size: int = 10  # PostgreSQL: connections per process


@dataclass(frozen=True)
class WorkerSettings:
    lease_seconds: float = 60.0  # a dead worker's claimed rows are taken by another after this long


@dataclass(frozen=True)
class DiscordSettings:
    enabled: bool
    guild_ids: tuple[int, ...]
    sync: str
    api_base: str
    shard_ids: tuple[int, ...] = ()
    shard_count: int | None = None


@dataclass(frozen=True)
class TelegramSettings:
    enabled: bool
    mode: str
    base_url: str
    base_file_url: str
    webhook_url: str
    webhook_listen: str
    webhook_port: int
    role_cache_seconds: float


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = False
    bind: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    organizer_email: str = ""


@dataclass(frozen=True)
class Secrets:
    """Tokens from the environment; repr shows only whether each is set."""

    discord_token: str | None = field(default=None, repr=False)
    telegram_token: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={'<set>' if getattr(self, name) else None}" for name in self.__dataclass_fields__
        )
        return f"Secrets({shown})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        # An empty variable counts as unset, so `DISCORD_TOKEN=` disables the frontend.
        return cls(*(env.get(SECRET_ENV[k]) or None for k in ("discord", "telegram", "secret_key")))


_STRUCTURED = ("campuses", "roles", "destinations")


@dataclass(frozen=True)
class Config:
    community: Community
    bot: BotSettings
    campuses: tuple[Campus, ...]
    roles: Mapping[str, RoleSource]  # every known role (student, the enabled cogs' and config's), maybe empty
    destinations: Mapping[str, Destination]
    scheduler: SchedulerSettings
    outbox: OutboxSettings
    discord: DiscordSettings
    telegram: TelegramSettings
    secrets: Secrets
    sections: Mapping[str, Mapping[str, Any]]  # the enabled cogs' settings tables, defaults filled in
    path: Path | None = None
    web: WebSettings = WebSettings()
    database: DatabaseSettings = DatabaseSettings()
    workers: WorkerSettings = WorkerSettings()

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.community.timezone)

    @property
    def campus_ids(self) -> list[str]:
        return [c.id for c in self.campuses]

    def campus(self, campus_id: str) -> Campus:
        """The campus with this id; KeyError if there is none."""
        for campus in self.campuses:
            if campus.id == campus_id:
                return campus
        raise KeyError(f"no campus {campus_id!r}")

    def destination(self, name: str) -> Destination:
        """The named destination; KeyError if the config does not define it."""
        try:
            return self.destinations[name]
        except KeyError:
            raise KeyError(f"no destination {name!r}") from None

    def section(self, name: str) -> Mapping[str, Any]:
        """An enabled cog's settings table (its `section`), with defaults for keys the file leaves out."""
        try:
            return self.sections[name]
        except KeyError:
            raise KeyError(f"no configuration section {name!r}{_suggest(name, self.sections)}") from None

    @property
    def enabled_frontends(self) -> list[str]:
        """'console' always; a chat platform when its token is set and it is not disabled."""
        frontends = ["console"]
        if self.secrets.discord_token and self.discord.enabled:
            frontends.append("discord")
        if self.secrets.telegram_token and self.telegram.enabled:
            frontends.append("telegram")
        return frontends


# --- loading --------------------------------------------------------------------------------------


def default_config_path() -> Path:
    """config.toml in the working directory if present, else the repo's config.example.toml."""
    local = Path.cwd() / "config.toml"
    return local if local.exists() else REPO_ROOT / "config.example.toml"


def available_cogs(cogs_dir: Path) -> set[str]:
    """Module names in the cogs package: foo.py or foo/__init__.py, skipping _private ones."""
    if not cogs_dir.is_dir():
        return set()
    names = {p.stem for p in cogs_dir.glob("*.py")} | {p.parent.name for p in cogs_dir.glob("*/__init__.py")}
    return {n for n in names if not n.startswith("_")}


def load_config(path: Path, env: Mapping[str, str] = os.environ, cogs_dir: Path = DEFAULT_COGS_DIR) -> Config:
    """Read and validate `path`; raise ConfigError listing every problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(["file not found"], path) from None
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        raise ConfigError([f"not valid TOML: {exc}"], path) from None
    return _build(data, env, cogs_dir, Path(path))


def config_from_tables(data: Mapping[str, Any], env: Mapping[str, str] = os.environ,
                       cogs_dir: Path = DEFAULT_COGS_DIR, source: Path = Path("<tables>")) -> Config:
    """Validate configuration already read as TOML tables (the test kit's example with changes)."""
    return _build(dict(data), env, cogs_dir, source)


def _cog_module(name: str, cogs_dir: Path) -> ModuleType:
    """Import the cog module `name`: cogs.<name>, or the module in another cogs directory (a test's)."""
    if cogs_dir.resolve() == DEFAULT_COGS_DIR.resolve():
        return importlib.import_module(f"cogs.{name}")
    package = "_cogs_" + hashlib.sha256(str(cogs_dir.resolve()).encode()).hexdigest()[:16]
    if package not in sys.modules:
        parent = ModuleType(package)
        parent.__path__ = [str(cogs_dir)]
        sys.modules[package] = parent
    return importlib.import_module(f"{package}.{name}")


def _feature_schemas(cogs: tuple[str, ...], cogs_dir: Path, problems: list[str],
                     roles: list[str] | None = None) -> dict[str, Schema]:
    """The settings tables the enabled cogs declare: `cog = Cog(..., section=..., settings={...})`; the roles
    they declare (`Cog(..., roles={...})`) are added to `roles`."""
    from bot.commands import Cog

    schemas: dict[str, Schema] = {}
    owners: dict[str, str] = {}
    for name in cogs:
        cog = getattr(_cog_module(name, cogs_dir), "cog", None)
        if isinstance(cog, Cog) and roles is not None:
            roles += [role for role in cog.roles if role not in roles]
        if not isinstance(cog, Cog) or cog.settings is None:
            continue
        if cog.section in SECTIONS or cog.section in _STRUCTURED or cog.section in TOP_SECRETS:
            problems.append(f"bot.cogs: cog {name!r} declares [{cog.section}], a core configuration table")
        elif cog.section in owners:
            problems.append(f"bot.cogs: cogs {owners[cog.section]!r} and {name!r} both declare [{cog.section}]")
        else:
            owners[cog.section] = name
            schemas[cog.section] = cog.settings
    return schemas


def _build(data: dict[str, Any], env: Mapping[str, str], cogs_dir: Path, path: Path) -> Config:
    problems: list[str] = []
    core = {
        name: _check_table(data.get(name, {}), schema, name, problems) for name, schema in SECTIONS.items()
    }
    language = core["community"].get("default_language", "fi")

    known_cogs = available_cogs(cogs_dir)
    enabled: list[str] = []
    for cog in core["bot"].get("cogs", ()):
        if cog not in known_cogs:
            problems.append(f"bot.cogs: unknown cog {cog!r}{_suggest(cog, known_cogs)}")
        elif cog not in enabled:
            enabled.append(cog)
    from bot.roles import EVERYONE

    declared = [EVERYONE]
    features = _feature_schemas(tuple(enabled), cogs_dir, problems, declared)

    top_level = {  # "table" shapes are checked by each table's own validator
        **{k: Field("table") for k in (*SECTIONS, *_STRUCTURED, *features)},
        **TOP_SECRETS,
    }
    for key in data:
        spec = top_level.get(key)
        if spec is None and key in known_cogs and key not in enabled:
            problems.append(f"{key}: settings for the {key!r} cog, which is not enabled (add it to bot.cogs)")
        elif spec is None and key in enabled:
            problems.append(f"{key}: the {key!r} cog has no settings")
        elif spec is None:
            problems.append(f"{key}: unknown key{_suggest(key, (*SECTIONS, *_STRUCTURED, *features))}")
        elif spec.kind == "secret":
            problems.append(f"{key}: secrets come from the environment: set {spec.env}")

    telegram = core["telegram"]
    if telegram.get("mode") == "webhook" and not telegram.get("webhook_url"):
        problems.append("telegram.webhook_url: required when mode = 'webhook'")

    destinations = _destinations(data.get("destinations", {}), language, problems)
    for index, job in enumerate(core["scheduler"].get("jobs", ())):
        if job["destination"] not in destinations:
            problems.append(f"scheduler.jobs[{index}].destination: no destination named {job['destination']!r}"
                            f"{_suggest(job['destination'], destinations)}")
    campuses = _campuses(data.get("campuses", []), destinations, problems)
    roles = _roles(data.get("roles", {}), declared, problems)
    sections = {
        name: MappingProxyType(_check_table(data.get(name, {}), schema, name, problems))
        for name, schema in features.items()
    }
    if core["web"].get("enabled") and not core["web"].get("base_url"):
        problems.append("web.base_url: required when the web server is enabled (the feed URLs start with it)")
    _check_shards(core["discord"], problems)
    if problems:
        raise ConfigError(problems, path)
    return Config(
        community=Community(**core["community"]),
        bot=BotSettings(**core["bot"]),
        campuses=campuses,
        roles=MappingProxyType(roles),
        destinations=MappingProxyType(destinations),
        scheduler=SchedulerSettings(**core["scheduler"]),
        outbox=OutboxSettings(**core["outbox"]),
        discord=DiscordSettings(**core["discord"]),
        telegram=TelegramSettings(**core["telegram"]),
        secrets=Secrets.from_env(env),
        sections=MappingProxyType(sections),
        path=path,
        web=WebSettings(**core["web"]),
        database=DatabaseSettings(**core["database"]),
        workers=WorkerSettings(**core["workers"]),
    )


def _check_shards(discord: Mapping[str, Any], problems: list[str]) -> None:
    """shard_ids name this process's shards of shard_count, each once."""
    ids, count = discord.get("shard_ids") or (), discord.get("shard_count")
    if ids and count is None:
        problems.append("discord.shard_ids: needs discord.shard_count (how many shards all processes run)")
    elif count is not None and any(shard >= count for shard in ids):
        problems.append(f"discord.shard_ids: each shard id must be below shard_count ({count})")
    if len(set(ids)) != len(ids):
        problems.append("discord.shard_ids: a shard id is listed twice")


def _named_tables(data: Any, path: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        problems.append(f"{path}: must be a table")
        return {}
    return data


def _destinations(data: Any, language: str, problems: list[str]) -> dict[str, Destination]:
    result: dict[str, Destination] = {}
    for name, table in _named_tables(data, "destinations", problems).items():
        where = f"destinations.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append(f"{where}: destination names must be lowercase a-z, 0-9 or _")
        values = _check_table(table, DESTINATION, where, problems)
        if len(values) != len(DESTINATION):
            continue  # a key was invalid and is already reported
        if (
            values["discord_channel_id"] is None
            and values["telegram_chat_id"] is None
            and not values["console_only"]
        ):
            problems.append(f"{where}: needs discord_channel_id or telegram_chat_id (or console_only = true)")
        values["language"] = values["language"] or language
        result[name] = Destination(name=name, **values)
    present = data if isinstance(data, dict) else {}
    for name in REQUIRED_DESTINATIONS:
        if name not in present:
            problems.append(f"destinations.{name}: missing required destination")
    return result


def _campuses(data: Any, destinations: Mapping[str, Destination], problems: list[str]) -> tuple[Campus, ...]:
    if not isinstance(data, list):
        problems.append("campuses: must be an array of tables ([[campuses]])")
        return ()
    result: list[Campus] = []
    seen: set[str] = set()
    for index, table in enumerate(data):
        where = f"campuses[{index}]"
        values = _check_table(table, CAMPUS, where, problems)
        if len(values) != len(CAMPUS):
            continue
        if values["id"] in seen:
            problems.append(f"{where}.id: duplicate campus id {values['id']!r}")
        seen.add(values["id"])
        target = values["destination"]
        if target is not None and target not in destinations:
            problems.append(
                f"{where}.destination: no destination named {target!r}{_suggest(target, destinations)}"
            )
        result.append(Campus(**values))
    return tuple(result)


def _roles(data: Any, declared: list[str], problems: list[str]) -> dict[str, RoleSource]:
    """Membership sources of the roles the cogs declare, and further roles the file defines by naming them. A
    table for a role nobody declared and without a name is a mistake (a typo), reported with a suggestion."""
    roles = {role: RoleSource() for role in declared}
    tables = _named_tables(data, "roles", problems)
    named = [role for role, table in tables.items()
             if isinstance(table, dict) and (table.get("name_fi") or table.get("name_en"))]
    known = [*declared, *(role for role in named if role not in declared)]
    for role, table in tables.items():
        if not isinstance(table, dict):
            problems.append(f"roles.{role}: must be a table")
            continue
        if role not in known:
            problems.append(f"roles.{role}: unknown role (known: {', '.join(known)}){_suggest(role, known)}; "
                            "a role no cog declares needs name_fi or name_en")
            continue
        if not re.fullmatch(r"[a-z0-9_]{1,32}", role):
            problems.append(f"roles.{role}: role names must be lowercase a-z, 0-9 or _")
            continue
        values = _check_table(table, ROLE, f"roles.{role}", problems)
        if len(values) == len(ROLE):
            roles[role] = RoleSource(**values)
    return roles
