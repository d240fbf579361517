-- The test notes cog's own table: numbered from 0001 in its own folder, recorded under the cog's name.
CREATE TABLE test_notes (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER REFERENCES people(id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
