"""Tutoring: a student asks, a tutor claims and answers in a conversation across platforms, and no request
waits unseen (issue 22).

The action plan asks for more tutoring for online and part-time students and for English-speaking students,
done actively online, with tutors students reach online.

Decisions:
- The queue is one line of unclaimed requests in arrival order; a request's place counts the unclaimed ones
  before it. A released request goes back to its original place (it has waited longest).
- A request's card goes to `tutors_<campus>` when config has such a destination, else to the online tutors'
  (`tutoring.destination`). The card names neither the student nor shows anything beyond the request.
- Tutors the cog knows are those with the tutor role who used a tutor command or were added to a request;
  a re-announcement reaches those not away, each in a direct message (quiet hours hold it), and the
  destination again.
- Times to re-announce, to tell the coordinator and to remind a silent tutor count within tutors' hours
  (weekdays and hours in config); waiting on a student counts plain hours.
- The transcript is kept by the cog (author and text) for `transcript_days` after closing, readable by the
  student and the tutors; /forgetme deletes a student's transcripts at once.
- A transfer needs the new tutor's acceptance; a second tutor is added at once. A request with two tutors
  cannot be released (one simply stays).

Modules: common (cog, settings, lookups), storage, cards (the two live views), requests (ask, claim, close,
rate, transcript), handover (release, transfer, second tutor), talk (the conversation handler), schedule
(escalations), lists (away/back, queue, mine), stats, privacy.
"""

from cogs.tutoring import cards, handover, lists, privacy, requests, schedule, stats, talk
from cogs.tutoring.common import cog

__all__ = ["cards", "cog", "handover", "lists", "privacy", "requests", "schedule", "stats", "talk"]
