-- Core identity tables. Everything in the bot is keyed by an internal person id so that one
-- human with both a Discord and a Telegram account is one person (one RSVP, one reminder).
-- Timestamps are ISO-8601 UTC TEXT, e.g. '2026-12-01T16:00:00+00:00'.

CREATE TABLE people (
    id                 INTEGER PRIMARY KEY,
    display_name       TEXT NOT NULL,
    locale             TEXT,               -- 'fi' / 'en'; NULL = community default
    preferred_platform TEXT,               -- where to send DMs when several accounts are linked
    quiet_start        TEXT,               -- 'HH:MM' local time; no DMs between start and end
    quiet_end          TEXT,
    created_at         TEXT NOT NULL
);

CREATE TABLE accounts (
    platform          TEXT NOT NULL,       -- 'discord' | 'telegram' | 'console'
    platform_user_id  TEXT NOT NULL,       -- TEXT: Discord snowflakes exceed what some tools treat as safe ints
    person_id         INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    display_name      TEXT,
    unreachable_since TEXT,                -- set when DMs fail (blocked bot, left server); NULL = reachable
    created_at        TEXT NOT NULL,
    PRIMARY KEY (platform, platform_user_id)
);

CREATE INDEX accounts_person_id ON accounts(person_id);
