"""Meetings: the board's, the council's (edustajisto) and teams' meetings, with reminders, attendance answers,
the quorum and minutes.

Decisions:
- A meeting is one row, one-off or on a repeating rule (the core's recurrence rules, wall-clock time kept over
  DST). Only the next occurrence's rows are scheduled (reminders, the chair's quorum check, and at its start a
  row that plans the one after), so a restart loses nothing and a cancelled meeting leaves nothing behind.
- Members are people named when it is added (they get reminders by DM) and optionally a role: anyone holding
  it may answer on the reminder posted to the destination. Anyone else pressing is refused.
- Answers are per occurrence. The quorum is `quorum_<kind>` present (coming or remote); 0 means more than half
  of the named members. The chair (who added it) is told `warning_hours` before when it is not met.
- Minutes attach to the latest occurrence that has started.
"""

from cogs.meetings import commands
from cogs.meetings.common import cog

__all__ = ["cog", "commands"]
