-- Several processes on one database (docs/operations.md, "Several processes").
-- Each live worker says so here (bot/workers.py): the others count the live ones to share Telegram's budget
-- of messages per second, and a prompt's owner is handed its answers only while it is alive.
CREATE TABLE workers_alive (
    worker TEXT PRIMARY KEY,
    seen_until TEXT NOT NULL
);
-- One row per fire of a cron job (bot/scheduler.py): the worker that inserts it runs the fire; a fire cut short
-- (done = 0) is taken back by its worker after a restart, as a single process always did.
CREATE TABLE cron_fires (
    job TEXT NOT NULL,
    fire_at TEXT NOT NULL,
    claimed_by TEXT,
    lease_until TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job, fire_at)
);
