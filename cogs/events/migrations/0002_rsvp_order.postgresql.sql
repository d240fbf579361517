-- PostgreSQL's 0002_rsvp_order.sql: LIKE for SQLite's GLOB.
-- Waiting-list order is arrival order (issue 18 item 6): `since` has one-second resolution, so presses within
-- one second tied. `seq` is a strict sequence (the table's largest plus one), given whenever an answer is
-- (re)given; `since` stays for showing when. Existing rows keep their order: since, then person id.
ALTER TABLE event_rsvps ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE event_rsvps SET seq = ordered.n
FROM (SELECT event_id, person_id, ROW_NUMBER() OVER (ORDER BY since, event_id, person_id) AS n
      FROM event_rsvps) AS ordered
WHERE ordered.event_id = event_rsvps.event_id AND ordered.person_id = event_rsvps.person_id;
CREATE INDEX event_rsvps_seq ON event_rsvps(seq);
DROP INDEX event_rsvps_answer;
CREATE INDEX event_rsvps_answer ON event_rsvps(event_id, answer, seq);

-- Offer expiry keys end in ":" (cogs/events/rsvp.py offer_key), so that unscheduling person 1's offer (a key
-- prefix) no longer cancels person 10's too.
UPDATE scheduled SET key = key || ':'
WHERE status = 'pending' AND key LIKE 'ev:%:offer:%' AND key NOT LIKE '%:';
