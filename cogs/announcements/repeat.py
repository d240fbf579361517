"""Repeating times for announcements and meetings: the shape of the core's recurrence helper.

The core's `bot/recurrence.py` (branch m2-recur) is the one helper for repeating rules. Until it is merged this
adapter gives the same API subset the two cogs use (`Recurrence(start, zone, rule)`, `Recurrence.preset`,
`next_after`, `between`, `repeats`, `to_rrule_text`, `RuleError`), on dateutil's rrule in local wall-clock
time with `bot.timeparse.local_to_utc` per occurrence, so 18:00 stays 18:00 across DST. At merge this module
becomes `from bot.recurrence import Recurrence, RuleError`.
"""

from __future__ import annotations

try:  # the core helper, once merged
    from bot.recurrence import Recurrence, RuleError  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - until m2-recur is merged
    from cogs.announcements.rrule_fallback import (  # type: ignore[assignment,unused-ignore]
        Recurrence,
        RuleError,
    )

__all__ = ["Recurrence", "RuleError"]
