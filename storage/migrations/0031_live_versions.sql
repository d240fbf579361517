-- Each thing with live copies has a version (bot/live.py): a change bumps it and sets its copies' `wanted` to it,
-- so a refresh renders once per version whatever the number of copies and records the version each edit shows.
-- `wanted` and `shown` of 0027 become versions of the thing (both were per-copy counters): seeded below, the
-- highest counter of a thing's copies is its version, and every copy's counters stay at or under it.
CREATE TABLE live_versions (
    kind TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, ref_id)
);
INSERT INTO live_versions (kind, ref_id, version)
    SELECT kind, ref_id, MAX(wanted) FROM live_copies GROUP BY kind, ref_id;
