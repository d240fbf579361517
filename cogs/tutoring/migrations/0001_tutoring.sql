-- Tutoring (cogs/tutoring): students' requests, claimed by tutors and answered in a conversation.
-- Times are ISO-8601 UTC TEXT. A forgotten student leaves an anonymised row (student_id NULL, texts
-- emptied) so that the stats still count the request.
CREATE TABLE tutoring_requests (
    id               INTEGER PRIMARY KEY,        -- the request number people see
    student_id       INTEGER REFERENCES people(id) ON DELETE SET NULL,
    topic            TEXT NOT NULL,
    language         TEXT NOT NULL CHECK (language IN ('fi', 'en')),
    campus           TEXT,                       -- a campus id from config; NULL = online
    description      TEXT NOT NULL DEFAULT '',
    answers          TEXT NOT NULL DEFAULT '[]', -- the topic's intake questions and answers, JSON [[q, a], ...]
    state            TEXT NOT NULL DEFAULT 'open'
                     CHECK (state IN ('open', 'claimed', 'resolved', 'cancelled', 'expired')),
    tutor_id         INTEGER REFERENCES people(id) ON DELETE SET NULL,
    second_id        INTEGER REFERENCES people(id) ON DELETE SET NULL,
    offered_to       INTEGER REFERENCES people(id) ON DELETE SET NULL,  -- a transfer waiting for acceptance
    conversation_id  INTEGER,
    destination      TEXT NOT NULL,              -- where its card is posted
    created_at       TEXT NOT NULL,
    claimed_at       TEXT,                       -- the first claim (time to claim)
    first_answer_at  TEXT,                       -- the first message from a tutor (time to first answer)
    closed_at        TEXT,
    closed_by        TEXT,                       -- student | tutor | bot
    rating           INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    comment          TEXT
);
CREATE INDEX tutoring_requests_state ON tutoring_requests(state, id);
CREATE INDEX tutoring_requests_student ON tutoring_requests(student_id);
CREATE INDEX tutoring_requests_tutor ON tutoring_requests(tutor_id);
CREATE INDEX tutoring_requests_conversation ON tutoring_requests(conversation_id);

-- What was said, kept for the transcript members may ask for; deleted with a forgotten student's request.
CREATE TABLE tutoring_messages (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES tutoring_requests(id) ON DELETE CASCADE,
    person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,  -- the writer, while they are known
    author      TEXT NOT NULL,                                       -- their name then ('' once forgotten)
    text        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX tutoring_messages_request ON tutoring_messages(request_id, id);

-- Tutors the cog has seen (anyone with the tutor role who used a tutor command), and who is away.
CREATE TABLE tutoring_tutors (
    person_id  INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    away       INTEGER NOT NULL DEFAULT 0
);
