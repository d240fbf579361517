-- The database decides what is due and what was sent; APScheduler only wakes us (bot/scheduler.py).
CREATE TABLE scheduled (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL,
    key TEXT NOT NULL,
    due_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT,
    late_seconds INTEGER
);
CREATE INDEX scheduled_due ON scheduled(status, due_at);
CREATE INDEX scheduled_key ON scheduled(key);
CREATE INDEX scheduled_person ON scheduled(person_id);

-- When each recurring cron job last ran, so a restart neither repeats nor silently skips a run.
CREATE TABLE job_runs (
    job TEXT PRIMARY KEY,
    last_run_at TEXT NOT NULL
);
