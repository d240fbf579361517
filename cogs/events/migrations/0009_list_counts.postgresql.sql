-- Issue 26: /event list's COUNT per filter is kept, not recounted on every page. A count is valid while the
-- version it was counted at is the current one; every write that can change what the list counts (an event
-- cancelled, a stored next occurrence computed again) raises the version after it (cogs/events/storage.py).
-- Being in the database, the counts hold across processes: a count made from a read older than the version it
-- names cannot exist, since the version is raised after each write and read in the counting statement.
CREATE TABLE event_list_version (
    name    TEXT PRIMARY KEY,                 -- one row, 'list'
    version INTEGER NOT NULL
);
INSERT INTO event_list_version (name, version) VALUES ('list', 0);
CREATE TABLE event_list_counts (
    filters TEXT PRIMARY KEY,                 -- '<campus or online or ->|<language or ->'
    version INTEGER NOT NULL,                 -- event_list_version.version when counted
    listed  INTEGER NOT NULL
);
-- PostgreSQL only (SQLite keeps the indexes of 0008). The list's order as a partial index: PostgreSQL reads an
-- index in order for ORDER BY next_start, id only when the columns before them are fixed by `=`, which
-- `cancelled_at IS NULL` is not (it sorted the whole table for each page); the filters' columns are in it too,
-- so a page's ids and a filtered COUNT read the index alone.
DROP INDEX events_next;
CREATE INDEX events_listed ON events(next_start, id, campus, language)
    WHERE cancelled_at IS NULL AND next_start IS NOT NULL;
-- The rows due to be computed again, as a partial index too: the check before each page reads its first entry
-- (MIN(next_end): '' marks sort first), a plan that cannot turn into a scan of the table whatever the clock.
DROP INDEX events_next_end;
CREATE INDEX events_due ON events(next_end) WHERE cancelled_at IS NULL;
