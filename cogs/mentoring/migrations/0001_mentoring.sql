-- Mentoring (cogs/mentoring): programme periods, applications, pairs and groups, their agreements,
-- meetings, check-ins and end feedback. Times are ISO-8601 UTC TEXT.
CREATE TABLE mentoring_programmes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    deadline    TEXT NOT NULL,                 -- applications close
    closed      INTEGER NOT NULL DEFAULT 0,
    coordinator_id INTEGER REFERENCES people(id) ON DELETE SET NULL,  -- who opened it: told of trouble
    kickoff_event  INTEGER,                  -- the kick-off's event number in the events cog, if any
    created_at  TEXT NOT NULL
);

-- One application per person and programme; a team aktori application lists its other members.
CREATE TABLE mentoring_applications (
    id            INTEGER PRIMARY KEY,
    programme_id  INTEGER NOT NULL REFERENCES mentoring_programmes(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    side          TEXT NOT NULL CHECK (side IN ('mentor', 'aktori')),
    field         TEXT NOT NULL,
    languages     TEXT NOT NULL,               -- comma-separated codes: fi,en
    mode          TEXT NOT NULL CHECK (mode IN ('online', 'campus', 'either')),
    campus        TEXT,
    about         TEXT NOT NULL DEFAULT '',    -- mentor: experience and offer; aktori: needs and goals
    stage         TEXT,                        -- aktori: stage of studies
    team          TEXT NOT NULL DEFAULT '[]',  -- JSON person ids of the other team members
    pair_id       INTEGER,
    created_at    TEXT NOT NULL,
    UNIQUE (programme_id, person_id)
);

CREATE TABLE mentoring_pairs (
    id               INTEGER PRIMARY KEY,
    programme_id     INTEGER NOT NULL REFERENCES mentoring_programmes(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('individual', 'group')),
    conversation_id  INTEGER,
    state            TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    created_at       TEXT NOT NULL,
    closed_at        TEXT
);

CREATE TABLE mentoring_members (
    pair_id    INTEGER NOT NULL REFERENCES mentoring_pairs(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    side       TEXT NOT NULL CHECK (side IN ('mentor', 'aktori')),
    fit        TEXT,                            -- good | deciding | bad, after the first held meeting
    PRIMARY KEY (pair_id, person_id)
);
CREATE INDEX mentoring_members_person ON mentoring_members(person_id);

CREATE TABLE mentoring_agreements (
    pair_id     INTEGER PRIMARY KEY REFERENCES mentoring_pairs(id) ON DELETE CASCADE,
    goals       TEXT NOT NULL,
    rhythm      TEXT NOT NULL,
    mode        TEXT NOT NULL,
    cost_plan   TEXT,                            -- NULL: no costs agreed
    cost_limit  INTEGER,                         -- euros per meeting, when a plan is agreed
    version     INTEGER NOT NULL DEFAULT 1,      -- a changed agreement asks every member again
    created_at  TEXT NOT NULL
);

CREATE TABLE mentoring_confirmations (
    pair_id    INTEGER NOT NULL REFERENCES mentoring_pairs(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (pair_id, person_id, version)
);

CREATE TABLE mentoring_meetings (
    id          INTEGER PRIMARY KEY,
    pair_id     INTEGER NOT NULL REFERENCES mentoring_pairs(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    place       TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'held')),
    notes       TEXT,                            -- for the pair only
    cost        INTEGER,                         -- euros claimed by the mentor
    cost_what   TEXT,
    claimant_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    logged_at   TEXT
);
CREATE INDEX mentoring_meetings_pair ON mentoring_meetings(pair_id, at);

CREATE TABLE mentoring_checkins (
    id         INTEGER PRIMARY KEY,
    pair_id    INTEGER NOT NULL REFERENCES mentoring_pairs(id) ON DELETE CASCADE,
    person_id  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    answer     TEXT NOT NULL CHECK (answer IN ('good', 'trouble', 'help')),
    at         TEXT NOT NULL
);
CREATE INDEX mentoring_checkins_pair ON mentoring_checkins(pair_id, at);

-- End feedback: one row per member, 1-5 on each of the programme's five goals.
CREATE TABLE mentoring_feedback (
    pair_id      INTEGER NOT NULL REFERENCES mentoring_pairs(id) ON DELETE CASCADE,
    person_id    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    side         TEXT NOT NULL,
    belonging    INTEGER, dialogue INTEGER, reflection INTEGER, reciprocity INTEGER, learning INTEGER,
    comment      TEXT,
    at           TEXT NOT NULL
);
CREATE UNIQUE INDEX mentoring_feedback_once ON mentoring_feedback(pair_id, person_id);
