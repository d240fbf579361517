"""Personal reminders: /remind and /reminders.

A reminder is stored as local wall-clock time plus the zone name, never as a fixed offset, so a weekly
09:00 Europe/Helsinki reminder stays at 09:00 across the daylight-saving changes. Each occurrence is one
row in the scheduler (a row first, a wake-up second); when it fires, the next one is computed in local
time by the core's recurrence helper (bot/recurrence.py, the `repeat` column names one of its presets)
and scheduled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from bot.commands import Button, Choice, Cog, Param, Reply, UserError
from bot.context import Context, ServiceContext
from bot.i18n import Lines, Msg, When, _, ngettext
from bot.pager import Line, paged
from bot.recurrence import Recurrence
from bot.scheduler import Due
from bot.timeparse import local_to_utc
from storage.reminders import Reminder, ReminderQueries

cog = Cog("reminders", _("Personal reminders"), prefix="rem", keys="myrem", grouped=False)

TASK = "personal_reminder"
MAX_ACTIVE = 100  # per person: a reminder is cheap, but not free
PAGE_SIZE = 10  # reminders per page of /reminders, each with its Cancel button
REPEATING = ("daily", "weekly", "biweekly", "monthly")  # presets of bot.recurrence, stored as `repeat`
REPEATS: dict[str, Msg] = {
    "none": _("does not repeat"),
    "daily": _("every day"),
    "weekly": _("every week"),
    "biweekly": _("every two weeks"),
    "monthly": _("every month"),
}
REPEAT_CHOICES = [
    Choice("none", _("Once")),
    Choice("daily", _("Every day")),
    Choice("weekly", _("Every week")),
    Choice("biweekly", _("Every two weeks")),
    Choice("monthly", _("Every month")),
]


def queries(ctx: ServiceContext) -> ReminderQueries:
    return ReminderQueries(ctx.db)


def key_of(reminder_id: int) -> str:
    # The trailing colon keeps the prefix of reminder 1 from matching reminder 10 when cancelling.
    return f"myrem:{reminder_id}:"


# ------------------------------------------------------------------------------------ local time


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def to_utc(local_at: str, zone: str) -> datetime:
    """The instant of a wall-clock time in a zone (a time skipped by DST lands just after the gap)."""
    return local_to_utc(datetime.fromisoformat(local_at), ZoneInfo(zone))


def next_local(local_at: str, repeat: str, zone: str, after: datetime) -> str | None:
    """The local wall-clock time of the next occurrence after both `local_at` and `after` (the bot may have
    been down for several), or None when there is none. The stored wall time, not its instant, starts the
    rule: a 03:30 that the March change moved to 04:30 is 03:30 again the next day. A monthly reminder on
    the 29th-31st skips the months without that day (RFC 5545)."""
    recurrence = Recurrence.preset(datetime.fromisoformat(local_at), zone, repeat)
    found = recurrence.first_after(max(after, recurrence.start))
    return found.wall.isoformat(timespec="seconds") if found is not None else None


async def _plan(ctx: ServiceContext, reminder: Reminder, local_at: str) -> None:
    await ctx.schedule(TASK, to_utc(local_at, reminder.zone), key=key_of(reminder.id),
                       payload={"reminder": reminder.id}, person_id=reminder.person_id)


def _moved_past(reminder: Reminder, due: Due) -> bool:
    """The reminder already points past this occurrence: a re-run after a crash (its next one is planned)."""
    return to_utc(reminder.local_at, reminder.zone) > due.due_at


async def _plan_next(ctx: ServiceContext, reminder: Reminder, finished: str) -> None:
    """After an occurrence (sent or dropped): the next one, or the reminder is over."""
    local_at = (next_local(reminder.local_at, reminder.repeat, reminder.zone, ctx.now())
                if reminder.repeat in REPEATING else None)
    if local_at is None:
        await queries(ctx).set_status(reminder.id, finished)
        return
    await queries(ctx).move(reminder.id, local_at)
    await _plan(ctx, reminder, local_at)


# ---------------------------------------------------------------------------------------- commands


@cog.command(_("Remind me of something, once or repeating"), private=True)
async def remind(ctx: Context,
                 when: Annotated[datetime, Param(_("When"), question=_("When should I remind you?"), future=True)],
                 text: Annotated[str, Param(_("What to remind you of"),
                                            question=_("What should I remind you of?"), max_len=500)],
                 repeat: Annotated[str | None, Param(_("Repeat"),
                                                     question=_("Should the reminder repeat?"),
                                                     choices=REPEAT_CHOICES)] = None) -> Reply:
    repeat = repeat or "none"
    rows = queries(ctx)
    if await rows.count_active(ctx.person.id) >= MAX_ACTIVE:
        raise UserError(ngettext("You already have {count} reminder. Cancel it with /reminders first.",
                                 "You already have {count} reminders. Cancel some with /reminders first.",
                                 MAX_ACTIVE))
    zone = ctx.config.tz
    local_at = local_text(when, zone)
    reminder_id = await rows.create(ctx.person.id, text, local_at, zone.key, repeat, ctx.now())
    reminder = await rows.get(reminder_id)
    assert reminder is not None
    await _plan(ctx, reminder, local_at)
    return Reply(Lines(_("I'll remind you {when}: {text}", when=When(when), text=text),
                       _("Repeats: {repeat}.", repeat=REPEATS[repeat]) if repeat != "none" else None),
                 private=True)


async def _list(ctx: Context, page: int = 1, *, edit: bool = False) -> Reply:
    """Counted and read a page at a time; each line keeps its number in the whole list."""
    rows = queries(ctx)

    async def fetch(offset: int, limit: int) -> list[Line]:
        lines = []
        for number, reminder in enumerate(await rows.active_page(ctx.person.id, offset, limit), start=offset + 1):
            when = When(to_utc(reminder.local_at, reminder.zone))
            repeat = REPEATS.get(reminder.repeat, REPEATS["none"])
            lines.append(Line(_("{number}. {when} ({repeat}): {text}", number=number, when=when, repeat=repeat,
                                text=reminder.text),
                              [Button(_("Cancel {number}", number=number), cog.action_id("cancel", reminder.id),
                                      style="danger")]))
        return lines

    return await paged(await rows.count_active(ctx.person.id), fetch, page=page, size=PAGE_SIZE,
                       turn=lambda number: cog.action_id("page", number), title=_("Your reminders:"),
                       empty=_("You have no reminders. Set one with /remind."), edit=edit, private=True)


@cog.command(_("List and cancel your reminders"))
async def reminders(ctx: Context) -> Reply:
    return await _list(ctx)


async def _cancel(ctx: Context, reminder_id: int) -> bool:
    rows = queries(ctx)
    reminder = await rows.get(reminder_id)
    if reminder is None or reminder.person_id != ctx.person.id or reminder.status != "active":
        return False
    await rows.set_status(reminder_id, "cancelled")
    await ctx.unschedule(key_of(reminder_id))
    return True


@cog.action("page", owner_only=True)
async def page(ctx: Context, number: int) -> Reply:
    return await _list(ctx, number, edit=True)


@cog.action("cancel", owner_only=True)
async def cancel(ctx: Context, reminder_id: int) -> Reply:
    reminder = await queries(ctx).get(reminder_id)
    before = await queries(ctx).position(ctx.person.id, reminder) if reminder is not None else 0
    if not await _cancel(ctx, reminder_id):
        return Reply(notice=_("That reminder is already gone."))
    # The list stays on the page the cancelled one was on.
    listing = await _list(ctx, before // PAGE_SIZE + 1, edit=True)
    listing.notice = _("Reminder cancelled.")
    return listing


@cog.action("stop", owner_only=True)
async def stop(ctx: Context, reminder_id: int) -> Reply:
    """The button on a repeating reminder's message: no more occurrences."""
    if await _cancel(ctx, reminder_id):
        return Reply(notice=_("The reminder will not repeat any more."))
    return Reply(notice=_("That reminder is already gone."))


# ------------------------------------------------------------------------------------------- firing


@cog.task(TASK)
async def fire(ctx: ServiceContext, due: Due) -> None:
    reminder = await queries(ctx).get(int(due.payload["reminder"]))
    if reminder is None or reminder.status != "active" or _moved_past(reminder, due):
        return
    late = _("Sent late: I was offline when this was due ({when}).", when=When(due.due_at)) if due.late else None
    buttons = ([Button(_("Stop repeating"), cog.action_id("stop", reminder.id), style="danger")]
               if reminder.repeat in REPEATING else [])
    # The person chose this moment themselves, so quiet hours do not hold it back.
    await ctx.notify(reminder.person_id, Reply(Lines(reminder.text, late), title=_("Reminder"), buttons=buttons))
    await _plan_next(ctx, reminder, "done")


async def dropped(ctx: ServiceContext, due: Due) -> None:
    """An occurrence missed beyond the grace time is not sent, but a repeating reminder goes on."""
    reminder = await queries(ctx).get(int(due.payload["reminder"]))
    if reminder is not None and reminder.status == "active" and not _moved_past(reminder, due):
        await _plan_next(ctx, reminder, "missed")


@cog.on_startup
async def register_drop_handler(ctx: ServiceContext) -> None:
    ctx.on_dropped(TASK, dropped)


# -------------------------------------------------------------------------------------- your data


@cog.export_person
async def export(ctx: ServiceContext, person_id: int) -> Any:
    return {"reminders": await queries(ctx).all_of(person_id)}


@cog.forget_person
async def forget(ctx: ServiceContext, person_id: int) -> None:
    for reminder in await queries(ctx).active(person_id):
        await ctx.unschedule(key_of(reminder.id))
    # The rows themselves go with the person (ON DELETE CASCADE).
