-- PostgreSQL's 0016_conversations.sql: the same, without SQLite's rowid (a new PostgreSQL database has no threads).
-- Conversations (bot/conversations.py): a few members talking through the bot, both ways, on their own
-- platforms. They replace the one-way private threads of 0007, whose rows are carried over with their ids
-- (so pending outbox rows of kind "thread" still find theirs).
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL, -- which cog handler hears its messages (@cog.conversation_message(kind))
    host TEXT, -- the destination whose Discord channel / Telegram group holds its thread or topic; NULL: DMs
    title TEXT NOT NULL, -- JSON {language: title}, rendered once, so later messages need no cog
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at TEXT NOT NULL
);

-- A member is a person, a destination (a team's channel or group) or a sealed handle (bot/sealed.py: the
-- route to the person is stored only there, encrypted). `label`: JSON {language: label} shown on their
-- relayed messages instead of their display name (an anonymous conversation's "Sender"). `room`: the
-- platform whose shared thread a person member is in; NULL: they get the conversation as DMs.
CREATE TABLE conversation_members (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'destination', 'sealed')),
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    ref TEXT, -- the destination's name or the sealed handle's id
    label TEXT,
    room TEXT,
    CHECK ((kind = 'person') = (person_id IS NOT NULL))
);
CREATE INDEX conversation_members_of ON conversation_members(conversation_id);
CREATE INDEX conversation_members_person ON conversation_members(person_id);

-- Per platform: the shared place under the host's chat (a Discord thread, a Telegram forum topic), opened on
-- the first delivery so that a failed attempt is retried like any message. `refused`: the platform could not
-- open one, so its members get DMs (and the team its group) instead.
CREATE TABLE conversation_rooms (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    parent_chat_id TEXT NOT NULL,
    chat_id TEXT,
    refused INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, platform)
);

-- Which conversation a relayed message belongs to, so that a reply to it goes there: per person for direct
-- chats (no platform id of theirs), per chat for a team's group. Deleted when the conversation closes or the
-- person leaves it. No text is kept.
CREATE TABLE conversation_relays (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    chat_id TEXT,
    message_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX conversation_relays_message ON conversation_relays(platform, message_id);
CREATE INDEX conversation_relays_of ON conversation_relays(conversation_id);

INSERT INTO conversations (id, kind, host, title, status, created_at)
    SELECT id, 'thread', destination, title, 'open', created_at FROM threads;
INSERT INTO conversation_members (conversation_id, kind, person_id, room)
    SELECT thread_id, 'person', person_id, platform FROM thread_members ORDER BY thread_id, person_id;
INSERT INTO conversation_rooms (conversation_id, platform, parent_chat_id, chat_id, refused)
    SELECT thread_id, platform, parent_chat_id, chat_id, refused FROM thread_refs;
DROP TABLE thread_refs;
DROP TABLE thread_members;
DROP TABLE threads;
