"""Referrals: a personal code and links, naming who told you (a code, a person, a link, an invite), and the
board's confirmation (a button on the pending list, or the member role given on Discord)."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Annotated, Any

from bot.commands import Arrival, Button, Param, PersonRef, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, _
from bot.pager import Line, source_pager
from cogs.membership.campaign import BOARD_VIEW, running_campaign
from cogs.membership.common import campus_choices, cog, place_name, queries, settings
from cogs.membership.storage import Referral

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 6
LINK_PREFIX = "ref"  # /start ref_CODE
VIA_TEXT = {"code": _("code"), "person": _("named"), "link": _("link"), "invite": _("Discord invite")}


async def code_for(ctx: ServiceContext, person_id: int) -> str:
    q = queries(ctx)
    while (code := await q.code_of(person_id)) is None:
        await q.set_code(person_id, "".join(secrets.choice(CODE_ALPHABET) for _n in range(CODE_LENGTH)))
    return code


@cog.command(_("Your personal code and links for inviting new members"))
async def invite(ctx: Context) -> Reply:
    code = await code_for(ctx, ctx.person.id)
    q = queries(ctx)
    buttons: list[Button] = []
    telegram = ctx.direct_link("telegram", f"{LINK_PREFIX}_{code}")
    if telegram:
        buttons.append(Button(_("Telegram link"), url=telegram))
    discord = await q.invite_of(ctx.person.id, "discord")
    if discord is None:
        made = await ctx.invite_link(settings(ctx)["invite_destination"], "discord")
        if made is not None:
            await q.add_invite(ctx.person.id, "discord", made[0], made[1])
            discord = made[1]
    if discord:
        buttons.append(Button(_("Discord invite"), url=discord))
    return Reply(Lines(_("Your code is {code}. Whoever joins as a member can name you with /member joined code={code}.",
                         code=code), *(url for url in (telegram, discord) if url),
                       _("A referral counts once the board has confirmed the membership.")),
                 buttons=buttons, private=True)


async def refer(ctx: Context, referrer_id: int, via: str, campus: str | None = None,
                status: str = "pending") -> int:
    """Records that `referrer_id` told this person about membership; refuses what must not count."""
    campaign = await running_campaign(ctx)
    if referrer_id == ctx.person.id:
        raise UserError(_("You cannot name yourself."))
    q = queries(ctx)
    referral_id = await q.add_referral(campaign.id, referrer_id, ctx.person.id, via, campus, status, ctx.now())
    if referral_id is None:
        raise UserError(_("You have already named who told you about membership in this campaign."))
    return referral_id


def _thanks(name: str, referral_id: int, campus: str | None, config: Any) -> Reply:
    text = _("Thank you! {name} gets the credit once the board has confirmed your membership.", name=name)
    if campus is not None:
        return Reply(text, private=True)
    # Where they study shows where recruitment works: asked with buttons, skipping is fine.
    buttons = [Button(choice.label, cog.action_id("campus", referral_id, choice.value))
               for choice in campus_choices(config)]
    return Reply(Lines(text, _("Where do you study?")), buttons=buttons, private=True)


@cog.command(_("Tell who told you about membership"))
async def joined(ctx: Context,
                 code: Annotated[str | None, Param(_("Their code"),
                                                   question=_("What is the code of the person who recommended you?"),
                                                   max_len=16, names={"fi": "koodi"},
                                                   example="K7M2QX")] = None,
                 person: Annotated[PersonRef | None, Param(_("Or the person"),
                                                           question=_("Or who recommended you?"),
                                                           names={"fi": "henkilo"})] = None,
                 campus: Annotated[str | None, Param(_("Where you study"),
                                                     question=_("Which campus do you study at?"),
                                                     choices=campus_choices,
                                                     names={"fi": "kampus"})] = None) -> Reply:
    if (code is None) == (person is None):
        raise UserError(_("Give either their code or their name."))
    if code is not None:
        referrer = await queries(ctx).owner_of_code(code.strip().upper())
        if referrer is None:
            raise UserError(_("No one has the code {code}.", code=code))
        via = "code"
    else:
        referrer, via = int(getattr(person, "id")), "person"  # noqa: B009 - a PersonRef is a stored Person
    referral_id = await refer(ctx, referrer, via, campus)
    found = await ctx.people.get(referrer)
    return _thanks(found.display_name if found else "?", referral_id, campus, ctx.config)


@cog.deep_link(LINK_PREFIX)
async def arrived_by_link(ctx: Context, rest: str) -> Reply:
    referrer = await queries(ctx).owner_of_code(rest.strip().upper())
    if referrer is None:
        raise UserError(_("That link is not valid any more. Ask for a new one, or name the person with "
                          "/member joined."))
    referral_id = await refer(ctx, referrer, "link")
    found = await ctx.people.get(referrer)
    return _thanks(found.display_name if found else "?", referral_id, None, ctx.config)


@cog.action("campus", owner_only=True)
async def set_campus(ctx: Context, referral_id: int, campus: str) -> Reply:
    if campus not in {c.value for c in campus_choices(ctx.config)}:
        raise UserError(_("That campus is not known."))
    referral = await queries(ctx).referral(referral_id)
    if referral is None or referral.newcomer_id != ctx.person.id:
        raise UserError(_("That referral is gone."))
    await queries(ctx).set_campus(referral_id, campus)
    await ctx.changed(BOARD_VIEW, referral.campaign_id)
    return Reply(_("Noted: {place}.", place=place_name(ctx.config, campus)), edit=True)


@cog.on_arrival
async def joined_server(ctx: Context, arrival: Arrival) -> None:
    """A join through someone's personal invite is their referral; a young account waits for review."""
    if arrival.invite is None:
        return
    referrer = await queries(ctx).owner_of_invite(arrival.platform, arrival.invite)
    if referrer is None:
        return
    young = timedelta(days=settings(ctx)["min_account_days"])
    status = "review" if arrival.account_created and ctx.now() - arrival.account_created < young else "pending"
    try:
        await refer(ctx, referrer, "invite", status=status)
    except UserError:  # outside a campaign, oneself, or already counted: nothing to record
        return


async def confirmed(ctx: ServiceContext, referral: Referral) -> None:
    """The card follows, and the referrer hears that their referral counts (not at night)."""
    await ctx.changed(BOARD_VIEW, referral.campaign_id)
    newcomer = await ctx.people.get(referral.newcomer_id)
    await ctx.notify(referral.referrer_id, Reply(_("{name} is now a confirmed member: your referral counts.",
                                                   name=newcomer.display_name if newcomer else "?")), urgent=False)


@cog.on_role_given
async def membership_role(ctx: Context, role: str) -> None:
    """The membership role given on Discord confirms the person's referral in the running campaign."""
    if not role or role != settings(ctx)["member_role"]:
        return
    q = queries(ctx)
    campaign = await q.open_campaign()
    referral = await q.referral_of(campaign.id, ctx.person.id) if campaign is not None else None
    if referral is not None and await q.confirm(referral.id, ctx.now()):
        await confirmed(ctx, referral)


# --------------------------------------------------------------------------------------- the board's list

@cog.command(_("Referrals waiting for the board's confirmation"), roles={"board"})
async def pending(ctx: Context) -> Reply:
    return await _pending_page(ctx, 1, edit=False)


@cog.action("pend", roles={"board"})
async def pending_page(ctx: Context, page: int) -> Reply:
    return await _pending_page(ctx, page, edit=True)


async def _pending_page(ctx: Context, page: int, *, edit: bool) -> Reply:
    campaign = await queries(ctx).open_campaign()
    if campaign is None:
        raise UserError(_("No campaign is on."))

    def line(found: tuple[Referral, str, str]) -> Line:
        referral, referrer, newcomer = found
        text: Text = _("{newcomer} (told by {referrer}; {via}, {place})", newcomer=newcomer, referrer=referrer,
                       via=VIA_TEXT.get(referral.via, referral.via), place=place_name(ctx.config, referral.campus))
        if referral.status == "review":
            text = Lines(text, _("A new Discord account: check it before confirming."), sep=" ")
        return Line(text, [Button(_("Confirm"), cog.action_id("ok", referral.id, page), style="success"),
                           Button(_("Reject"), cog.action_id("no", referral.id, page), style="danger")])

    return await source_pager(queries(ctx).waiting_paged(campaign.id), line, page=page,
                              size=settings(ctx)["page_size"], turn=lambda n: cog.action_id("pend", n),
                              title=_("Referrals to confirm"), empty=_("Nothing waits for confirmation."), edit=edit,
                              private=True)


@cog.action("ok", roles={"board"})
async def confirm_referral(ctx: Context, referral_id: int, page: int) -> Reply:
    referral = await queries(ctx).referral(referral_id)
    if referral is not None and await queries(ctx).confirm(referral_id, ctx.now()):
        await confirmed(ctx, referral)
    return await _pending_page(ctx, page, edit=True)


@cog.action("no", roles={"board"})
async def reject_referral(ctx: Context, referral_id: int, page: int) -> Reply:
    await queries(ctx).reject(referral_id)
    return await _pending_page(ctx, page, edit=True)
