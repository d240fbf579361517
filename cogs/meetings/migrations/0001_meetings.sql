-- Meetings (cogs/meetings): board, council and team meetings, one-off or on a repeating rule, with their
-- members, answers per occurrence and minutes per occurrence. Times are ISO-8601 UTC TEXT; a rule repeats the
-- local wall-clock time of starts_at in `timezone`.
CREATE TABLE meetings (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('board', 'council', 'team')),
    title        TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    rule         TEXT,
    timezone     TEXT NOT NULL,
    place        TEXT NOT NULL,                -- a room, or an online link
    agenda       TEXT,                         -- the agenda's link
    destination  TEXT NOT NULL,
    member_role  TEXT,                         -- everyone with this role is a member (and answers in the destination)
    chair_id     INTEGER REFERENCES people(id) ON DELETE SET NULL,
    cancelled_at TEXT,
    created_at   TEXT NOT NULL
);

CREATE TABLE meeting_members (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, person_id)
);
CREATE INDEX meeting_members_person ON meeting_members(person_id);

-- answer: yes (coming) | no (not coming) | remote; per occurrence (its UTC start).
CREATE TABLE meeting_answers (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    occurrence_at TEXT NOT NULL,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    answer        TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'remote')),
    PRIMARY KEY (meeting_id, occurrence_at, person_id)
);
CREATE INDEX meeting_answers_person ON meeting_answers(person_id);

CREATE TABLE meeting_minutes (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    occurrence_at TEXT NOT NULL,
    link          TEXT NOT NULL,
    PRIMARY KEY (meeting_id, occurrence_at)
);
