"""What every part of the membership cog shares: the cog, its settings, places (campuses and online), lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.commands import Choice, Cog
from bot.config import Config, Field, between, cron
from bot.context import ServiceContext
from bot.i18n import Text, _
from cogs.membership.storage import Campaign, MembershipQueries

MIGRATIONS = Path(__file__).with_name("migrations")
ROLES = {"board": _("the board")}
cog = Cog("member", _("Membership: referrals, benefits, joining"), prefix="mb", section="membership",
          migrations=MIGRATIONS, roles=ROLES, settings={
              "destination": Field("str", "announcements"),  # the live leaderboard, the winner, the spotlight
              "board_destination": Field("str", "board"),  # the end-of-campaign CSV
              "invite_destination": Field("str", "announcements"),  # whose Discord channel personal invites open
              "min_account_days": Field("int", 7, check=between(0, 3650)),  # younger Discord accounts: review
              "member_role": Field("str", ""),  # a configured role whose grant on Discord confirms a referral
              "leaderboard_size": Field("int", 10, check=between(1, 50)),
              "page_size": Field("int", 5, check=between(1, 25)),
              "benefit_kinds": Field("str_list", ["food", "sport", "culture", "travel", "study", "other"]),
              "spotlight_cron": Field("str", "0 10 * * wed", check=cron),
              "join_link": Field("str", ""),
              "pitch_fi": Field("str", ""),
              "pitch_en": Field("str", ""),
              "guide_fi": Field("str", ""),
              "guide_en": Field("str", ""),
          })

ONLINE = "online"
EVERYWHERE = "everywhere"


def settings(ctx: ServiceContext) -> Any:
    return ctx.section("membership")


def queries(ctx: ServiceContext) -> MembershipQueries:
    return MembershipQueries(ctx.db)


@dataclass(frozen=True)
class InLanguage:
    """A text from config given in both languages, shown in the reader's (the other one when it is empty)."""

    fi: str
    en: str

    def render(self, language: str) -> str:
        return (self.en or self.fi) if language == "en" else (self.fi or self.en)


def place_name(config: Config, place: str | None) -> Text:
    if place == ONLINE:
        return _("Online")
    if place == EVERYWHERE:
        return _("Everywhere")
    if place is None:
        return _("Not said")
    try:
        campus = config.campus(place)
    except KeyError:  # a campus removed from config since
        return place
    return campus


def campus_choices(config: Config) -> list[Choice]:
    """Where a person studies: a campus, or online."""
    return [Choice(c.id, c) for c in config.campuses] + \
        [Choice(ONLINE, _("Online"), {"fi": "verkossa"})]


def place_choices(config: Config) -> list[Choice]:
    """Where a benefit holds: a campus, online, or everywhere."""
    return [*campus_choices(config), Choice(EVERYWHERE, _("Everywhere"), {"fi": "kaikkialla"})]


def kind_choices(config: Config) -> list[Choice]:
    return [Choice(kind, kind) for kind in config.section("membership")["benefit_kinds"]]


def places(config: Config) -> list[str]:
    """Every place a student can be: the campuses and online."""
    return [c.id for c in config.campuses] + [ONLINE]


def is_running(campaign: Campaign | None, now: datetime) -> bool:
    return campaign is not None and campaign.ended_at is None and campaign.starts_at <= now < campaign.ends_at
