-- Calendar subscriptions (bot/feeds.py): a person's private feed URL carries a random token. A reset deletes
-- the person's tokens and makes a new one; erasing or merging a person follows the reference to people.
CREATE TABLE calendar_feeds (
    token      TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX calendar_feeds_person ON calendar_feeds (person_id);
