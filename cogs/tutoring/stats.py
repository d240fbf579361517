"""/tutor stats: how many asked, how fast they were claimed and answered, how the help was rated, by campus,
language, topic and online/campus, over a period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from statistics import median
from typing import Annotated

from bot.commands import Param, Reply
from bot.context import Context
from bot.i18n import Decimal1, Lines, Text, _, ngettext
from cogs.tutoring.common import COORDINATORS, ONLINE, cog, language_text, place_text, queries, settings, topic_label
from cogs.tutoring.storage import Request


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-9 * len(ordered) // 10) - 1))]


def hours(values: list[float]) -> Text:
    if not values:
        return _("no data")
    return _("median {median} h, p90 {p90} h", median=Decimal1(median(values)), p90=Decimal1(p90(values)))


def summary(found: list[Request]) -> Lines:
    to_claim = [(r.claimed_at - r.created_at).total_seconds() / 3600 for r in found if r.claimed_at]
    to_answer = [(r.first_answer_at - r.created_at).total_seconds() / 3600 for r in found if r.first_answer_at]
    ratings = [r.rating for r in found if r.rating is not None]
    average = Decimal1(sum(ratings) / len(ratings)) if ratings else ""
    rated = ngettext("rating {average} ({count} rating)", "rating {average} ({count} ratings)", len(ratings),
                     average=average) if ratings else _("no ratings")
    return Lines(ngettext("{count} request", "{count} requests", len(found)),
                 _("to claim: {hours}", hours=hours(to_claim)),
                 _("to first answer: {hours}", hours=hours(to_answer)), rated, sep=" · ")


def grouped(found: list[Request], by: Callable[[Request], str]) -> dict[str, list[Request]]:
    groups: dict[str, list[Request]] = {}
    for request in found:
        groups.setdefault(by(request), []).append(request)
    return dict(sorted(groups.items()))


DAYS = Param(_("Days back"), question=_("How many days back?"), min=1, max=3650, names={"fi": "päivät"}, example="30")


@cog.command(_("Tutoring figures for a period"), roles=COORDINATORS)
async def stats(ctx: Context, days: Annotated[int | None, DAYS] = None) -> Reply:
    period = days or int(settings(ctx)["stats_days"])
    found = await queries(ctx).since(ctx.now() - timedelta(days=period))
    if not found:
        return Reply(ngettext("No tutoring requests in the last {count} day.",
                              "No tutoring requests in the last {count} days.", period), private=True)
    online = sum(1 for r in found if r.campus is None)
    fields: list[tuple[Text, Text]] = [(_("All"), summary(found))]
    for title, by, label in (
        (_("By campus"), lambda r: r.campus or ONLINE, lambda key: place_text(ctx, key)),
        (_("By language"), lambda r: r.language, language_text),
        (_("By topic"), lambda r: r.topic, topic_label),
        (_("Online or campus"), lambda r: ONLINE if r.campus is None else "campus",
         lambda key: _("Online") if key == ONLINE else _("On campus")),
    ):
        fields.append((title, Lines(*(Lines(label(key), summary(group), sep=": ")
                                      for key, group in grouped(found, by).items()))))
    share = _("Online students asked {share} % of the requests.", share=round(100 * online / len(found)))
    title = ngettext("Tutoring in the last {count} day", "Tutoring in the last {count} days", period)
    return Reply(share, title=title, fields=fields, private=True)
