"""What every part of the feedback cog shares: the cog, its settings, categories, case codes and rules."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.commands import Choice, Cog, UserError
from bot.config import Config, Field, between, table_keys_problem
from bot.context import Context, ServiceContext
from bot.conversations import Member
from bot.i18n import Text, Translated, _
from cogs.feedback.storage import Case, FeedbackQueries

CATEGORY_KEYS = {"id": str, "name_fi": str, "name_en": str, "role": str, "destination": str, "team_fi": str,
                 "team_en": str, "escalate_to": str, "confidential": bool}
CATEGORY_REQUIRED = ("id", "name_fi", "name_en", "role", "destination", "team_fi", "team_en")


def _categories(value: list[dict[str, Any]]) -> str | None:
    """[[feedback.categories]]: each with an id, names, its team's role, destination and label."""
    seen: set[str] = set()
    if not value:
        return "at least one category is needed"
    for index, table in enumerate(value):
        where = f"[{index}]"
        problem = table_keys_problem(table, where, CATEGORY_KEYS, CATEGORY_REQUIRED)
        if problem:
            return problem
        for key, kind in CATEGORY_KEYS.items():
            if key in table and not isinstance(table[key], kind):
                return f"{where}.{key}: must be {'true or false' if kind is bool else 'a string'}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", table["id"]) or table["id"] in seen:
            return f"{where}.id: {table['id']!r} must be a unique lowercase name (a-z, 0-9, _; at most 20)"
        seen.add(table["id"])
    for index, table in enumerate(value):
        target = table.get("escalate_to")
        if target is not None and (target not in seen or target == table["id"]):
            return f"[{index}].escalate_to: {target!r} must be another category's id"
    return None


# /feedback; its settings are the [feedback] table of config.toml (config.example.toml explains each key).
MIGRATIONS = Path(__file__).with_name("migrations")  # its tables, numbered from 0001
# The board reads the statistics; the teams' roles come from config (each category names its own).
ROLES = {"board": _("the board")}
cog = Cog("feedback", _("Anonymous feedback"), prefix="fb", needs_secret=True, migrations=MIGRATIONS, roles=ROLES,
          settings={
    "categories": Field("table_list", check=_categories),
    "delay_min_minutes": Field("int", 0, check=between(0, 120)),  # the team gets a message this much later ...
    "delay_max_minutes": Field("int", 15, check=between(0, 120)),  # ... at random, at most this much later
    "rate": Field("int", 3, check=between(1, 100)),  # new cases per sender ...
    "rate_hours": Field("int", 24, check=between(1, 720)),  # ... within this many hours
    "retention_days": Field("int", 365, check=between(1, 3650)),  # a case is deleted this long after its last message
    # the choices a team has when blocking
    "block_days": Field("int_list", [1, 7, 30], check=between(1, 365, min_items=1, max_items=5)),
    "page_size": Field("int", 5, check=between(1, 10)),  # cases per page of /feedback cases
    "retention_cron": Field("str", "30 3 * * *"),  # when old cases are deleted
})
cog.about = _("Harassment contacts (häirintäyhdyshenkilöt) are reached confidentially with /feedback send, "
              "category “Harassment”: only they read it, and nobody learns who you are.")

SENDER_KEY = "feedback-sender"  # the purpose of the keyed sender hash (blocks and the rate limit)
KIND = "feedback"  # the conversations' kind
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed back
CODE_LENGTH = 6  # 32^6 ≈ 10^9: not guessable by trying, and every use is checked anyway
CODE_RE = re.compile(r"^F-?([2-9A-HJ-NP-Z]{6})$")
TEXT_MAX = 2000


@dataclass(frozen=True)
class Category:
    id: str
    name_fi: str
    name_en: str
    role: str
    destination: str
    team_fi: str
    team_en: str
    escalate_to: str | None = None
    confidential: bool = False  # harassment: only its own team may read, list or count its cases' texts

    @property
    def name(self) -> Translated:
        return Translated({"fi": self.name_fi, "en": self.name_en})

    @property
    def team(self) -> Translated:
        return Translated({"fi": self.team_fi, "en": self.team_en})

    def member(self) -> Member:
        return Member.team(self.destination, label=self.team)


def settings(ctx: ServiceContext) -> Any:
    return ctx.section(cog.section)


def categories_of(config: Config) -> dict[str, Category]:
    return {table["id"]: Category(**table) for table in config.section(cog.section)["categories"]}


def categories(ctx: ServiceContext) -> dict[str, Category]:
    return categories_of(ctx.config)


def category_choices(config: Config) -> list[Choice]:
    return [Choice(c.id, c.name) for c in categories_of(config).values()]


def campus_choices(config: Config) -> list[Choice]:
    return [Choice(c.id, c) for c in config.campuses]


def campus_name(ctx: ServiceContext, campus: str | None) -> Text:
    if campus is None:
        return _("no campus given")
    try:
        found = ctx.config.campus(campus)
    except KeyError:  # removed from config since
        return campus
    return found


@cog.on_startup
async def check_settings(ctx: ServiceContext) -> None:
    """Roles and destinations are other tables: checked once everything is loaded."""
    found = settings(ctx)
    if found["delay_min_minutes"] > found["delay_max_minutes"]:
        raise RuntimeError("feedback.delay_min_minutes: must not be greater than delay_max_minutes")
    for index, category in enumerate(categories(ctx).values()):
        if category.role not in ctx.config.roles:
            raise RuntimeError(f"feedback.categories[{index}].role: no role {category.role!r}")
        if category.destination not in ctx.config.destinations:
            raise RuntimeError(f"feedback.categories[{index}].destination: no destination {category.destination!r}")


def new_code() -> str:
    return "F-" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def read_code(typed: str) -> str:
    """`F-7K2Q9M`, `f7k2q9m` or `7K2Q9M` as stored (`F-7K2Q9M`); a bad shape is the same error as an unknown
    code."""
    cleaned = typed.strip().upper().replace(" ", "")
    match = CODE_RE.match(cleaned if cleaned.startswith("F") else "F-" + cleaned)
    if match is None:
        raise UserError(_("There is no case {code}.", code=typed.strip()[:20]))
    return "F-" + match.group(1)


def hour_of(moment: datetime) -> datetime:
    """Times are kept and shown to the hour: "Aino was online at 14:03" must not point at a case."""
    return moment.replace(minute=0, second=0, microsecond=0)


def queries(ctx: ServiceContext) -> FeedbackQueries:
    return FeedbackQueries(ctx.db)


async def get_case(ctx: ServiceContext, typed: str) -> Case:
    code = read_code(typed)
    case = await queries(ctx).get(code)
    if case is None:
        raise UserError(_("There is no case {code}.", code=code))
    return case


def team_of(ctx: ServiceContext, case: Case) -> Category:
    """The category whose team holds the case now (its own, or where it was escalated)."""
    found = categories(ctx)
    return found.get(case.team) or found.get(case.category) or next(iter(found.values()))


def is_team(ctx: Context, case: Case) -> bool:
    return ctx.has_role(team_of(ctx, case).role)


async def team_case(ctx: Context, typed: str) -> Case:
    """A case the acting person's team holds, delivered to it; others are refused (harassment included)."""
    case = await get_case(ctx, typed)
    if case.conversation_id is None:
        raise UserError(_("There is no case {code}.", code=case.code))
    if not is_team(ctx, case):
        raise UserError(_("Case {code} belongs to another team.", code=case.code))
    return case


def my_teams(ctx: Context) -> list[str]:
    """Ids of the categories whose team the person is in (a confidential one only for its own role)."""
    return [c.id for c in categories(ctx).values() if ctx.has_role(c.role)]


def delay(ctx: ServiceContext) -> timedelta:
    found = settings(ctx)
    low, high = found["delay_min_minutes"] * 60, found["delay_max_minutes"] * 60
    return timedelta(seconds=low + secrets.randbelow(high - low + 1))
