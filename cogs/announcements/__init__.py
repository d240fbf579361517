"""Announcements: messages in Finnish and English posted once or on a repeating rule, and the communication
calendar of everything the bot will post publicly.

Decisions:
- An announcement is one row; its next post is one `scheduled` row (key `an:<id>:`), planned again after each
  post from the rule, so a restart loses nothing and nothing posts twice (the scheduler claims each row).
- The rule repeats the first post's local wall-clock time (the core's recurrence rules), across DST.
- Each destination gets the text in its configured language: English where it is English and an English text
  was given, else the Finnish one.
- With `approval = true`, an announcement by someone without the board role waits: a board member presses
  Approve in the approval destination; a post time passed meanwhile is skipped (the next one of a rule goes).
- /announce preview shows, per running platform and language, the text as that platform renders it
  (`ctx.preview`): Telegram's HTML as displayed (markup stripped, the author's own "<b>" shown as written),
  Discord's content or embed within its limits.
- A scheduled post names its author (`ctx.post(..., author=)`): a destination down when it is due gets it
  when it returns, and the author hears only if it can never be posted there.
- /announce list is the calendar: this cog's posts, public cron jobs of other cogs (`@cog.job(public=...)`) and
  [[scheduler.jobs]], and whatever other cogs list with `@cog.planned_posts`.
"""

from cogs.announcements import commands, privacy
from cogs.announcements.common import cog

__all__ = ["cog", "commands", "privacy"]
