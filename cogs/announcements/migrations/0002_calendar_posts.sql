-- Issue 26: /announce list (the communication calendar) pages in SQL. Each scheduled announcement stores its
-- posts from when they were last computed up to `planned_until` (announcement_posts), computed on read only for
-- the announcements whose stored posts no longer reach the end of the calendar's window
-- (cogs/announcements/calendar.py); '' marks one to compute (every existing one, and each new one).
ALTER TABLE announcements ADD COLUMN planned_until TEXT DEFAULT '';
CREATE TABLE announcement_posts (
    announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    post_at         TEXT NOT NULL,            -- UTC time of one post
    PRIMARY KEY (announcement_id, post_at)
);
-- The calendar in its order, and the announcements due to be computed again.
CREATE INDEX announcement_posts_at ON announcement_posts(post_at);
CREATE INDEX announcements_planned ON announcements(status, planned_until);
