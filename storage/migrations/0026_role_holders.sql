-- Who the bot has seen holding a role, per platform (the platform's latest word: a Discord role, membership of
-- a Telegram team chat, a role given by id in config), so that a cog can reach a role's known holders
-- (meeting reminders by DM). Role names and person ids only; deleted with the person, moved by /link.
CREATE TABLE role_holders (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    platform  TEXT NOT NULL,
    role      TEXT NOT NULL,
    seen_at   TEXT NOT NULL,
    PRIMARY KEY (person_id, platform, role)
);
CREATE INDEX role_holders_role ON role_holders (role);
