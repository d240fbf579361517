-- Events (cogs/events): one shared calendar of campus and online events, RSVPs with a waiting list,
-- and feedback. Times are ISO-8601 UTC TEXT. A recurring event is one row (RSVP per series); its
-- occurrences are computed from the local wall-clock start in `timezone`, so 18:00 stays 18:00 over DST.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    starts_at      TEXT NOT NULL,              -- the first occurrence
    ends_at        TEXT,                       -- its end, NULL when not given
    campus         TEXT,                       -- a campus id from config; NULL = online
    link           TEXT,                       -- the online link (required for online events)
    capacity       INTEGER CHECK (capacity IS NULL OR capacity > 0),
    language       TEXT CHECK (language IS NULL OR language IN ('fi', 'en', 'both')),
    repeat_weeks   INTEGER NOT NULL DEFAULT 0 CHECK (repeat_weeks IN (0, 1, 2)),
    repeat_until   TEXT,                       -- local date 'YYYY-MM-DD' of the last possible occurrence
    timezone       TEXT NOT NULL,
    series_end_at  TEXT NOT NULL,              -- end of the last occurrence: "upcoming" is series_end_at > now
    organiser_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    cancelled_at   TEXT,
    cancel_reason  TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX events_upcoming ON events(cancelled_at, series_end_at);
CREATE INDEX events_organiser ON events(organiser_id);

-- answer: yes | maybe | no | waiting (on the waiting list) | offered (a freed place held for them).
-- `since` orders the waiting list; `offer_expires` is when an offered place passes on.
CREATE TABLE event_rsvps (
    event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    answer         TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no', 'waiting', 'offered')),
    since          TEXT NOT NULL,
    offer_expires  TEXT,
    PRIMARY KEY (event_id, person_id)
);
CREATE INDEX event_rsvps_person ON event_rsvps(person_id);
CREATE INDEX event_rsvps_answer ON event_rsvps(event_id, answer, since);

-- One rating per person per occurrence (0 = the first), with an optional comment.
CREATE TABLE event_feedback (
    event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    occurrence     INTEGER NOT NULL,
    person_id      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment        TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (event_id, occurrence, person_id)
);
CREATE INDEX event_feedback_person ON event_feedback(person_id);
