"""/feedback stats for the board: counts per category, campus and month, and the median time to a first
answer. A confidential category (harassment) is a count and nothing more."""

from __future__ import annotations

from statistics import median

from bot.commands import Reply
from bot.context import Context
from bot.i18n import Lines, Text, _, ngettext
from cogs.feedback.common import campus_name, categories, cog, queries


@cog.command(_("Feedback statistics"), roles={"board"})
async def stats(ctx: Context) -> Reply:
    found = categories(ctx)
    secret = [c.id for c in found.values() if c.confidential]
    rows = queries(ctx)
    lines: list[Text] = [_("By category:")]
    for category, count in await rows.counts("category", confidential=secret):
        known = found.get(category or "")
        name: Text = known.name if known else category or "?"
        lines.append(Lines(name, _("{count} (a count only)", count=count) if category in secret else str(count),
                           sep=": "))
    lines += ["", _("By campus (confidential categories left out):")]
    lines += [Lines(campus_name(ctx, campus), str(count), sep=": ")
              for campus, count in await rows.counts("campus", confidential=secret)]
    lines += ["", _("By month:")]
    lines += [f"{month}: {count}" for month, count in await rows.counts("month", confidential=secret)]
    hours = await rows.answer_hours(confidential=secret)
    lines.append("")
    if hours:
        lines.append(ngettext("Median time to a first answer: {hours} h ({count} case answered).",
                              "Median time to a first answer: {hours} h ({count} cases answered).", len(hours),
                              hours=format(median(hours), "g")))
    else:
        lines.append(_("No case has been answered yet."))
    return Reply(Lines(*lines), title=_("Feedback statistics"), private=True)
