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
-- SQLite keeps the indexes of 0008: it takes `cancelled_at IS NULL` as a fixed first column (reading events_next
-- in the list's order, and the earliest next_end from events_next_end's first entry). PostgreSQL does not: its
-- twin (0009_list_counts.postgresql.sql) makes them partial indexes.
