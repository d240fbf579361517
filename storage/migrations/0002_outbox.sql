-- Every message the bot sends on its own is a row first, then a delivery attempt (bot/outbox.py).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    destination TEXT,
    platform TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    shows_kind TEXT,
    shows_id INTEGER,
    urgent INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    message_id TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_person ON outbox(person_id);

-- Each posted copy of a stored thing (an event card in a channel, in a group, in a DM), kept current by
-- bot/live.py when the thing changes.
CREATE TABLE live_copies (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    language TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    UNIQUE (platform, chat_id, message_id)
);
CREATE INDEX live_copies_ref ON live_copies(kind, ref_id);
