"""Checks of an event's fields that span several parameters (the core checks each one alone).

Each error names the field to fix (FieldError): a form asks that one again and keeps the other answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands import FieldError
from bot.i18n import When, _, ngettext
from cogs.events.common import ONLINE
from cogs.events.recurrence import MAX_SERIES_DAYS, series_end

# How far ahead an event may start: also keeps every computed time (ends, reminders, feedback) far from the
# end of the calendar, where datetime arithmetic overflows (a start on 9999-12-31 did).
MAX_YEARS_AHEAD = 5


@dataclass(frozen=True)
class Timing:
    start: datetime
    end: datetime | None
    repeat_weeks: int
    until: date | None
    zone: str

    @property
    def series_end(self) -> datetime:
        return series_end(self.start, self.end, self.zone, self.repeat_weeks, self.until)

    def check(self, now: datetime) -> None:
        """Everything that follows from the times, checked before anything is stored."""
        if self.start - now > timedelta(days=365 * MAX_YEARS_AHEAD):
            raise FieldError(ngettext("An event can start at most {count} year from now.",
                                      "An event can start at most {count} years from now.", MAX_YEARS_AHEAD), "start")
        if self.end is not None and self.end <= self.start:
            raise FieldError(_("The end ({end}) must be after the start ({start}).",
                              end=When(self.end), start=When(self.start)), "end")
        if self.end is not None and self.end - self.start > timedelta(days=14):
            raise FieldError(_("An event can last at most 14 days."), "end")
        if not self.repeat_weeks:
            return
        if self.until is None:
            raise FieldError(_("A repeating event needs the date of its last time: add until=…"), "until")
        first_day = self.start.astimezone(ZoneInfo(self.zone)).date()
        if self.until < first_day:
            raise FieldError(_("The repeats must end after the first time, not before it."), "until")
        if self.until - first_day > timedelta(days=MAX_SERIES_DAYS):
            raise FieldError(_("An event can repeat for at most a year."), "until")


def check_place(where: str, link: str | None) -> None:
    if where == ONLINE and not link:
        raise FieldError(_("An online event needs a link: add link=https://…"), "link")
    if link and not link.startswith(("https://", "http://")):
        raise FieldError(_("The link must start with https:// or http://."), "link")
