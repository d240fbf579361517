-- Issue 20: an English title and description next to the Finnish ones (NULL: none, the other is shown), and
-- the drafts an organiser previews before publishing: nothing of a draft is in `events` until Publish, so no
-- list, reminder or calendar can meet one. `fields` is the validated values as JSON.
ALTER TABLE events ADD COLUMN title_en TEXT;
ALTER TABLE events ADD COLUMN description_en TEXT;
CREATE TABLE event_drafts (
    id INTEGER PRIMARY KEY,
    organiser_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    fields TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX event_drafts_organiser ON event_drafts(organiser_id);
