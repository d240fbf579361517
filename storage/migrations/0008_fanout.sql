-- A scheduled task may be run again after a crash or a stop (bot/scheduler.py): every message it queued
-- carries a key of (task run, recipient), so running it again queues each message once.
ALTER TABLE outbox ADD COLUMN dedupe TEXT;
CREATE UNIQUE INDEX outbox_dedupe ON outbox(dedupe) WHERE dedupe IS NOT NULL;

-- How many times a row was started: a row that keeps killing the process is given up after a few.
ALTER TABLE scheduled ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;

-- Each chat's pending rows in order (storage/outbox.py: a row waits behind an earlier one to the same chat).
CREATE INDEX outbox_pending_target ON outbox(platform, target_id, target_kind, id) WHERE status = 'pending';
