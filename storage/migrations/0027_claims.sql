-- Several worker processes share one database (docs/operations.md): a worker claims the outbox rows, scheduled
-- rows and live copies it works on with a lease (storage/claims.py). `claimed_by` names the worker; a row whose
-- `lease_until` has passed while its worker was gone is claimed again by another.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE scheduled ADD COLUMN claimed_by TEXT;
ALTER TABLE scheduled ADD COLUMN lease_until TEXT;
ALTER TABLE live_copies ADD COLUMN claimed_by TEXT;
ALTER TABLE live_copies ADD COLUMN lease_until TEXT;
-- A live copy is stale while the version asked for (bumped by every change of its thing, in any process) is
-- newer than the version its last edit showed.
ALTER TABLE live_copies ADD COLUMN wanted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE live_copies ADD COLUMN shown INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_claimed ON outbox(claimed_by) WHERE claimed_by IS NOT NULL;
-- A claim reads pending rows in (next_attempt_at, id) order and stops at its limit: with the id in the index
-- PostgreSQL need not sort every pending row first (a fan-out's rows share one next_attempt_at). It replaces
-- outbox_due, its prefix.
CREATE INDEX outbox_claim ON outbox(status, next_attempt_at, id);
DROP INDEX outbox_due;
CREATE INDEX scheduled_claimed ON scheduled(claimed_by) WHERE claimed_by IS NOT NULL;
