-- One stored form of an instant (storage/db.py to_iso): UTC with microseconds always present, so text order is
-- time order. Rows written before it had seconds only ('2026-12-01T16:00:00+00:00'); they get '.000000'.
UPDATE events SET starts_at = substr(starts_at, 1, 19) || '.000000+00:00'
WHERE starts_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE events SET ends_at = substr(ends_at, 1, 19) || '.000000+00:00'
WHERE ends_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE events SET series_end_at = substr(series_end_at, 1, 19) || '.000000+00:00'
WHERE series_end_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE events SET cancelled_at = substr(cancelled_at, 1, 19) || '.000000+00:00'
WHERE cancelled_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE events SET created_at = substr(created_at, 1, 19) || '.000000+00:00'
WHERE created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE events SET updated_at = substr(updated_at, 1, 19) || '.000000+00:00'
WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE event_rsvps SET since = substr(since, 1, 19) || '.000000+00:00'
WHERE since GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE event_rsvps SET offer_expires = substr(offer_expires, 1, 19) || '.000000+00:00'
WHERE offer_expires GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
UPDATE event_feedback SET created_at = substr(created_at, 1, 19) || '.000000+00:00'
WHERE created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+00:00';
