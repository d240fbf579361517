-- Who asked for a destination post (an organiser's /event create): told when it could not be posted somewhere.
ALTER TABLE outbox ADD COLUMN requested_by INTEGER REFERENCES people(id) ON DELETE SET NULL;

-- Live copies in direct chats are bounded: they stop being edited after `expires_at` (bot/live.py), and a thing
-- keeps at most a configured number of them, the oldest retired first.
ALTER TABLE live_copies ADD COLUMN direct INTEGER NOT NULL DEFAULT 0;
ALTER TABLE live_copies ADD COLUMN expires_at TEXT;
CREATE INDEX live_copies_expiry ON live_copies(expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX live_copies_direct ON live_copies(kind, ref_id, direct, id);
