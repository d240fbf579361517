-- Issue 26: /meeting list pages in SQL. Each meeting stores its coming occurrence (next_at) and its last three
-- held ones (meeting_held), computed on read only for the meetings that need it (cogs/meetings/listing.py):
-- '' in next_at marks a meeting to compute (every existing one, and each new one); a stored next_at that has
-- come (next_at <= now) is computed again, and its occurrence moves to the held ones. NULL: none coming.
ALTER TABLE meetings ADD COLUMN next_at TEXT DEFAULT '';
CREATE TABLE meeting_held (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    occurrence_at TEXT NOT NULL,              -- UTC start of an occurrence that has been held (at most three kept)
    PRIMARY KEY (meeting_id, occurrence_at)
);
-- The list in its order, and the meetings due to be computed again (marked, or whose next one has come).
CREATE INDEX meetings_next ON meetings(cancelled_at, next_at);
CREATE INDEX meeting_held_at ON meeting_held(occurrence_at);
