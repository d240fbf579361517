-- Issue 20: an event's revision (the .ics SEQUENCE, grown on every change of its times), and one occurrence of a series can be cancelled (its start, UTC ISO, space-separated), and the
-- reason asked with a cancel waits for its confirmation per (event, person).
ALTER TABLE events ADD COLUMN skipped TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
CREATE TABLE event_cancel_drafts (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (event_id, person_id)
);
