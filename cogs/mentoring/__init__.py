"""Mentoring: Humak's mentor programme from application to end feedback, in the chat (issue 23).

Alumni mentors (and pedagogical staff) and student aktoris, alone or as a team (a valmennusryhmä): a
coordinator opens a period, people apply, the coordinator pairs them with ranked match suggestions, and the
pair or group talks in a conversation. They record an agreement every member confirms, plan meetings (told,
reminded, a calendar file), log held ones (notes for the pair, costs against the plan), answer check-ins,
and rate the process on the programme's five goals at the end.

Decisions:
- One application per person and programme; applying again replaces an unpaired application.
- A team applies once (one member names the others); pairing any member pairs the whole team as a group.
- The coordinator told of trouble is the one who opened the programme (and `coordinator_destination` if set).
- The overdue check runs with each check-in (every `checkin_days`): the first time a pair is overdue its
  members are nudged, the next time (still overdue) the coordinator hears.
- A logged meeting marks the latest planned one due (up to 12 hours ahead) held, else records one now.
- Only the mentor claims costs; a claim needs a cost plan in an agreement every member has confirmed.
- The cog keeps no transcript of the conversation; notes are visible in /mentor mine to the pair only.

Modules: common, storage, programme (programme, apply, applications, pair), agreement, meetings, checkins,
ending (close, end feedback), status (status, costs), privacy.
"""

from cogs.mentoring import agreement, checkins, ending, meetings, privacy, programme, status
from cogs.mentoring.common import cog

__all__ = ["agreement", "checkins", "cog", "ending", "meetings", "privacy", "programme", "status"]
