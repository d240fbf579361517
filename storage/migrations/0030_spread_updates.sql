-- Telegram's webhook spread over several processes (docs/operations.md, bot/fleet.py). A prompt waiting for a
-- person's answer lives in the memory of the process that asked it (`worker`): while it is open, the person's
-- updates that reach another process are handed to that one through `handoffs` (the update as Telegram sent it,
-- deleted as soon as the owner takes it).
CREATE TABLE prompt_owners (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    worker TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, user_id)
);
CREATE TABLE handoffs (
    id INTEGER PRIMARY KEY,
    worker TEXT NOT NULL,
    platform TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX handoffs_worker ON handoffs(worker, id);
-- The per-person command rate, shared by the processes: the times of a person's recent lines and presses.
CREATE TABLE person_rates (
    person_id INTEGER NOT NULL PRIMARY KEY,
    hits TEXT NOT NULL,
    told INTEGER NOT NULL DEFAULT 0
);
