"""One person across platforms, and the member's own data: /link, /settings, /mydata, /forgetme.

A student union in Finland keeps members' data under the GDPR: /mydata hands out everything stored about
the person (every cog adds its part through `export_person`), /forgetme erases it after a confirmation
(every cog clears its part through `forget_person`, then the person and every row naming them go).
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import timedelta
from typing import Annotated

from bot.builtin import LANGUAGE_CHOICES
from bot.commands import Choice, Cog, FieldError, File, Param, Reply, UserError
from bot.context import Context
from bot.i18n import LANGUAGE_NAMES, Hours, Lines, ListOf, Msg, Text, _, ngettext
from bot.quiet import parse_window
from storage.reminders import LinkCodes

log = logging.getLogger(__name__)

cog = Cog("account", _("You and your data"), prefix="acct", grouped=False)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8
CODE_VALID = timedelta(minutes=10)
PLATFORM_NAMES: dict[str, Text] = {"discord": "Discord", "telegram": "Telegram", "console": _("console")}
PLATFORM_CHOICES = [Choice(code, name) for code, name in PLATFORM_NAMES.items()]
QUIET_OFF = {"off", "pois", "none", "ei", "-"}


def platform_name(platform: str) -> Text:
    return PLATFORM_NAMES.get(platform, platform)


# ------------------------------------------------------------------------------------------- /link


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@cog.command(_("Link your accounts on Discord and Telegram"), private=True)
async def link(ctx: Context,
               code: Annotated[str | None, Param(_("The code from your other account"),
                                                 question=_("What is the linking code from your other account?"),
                                                 max_len=20)] = None
               ) -> Reply:
    codes = LinkCodes(ctx.db)
    if not code:
        fresh = new_code()
        await codes.issue(ctx.person.id, fresh, ctx.now() + CODE_VALID, ctx.now())
        return Reply(Lines(
            _("Your link code: {code}", code=fresh),
            ngettext("Type /link {code} on your other platform within {count} minute. Never give this code to "
                     "anyone else: it joins their account to yours.",
                     "Type /link {code} on your other platform within {count} minutes. Never give this code to "
                     "anyone else: it joins their account to yours.", int(CODE_VALID.seconds // 60), code=fresh),
        ), private=True)
    other = await codes.redeem(_normalise_code(code), ctx.now())
    if other is None:
        raise UserError(_("That code is not valid or has expired. Get a new one with /link."))
    if other == ctx.person.id:
        raise UserError(_("That code is from this same account. Type it on your other platform."))
    keep, gone = sorted((other, ctx.person.id))  # the older person stays; the newer one joins it
    await ctx.merge_people(keep, gone)
    log.info("linked person %s into %s", gone, keep)
    accounts = await ctx.people.accounts(keep)
    names = ListOf(platform_name(p) for p, _id in accounts)
    return Reply(_("Linked! You are now one person on {platforms}: your reminders and sign-ups follow you.",
                   platforms=names), private=True)


# --------------------------------------------------------------------------------------- /settings


async def _settings_text(ctx: Context, person_id: int) -> Lines:
    person = await ctx.people.get(person_id)
    assert person is not None
    accounts = await ctx.people.accounts(person_id)
    language = person.locale or ctx.config.community.default_language
    preferred: Text = (platform_name(person.preferred_platform) if person.preferred_platform
                       else _("the account you used first"))
    quiet: Text = (Hours(person.quiet_start, person.quiet_end)
                   if person.quiet_start and person.quiet_end else _("off"))
    return Lines(
        _("Your settings:"),
        _("Language: {language}", language=LANGUAGE_NAMES.get(language, language)),
        _("My messages go to: {platform}", platform=preferred),
        _("Linked accounts: {platforms}", platforms=ListOf(platform_name(p) for p, _id in accounts)),
        _("Quiet hours (non-urgent messages wait): {quiet}", quiet=quiet),
        _("Change with e.g. /settings language=en platform=telegram quiet=22-8 (quiet=off clears)."),
    )


@cog.command(_("Your language, platform and quiet hours"))
async def settings(ctx: Context,
                   language: Annotated[str | None, Param(_("Language"),
                                                         question=_("Which language should I speak with you?"),
                                                         choices=LANGUAGE_CHOICES)] = None,
                   platform: Annotated[str | None, Param(_("Where my messages go"),
                                                         question=_("Where should my messages go?"),
                                                         choices=PLATFORM_CHOICES)
                                       ] = None,
                   quiet: Annotated[str | None, Param(
                       _("Quiet hours, e.g. 22-8, or off"),
                       question=_("When should non-urgent messages wait (e.g. 22-8, or off)?"), max_len=20)] = None
                   ) -> Reply:
    people = ctx.people
    changed: Msg | None = None
    if platform is not None:
        linked = {p for p, _id in await people.accounts(ctx.person.id)}
        if platform not in linked:
            raise UserError(_("You have no linked {platform} account. Link it first with /link.",
                              platform=platform_name(platform)))
    window: tuple[str | None, str | None] | None = None
    if quiet is not None:
        window = (None, None) if quiet.strip().lower() in QUIET_OFF else parse_window(quiet)
        if window is None:
            # A FieldError: the quiet hours are asked again, naming the field the person got wrong.
            raise FieldError(_("“Quiet hours”: I could not read “{quiet}”. Write for example 22-8, 22:30-7 or off.",
                               quiet=quiet), "quiet")
    if language is not None:
        await ctx.set_language(language)
    if platform is not None:
        await people.set_preferred_platform(ctx.person.id, platform)
    if window is not None:
        await people.set_quiet_hours(ctx.person.id, *window)
    if language or platform or window:
        changed = _("Saved.")
    return Reply(Lines(changed, await _settings_text(ctx, ctx.person.id)), private=True)


# ----------------------------------------------------------------------------------------- /mydata


@cog.command(_("Everything I store about you, as a file"), private=True)
async def mydata(ctx: Context) -> Reply:
    data = await ctx.export_person(ctx.person.id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    return Reply(_("Here is everything I store about you."), files=[File("mydata.json", body, "application/json")],
                 private=True)


# --------------------------------------------------------------------------------------- /forgetme


@cog.command(_("Erase everything I store about you"), private=True)
async def forgetme(ctx: Context) -> Reply:
    return ctx.confirm(
        _("Erase everything I store about you?"),
        _("This erases everything I store about you: settings, linked accounts, reminders, sign-ups and "
          "requests, on every platform. It cannot be undone. /mydata gives you a copy first."),
        cog.action_id("forget", ctx.person.id), yes_label=_("Yes, erase everything"),
        no=cog.action_id("keep"), no_label=_("No, keep my data"))


@cog.action("keep", owner_only=True)
async def keep(ctx: Context) -> Reply:
    return Reply(_("Nothing was erased."), edit=True)


@cog.action("forget", owner_only=True)
async def forget(ctx: Context, person_id: int) -> Reply:
    if person_id != ctx.person.id:
        raise UserError(_("This button is not yours."))
    await ctx.forget_person(person_id)
    log.info("person %s erased on request", person_id)
    return Reply(_("Done: everything I stored about you is erased. If you use me again, I start from scratch."),
                 edit=True)
