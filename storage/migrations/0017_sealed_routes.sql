-- Sealed routes (bot/sealed.py): how to reach a person later without the database saying who they are.
-- `route` is a Fernet token over the platform and account id, under a key derived from HUMAKO_SECRET_KEY;
-- nothing here references people or accounts. The handle is random and the table has no rowid, so neither
-- the key nor the storage order tells when a route was made. `language` renders the messages sent through it.
-- Outbox rows of a sealed delivery have platform and target_kind 'sealed' and the handle as target_id; they
-- are deleted once delivered or given up.
CREATE TABLE sealed_routes (
    handle   TEXT PRIMARY KEY,
    route    TEXT NOT NULL,
    language TEXT NOT NULL
) WITHOUT ROWID;
