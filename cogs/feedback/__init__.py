"""Anonymous feedback: routed to the right team, two-way, and no way to unmask the sender, not even with the
database (issue #21).

The action plan asks for feedback channels students actually use: each section runs its own and brings a
matter to the board's advocacy team when needed, and the harassment contacts are easy to reach. People write
only if the anonymity is real, so:
- A case is a conversation (bot/conversations.py) between the category's team and the sender's sealed route
  (bot/sealed.py): nothing stored names the sender. The case row keeps the route's handle, a keyed hash of
  the sender (blocks, the rate limit; meaningless without HUMAKO_SECRET_KEY), and times to the hour.
- The team gets a new case, and each later message of the sender, after a random delay (default 0-15
  minutes, in order), through a private scheduled row that does not record when it was made; the text waits
  in `feedback_pending` until then and is deleted when handed on.
- The team is a label ("Edunvalvontatiimi"), the sender is "Lähettäjä"; no member's name crosses.
- A confidential category (harassment) is read, listed and answered only by its own role; the board's
  statistics count it and nothing more.
- Files from a sender are not passed on (photos carry names and places in their metadata).
- Escalation (a section's category with `escalate_to`) closes the section's conversation and opens one with
  the next team, with the section's note; the sender stays in the case under the same code.
- /mydata lists the open case codes whose route leads to the account asking, only in the direct chat;
  /forgetme closes them. Retention deletes a case, its conversation and its route `retention_days` after its
  last message.

Modules: common (cog, settings, categories, codes), storage (all SQL), send (/feedback send, the delayed
delivery), relay (answers both ways), team (/feedback cases and its buttons), stats, privacy.
"""

from cogs.feedback import privacy, relay, send, stats, team
from cogs.feedback.common import cog

__all__ = ["cog", "privacy", "relay", "send", "stats", "team"]
