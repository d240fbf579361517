"""An event before it is announced: /event create validates it, stores it as a draft and shows the organiser
the card as each destination will see it, with Publish / Edit / Discard (the buttons are in commands.py).

Decision: a draft is not an event. It lives in `event_drafts` (its validated values as JSON) and becomes an
event only at Publish, in the one transaction that stores it with its reminders and announcements; so no list,
reminder, digest, calendar or RSVP can ever meet a draft. An unanswered preview is dropped after
`preview_hours` and the organiser is told so.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.commands import Button, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Translated, When, _
from bot.scheduler import Due
from cogs.events.cards import render_card
from cogs.events.common import (
    ONLINE,
    REPEAT_WEEKS,
    announce_to,
    cog,
    destination_languages,
    get_event,
    queries,
    settings,
)
from cogs.events.schedule import schedule_event
from cogs.events.storage import Event
from cogs.events.validate import Timing, check_place
from storage.db import from_iso, to_iso

_TIMES = ("start", "end", "until")


@dataclass(frozen=True)
class Draft:
    """/event create's answers, checked: what Publish stores."""

    title: str
    start: datetime
    where: str
    description: str
    title_en: str | None = None
    description_en: str | None = None
    end: datetime | None = None
    link: str | None = None
    capacity: int | None = None
    language: str | None = None
    repeat: str | None = None
    until: datetime | None = None
    feedback: str | None = None  # "each": a series asks for feedback after every time (else once, at its end)

    @property
    def name(self) -> Translated:
        return Translated({"fi": self.title, "en": self.title_en})

    def timing(self, ctx: ServiceContext) -> Timing:
        weeks = REPEAT_WEEKS[self.repeat or "none"]
        until = self.until.astimezone(ctx.config.tz).date() if self.until and weeks else None
        return Timing(self.start, self.end, weeks, until, ctx.config.community.timezone)

    def check(self, ctx: ServiceContext) -> None:
        """Every rule across fields (FieldError names the field a form asks again); Publish checks again."""
        self.timing(ctx).check(ctx.now())
        check_place(self.where, self.link)

    def event(self, ctx: ServiceContext, organiser_id: int) -> Event:
        """The event it will be, before it exists (number 0): the preview's card."""
        timing = self.timing(ctx)
        return Event(0, self.title, self.description, self.start, self.end,
                     None if self.where == ONLINE else self.where, self.link, self.capacity, self.language,
                     timing.repeat_weeks, timing.until.isoformat() if timing.until else None, timing.zone,
                     timing.series_end, organiser_id, None, None, title_en=self.title_en,
                     description_en=self.description_en, feedback_each=self.feedback == "each")

    def to_json(self) -> str:
        values = dataclasses.asdict(self)
        return json.dumps({k: to_iso(v) if k in _TIMES and v is not None else v for k, v in values.items()})

    @classmethod
    def from_json(cls, text: str) -> Draft:
        values: dict[str, Any] = json.loads(text)
        typed: dict[str, Any] = {k: from_iso(v) if k in _TIMES and v is not None else v for k, v in values.items()}
        return cls(**typed)

    def typed(self, ctx: ServiceContext, language: str) -> dict[str, str]:
        """The answers as someone would type them: a reopened form is filled in with these."""
        tz = ctx.config.tz

        def moment(value: datetime) -> str:
            local = value.astimezone(tz)
            return (f"{local.day}.{local.month}.{local.year} klo {local.hour}.{local.minute:02d}" if language == "fi"
                    else f"{local.day}.{local.month}.{local.year} {local.hour}:{local.minute:02d}")

        found: dict[str, str] = {}
        for key, value in dataclasses.asdict(self).items():
            if value is None:
                continue
            if key == "until":
                local = value.astimezone(tz)
                found[key] = f"{local.day}.{local.month}.{local.year}"
            elif key in _TIMES:
                found[key] = moment(value)
            else:
                found[key] = str(value)
        return found


def preview_key(draft_id: int) -> str:
    return f"ev:draft:{draft_id}:"  # the colon ends it: draft 1's key is no prefix of draft 12's


async def preview(ctx: Context, draft: Draft) -> Reply:
    """Stores the draft and shows its card as each destination will see it, with Publish / Edit / Discard."""
    hours = float(settings(ctx)["preview_hours"])
    draft_id = await queries(ctx).save_draft(ctx.person.id, draft.to_json(), ctx.now())
    expires = ctx.now() + timedelta(hours=hours)
    await ctx.schedule("ev_draft_expired", expires, key=preview_key(draft_id), payload={"draft": draft_id})
    event = draft.event(ctx, ctx.person.id)
    card = await render_card(ctx, event)
    heading = Lines(_("Preview: this is the card as it will be announced. Nothing is posted before you press "
                      "Publish; the event gets its number then."),
                    _("This preview stays open until {when}.", when=When(expires, "short")))
    actions = [Button(_("Publish"), cog.action_id("publish", draft_id), style="success"),
               Button(_("Edit"), cog.action_id("redo", draft_id), style="primary"),
               Button(_("Discard"), cog.action_id("discard", draft_id), style="danger")]
    return ctx.preview_post(card, heading, actions, languages=destination_languages(ctx, announce_to(ctx, event)))


async def take(ctx: ServiceContext, draft_id: int) -> Draft | None:
    """The draft, gone from storage and from the schedule; None when it was handled or expired already."""
    row = await queries(ctx).draft(draft_id)
    if row is None or not await queries(ctx).drop_draft(draft_id):
        return None
    await ctx.unschedule(preview_key(draft_id))
    return Draft.from_json(row["fields"])


NO_LONGER_OPEN = _("This preview is no longer open: it was published, discarded or it expired. "
                   "/event create starts a new one.")


async def publish(ctx: Context, draft: Draft, draft_id: int | None = None) -> int:
    """The event stored with its reminders and announcements, in one transaction, or nothing at all. With
    `draft_id`, the draft goes in the same transaction (a second press finds it gone)."""
    if draft.start <= ctx.now():
        raise UserError(_("{title} would have started already ({when}): press Edit and give a new start.",
                          title=draft.name, when=When(draft.start)))
    draft.check(ctx)
    timing = draft.timing(ctx)
    async with ctx.db.transaction():
        if draft_id is not None:
            if not await queries(ctx).drop_draft(draft_id):
                raise UserError(NO_LONGER_OPEN)
            await ctx.unschedule(preview_key(draft_id))
        event_id = await queries(ctx).create(
            title=draft.title, description=draft.description, starts_at=draft.start, ends_at=draft.end,
            campus=None if draft.where == ONLINE else draft.where, link=draft.link, capacity=draft.capacity,
            language=draft.language, repeat_weeks=timing.repeat_weeks,
            repeat_until=timing.until.isoformat() if timing.until else None, timezone=timing.zone,
            series_end_at=timing.series_end, organiser_id=ctx.person.id, now=ctx.now(),
            title_en=draft.title_en, description_en=draft.description_en, feedback_each=draft.feedback == "each",
        )
        event = await get_event(ctx, event_id)
        await schedule_event(ctx, event)
        for destination in announce_to(ctx, event):
            await ctx.post(destination, shows=("event", event_id))
    return event_id


@cog.task("ev_draft_expired")
async def draft_expired(ctx: ServiceContext, due: Due) -> None:
    """An unanswered preview: dropped, and its organiser told that nothing was announced."""
    draft_id = int(due.payload["draft"])
    row = await queries(ctx).draft(draft_id)
    if row is None or not await queries(ctx).drop_draft(draft_id):
        return
    draft = Draft.from_json(row["fields"])
    await ctx.notify(int(row["organiser_id"]), Reply(
        _("Your preview of {title} expired unanswered, so nothing was announced. /event create starts again.",
          title=draft.name), title=_("Not announced: {title}", title=draft.name)), urgent=False)
