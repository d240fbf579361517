"""Promotion: the recruitment guide for local actors, a short pitch with the join link, and a scheduled
spotlight on one benefit and the campaign's standing."""

from __future__ import annotations

from bot.commands import Button, Reply
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Text, _
from cogs.membership.common import InLanguage, cog, is_running, place_name, queries, settings


@cog.command(_("How to recruit members: the guide for local actors"))
async def guide(ctx: Context) -> Reply:
    s = settings(ctx)
    text: Text = InLanguage(s["guide_fi"], s["guide_en"]) if s["guide_fi"] or s["guide_en"] else \
        _("Tell people what membership gives them, ask them to name you with /member joined, and share your "
          "own link from /member invite.")
    return Reply(text, title=_("Recruiting members"))


def _pitch(ctx: ServiceContext) -> Text:
    s = settings(ctx)
    if s["pitch_fi"] or s["pitch_en"]:
        return InLanguage(s["pitch_fi"], s["pitch_en"])
    return _("Membership gives you student-card benefits on every campus and online, and a say in your union.")


def _join_button(ctx: ServiceContext) -> list[Button]:
    link = settings(ctx)["join_link"]
    return [Button(_("Join"), url=link, style="primary")] if link else []


@cog.command(_("Why join: a short pitch with the join link"))
async def why(ctx: Context) -> Reply:
    link = settings(ctx)["join_link"]
    return Reply(Lines(_pitch(ctx), link or None), title=_("Why become a member"), buttons=_join_button(ctx))


@cog.job(config_key="spotlight_cron")
async def spotlight(ctx: ServiceContext) -> None:
    """One benefit in turn (by ISO week), and the campaign's top three while one is on; nothing when neither."""
    found = await queries(ctx).benefits(ctx.now())
    parts: list[Text | None] = []
    if found:
        pick = found[ctx.now().isocalendar().week % len(found)]
        parts += [_("Member benefit: {name} ({place}): {what}", name=pick.name,
                    place=place_name(ctx.config, pick.place), what=pick.what)]
    campaign = await queries(ctx).open_campaign()
    if campaign is not None and is_running(campaign, ctx.now()):
        top = [_("{rank}. {name}: {count}", rank=rank, name=s.name, count=s.confirmed)
               for rank, s in await queries(ctx).standings(campaign.id, within=3)]
        parts += ["", _("{name}: who told you about membership? Name them with /member joined.",
                        name=campaign.name), *top]
    if not parts:
        return
    await ctx.post(settings(ctx)["destination"], Reply(Lines(*parts, "", _pitch(ctx)), title=_("Membership"),
                                                       buttons=_join_button(ctx)))
