-- Personal features (bot/reminders.py, bot/account.py): reminders and one-time account link codes.
-- The preferred platform and quiet hours already live on people (0001_core.sql).

-- A personal reminder keeps its local wall-clock time and zone, not a fixed offset, so a weekly
-- 09:00 Europe/Helsinki reminder stays at 09:00 across the daylight-saving changes. Each occurrence is
-- a row in `scheduled` (key 'rem:<id>:'); this row holds the text and the repeat rule.
CREATE TABLE reminders (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    local_at   TEXT NOT NULL,              -- next occurrence, local wall clock 'YYYY-MM-DDTHH:MM:SS'
    zone       TEXT NOT NULL,              -- IANA zone name, e.g. 'Europe/Helsinki'
    repeat     TEXT NOT NULL DEFAULT 'none', -- none | daily | weekly | biweekly
    status     TEXT NOT NULL DEFAULT 'active', -- active | done | cancelled
    created_at TEXT NOT NULL
);
CREATE INDEX reminders_person ON reminders(person_id, status);

-- /link: a short-lived one-time code, stored hashed; using it merges the two persons.
CREATE TABLE link_codes (
    code_hash  TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX link_codes_person ON link_codes(person_id);
