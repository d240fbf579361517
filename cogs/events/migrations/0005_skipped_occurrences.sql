-- Issue 20: one occurrence of a series can be cancelled (its start, UTC ISO, space-separated), and the reason
-- asked with a cancel waits for its confirmation per (event, person). (The .ics SEQUENCE is 0004's column.)
ALTER TABLE events ADD COLUMN skipped TEXT NOT NULL DEFAULT '';
CREATE TABLE event_cancel_drafts (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (event_id, person_id)
);
