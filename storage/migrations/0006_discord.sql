-- Discord guild scheduled events mirroring a calendar entry (bot/frontends/discord_calendar.py): one per
-- entry uid ("event:42") and guild, so posting the same event in several channels lists it once.
CREATE TABLE discord_scheduled_events (
    guild_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    event_id TEXT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, uid)
);
