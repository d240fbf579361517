-- Announcements (cogs/announcements): a message in Finnish and optionally English, posted to destinations once
-- or on a repeating rule. Times are ISO-8601 UTC TEXT (storage/db.py to_iso). The rule (an RFC 5545 RRULE
-- value) repeats the local wall-clock time of starts_at in `timezone`; the next post is a `scheduled` row.
CREATE TABLE announcements (
    id            INTEGER PRIMARY KEY,
    author_id     INTEGER REFERENCES people(id) ON DELETE SET NULL,
    text_fi       TEXT NOT NULL,
    text_en       TEXT,
    destinations  TEXT NOT NULL,              -- JSON list of destination names
    starts_at     TEXT NOT NULL,              -- the first post
    rule          TEXT,                       -- NULL: once
    timezone      TEXT NOT NULL,
    -- waiting (for a board member's approval) | scheduled | done (the last post went) | cancelled
    status        TEXT NOT NULL CHECK (status IN ('waiting', 'scheduled', 'done', 'cancelled')),
    approved_by   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    posts         INTEGER NOT NULL DEFAULT 0, -- how many times it was posted
    created_at    TEXT NOT NULL
);
CREATE INDEX announcements_status ON announcements(status);
CREATE INDEX announcements_author ON announcements(author_id);
