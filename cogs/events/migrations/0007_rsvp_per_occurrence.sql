-- Issue 20: an answer per occurrence of a series. `occurrence` is the occurrence's index (0 = the first), or -1
-- for "every time" (a one-off event's answer is -1 too). A person's answer to one time is their row for that
-- time, else their every-time row. Every existing answer becomes an every-time answer (what it meant before).
CREATE TABLE event_rsvps_new (
    event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    occurrence     INTEGER NOT NULL DEFAULT -1 CHECK (occurrence >= -1),
    person_id      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    answer         TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no', 'waiting', 'offered')),
    since          TEXT NOT NULL,
    offer_expires  TEXT,
    seq            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, occurrence, person_id)
);
INSERT INTO event_rsvps_new (event_id, occurrence, person_id, answer, since, offer_expires, seq)
SELECT event_id, -1, person_id, answer, since, offer_expires, seq FROM event_rsvps;
DROP TABLE event_rsvps;
ALTER TABLE event_rsvps_new RENAME TO event_rsvps;
CREATE INDEX event_rsvps_person ON event_rsvps(person_id);
CREATE INDEX event_rsvps_seq ON event_rsvps(seq);
CREATE INDEX event_rsvps_answer ON event_rsvps(event_id, answer, seq);
-- An offer's expiry key names its occurrence now (cogs/events/rsvp.py offer_key): a pending one from before was
-- an offer for every time.
UPDATE scheduled SET key = key || '-1:'
WHERE status = 'pending' AND task = 'ev_offer_expiry' AND key LIKE 'ev:%:offer:%:';
-- Feedback is asked once per series, after its last time; 1 asks after every time (the organiser's choice).
ALTER TABLE events ADD COLUMN feedback_each INTEGER NOT NULL DEFAULT 0 CHECK (feedback_each IN (0, 1));
