-- Private conversations a cog opens for a few people (a student and their tutor), bot/outbox.py delivers
-- them. A platform with private threads (Discord) hosts one under the destination's channel; a member
-- without an account there (or on a platform without threads) gets the messages as DMs instead.
CREATE TABLE threads (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    title TEXT NOT NULL, -- JSON {language: title}: rendered once per language, so later posts need no cog
    created_at TEXT NOT NULL
);

CREATE TABLE thread_members (
    thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    platform TEXT, -- the platform whose thread they are in; NULL: DMs
    platform_user_id TEXT, -- their account there, added to the platform's thread when it opens
    PRIMARY KEY (thread_id, person_id)
);
CREATE INDEX thread_members_person ON thread_members(person_id);

-- One row per platform hosting the thread: the parent channel, and the platform's thread id once opened
-- (opening happens on the first delivery, so a failed attempt is retried like any message). `refused`: the
-- platform could not open one after all, so its members get DMs too.
CREATE TABLE thread_refs (
    thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    parent_chat_id TEXT NOT NULL,
    chat_id TEXT,
    refused INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, platform)
);
