-- A person merged into another by /link keeps their old id as an alias, so the buttons already made for
-- them (signed for that id) still recognise their owner. Deleted with the person (forgetme).
CREATE TABLE person_aliases (
    old_id    INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE
);
CREATE INDEX person_aliases_person ON person_aliases (person_id);
