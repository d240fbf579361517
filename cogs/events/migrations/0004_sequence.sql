-- SEQUENCE of an event's calendar entry (RFC 5545 3.8.7.4): one more on every edit or cancellation, so a
-- subscribed calendar replaces its copy rather than keeping the older one.
ALTER TABLE events ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
