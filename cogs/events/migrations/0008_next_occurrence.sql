-- Issue 26: the next occurrence of each event is stored, so /event list sorts, filters and pages in SQL.
-- next_start/next_end: the start and end (UTC ISO) of the first occurrence not yet ended nor cancelled alone.
-- '' in next_end marks the row to be computed again (new, edited, an occurrence cancelled alone); a row whose
-- next occurrence has ended (next_end <= now) is computed again too, on the next read (cogs/events/common.py
-- current_next). NULL in both: no occurrence left. Every existing row starts marked.
ALTER TABLE events ADD COLUMN next_start TEXT;
ALTER TABLE events ADD COLUMN next_end TEXT DEFAULT '';
-- The list in its order (its filters' columns in the index too: a filtered COUNT reads only the index), and the
-- rows to compute again (marked, or whose next occurrence has passed).
CREATE INDEX events_next ON events(cancelled_at, next_start, id, campus, language);
CREATE INDEX events_next_end ON events(cancelled_at, next_end);
