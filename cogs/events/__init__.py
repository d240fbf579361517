"""Events: one shared calendar of campus and online events, with RSVP, waiting lists, reminders and feedback.

The action plan asks that every campus's and every online event be gathered and marketed in one place, so
that every student (online and part-time students included) has an equal chance to take part, and that
online events be developed from participants' feedback.

Decisions:
- A recurring event (weekly or every other week, up to a date) is one event with one card. Going (or maybe,
  or not) is answered per time: a press asks "only <date>" or "every week" ("every time" every other week),
  and an every-week answer counts in each time. Capacity, the waiting list and its offers, reminders, the
  attendee list and one's own calendar are per time (times.py, rsvp.py).
- Feedback is asked once per series, after its last time, from everyone who went to at least one time (what a
  student expects from a course-like series: one question at the end, not one a week); an organiser can ask
  after every time instead (feedback=each). A series always has a last time here (until= is required).
- Occurrences are stepped in local wall-clock time (Europe/Helsinki by config), so 18:00 stays 18:00 over
  daylight-saving changes; the .ics carries the same rule as an RRULE with a VTIMEZONE.
- An event without an end counts as two hours long (reminders, feedback, "over").
- The waiting list is in arrival order (a sequence number per answer, not the clock). A freed place is
  offered to the first on it for `waitlist_offer_hours`, never past the start; not taken, it passes to the
  next. The offered place is held meanwhile.
- /link making two people one keeps one answer per event: a held place first, then the earlier arrival; a
  second place the person held is offered to the waiting list (privacy.merge_person).
- An event starts at most 5 years ahead; it is stored with its reminders and announcements in one
  transaction (an edit likewise), and a rating is taken only once the occurrence has ended.
- The weekly digest posts nothing in a week without events.
- /event create shows the organiser a preview (Publish / Edit / Discard) in the languages of the destinations;
  a draft is not an event (drafts.py) and becomes one only at Publish, atomically with its announcements.
- An event may have an English title and description beside the Finnish ones: a reader, destination, reminder,
  digest and .ics get theirs (SUMMARY/DESCRIPTION with LANGUAGE=), else the Finnish ones. One Discord scheduled
  event per server is in the language of the first channel that mirrored it.
- A weekly series is a recurring Discord scheduled event while Discord can say it (cards.open_ended_weeks).

Modules: common (cog, lookups, rules), attendees (the list and its CSV),
recurrence, times (answers per time), cards (the live view), drafts (the preview before announcing),
commands (create/list/show/mine),
manage (edit/cancel), rsvp (buttons, waiting list), schedule (reminders), feedback, ics, digest, privacy.
"""

from cogs.events import attendees, cards, commands, digest, drafts, feedback, ics, manage, privacy, rsvp, schedule
from cogs.events.common import cog

__all__ = ["attendees", "cards", "cog", "commands", "digest", "drafts", "feedback", "ics", "manage", "privacy",
           "rsvp", "schedule"]
