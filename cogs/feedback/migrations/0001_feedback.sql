-- Anonymous feedback (cogs/feedback). Nothing here names a sender: `handle` is a sealed route (bot/sealed.py,
-- ciphertext only there) and `sender` a keyed hash (HMAC under HUMAKO_SECRET_KEY) for blocks and the rate
-- limit. The code is random and the tables have no rowid, so neither the key nor the storage order tells
-- when a case came; times are kept to the hour. Texts are not kept: a message waits in feedback_pending
-- only until its random delay is over.
CREATE TABLE feedback_cases (
    code              TEXT PRIMARY KEY,   -- 'F-7K2Q9M'
    category          TEXT NOT NULL,      -- the category the sender chose
    team              TEXT NOT NULL,      -- the category whose team holds it now (escalated: another)
    campus            TEXT,
    handle            TEXT NOT NULL,
    sender            TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('waiting', 'open', 'answered', 'handled')),
    conversation_id   INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    escalated         INTEGER NOT NULL DEFAULT 0,
    created_hour      TEXT NOT NULL,
    first_answer_hour TEXT,
    last_hour         TEXT NOT NULL       -- the last message's hour: retention counts from it
) WITHOUT ROWID;
CREATE INDEX feedback_cases_conversation ON feedback_cases(conversation_id);
CREATE INDEX feedback_cases_sender ON feedback_cases(sender, created_hour);

-- A sender's message during its delay (the first one opens the case's conversation). Deleted when delivered.
CREATE TABLE feedback_pending (
    token  TEXT PRIMARY KEY,
    code   TEXT NOT NULL REFERENCES feedback_cases(code) ON DELETE CASCADE,
    text   TEXT NOT NULL,
    due_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX feedback_pending_code ON feedback_pending(code, due_at);

-- Blocked senders by keyed hash, until a time (a key rotation lifts every block: docs/sealed-delivery.md).
CREATE TABLE feedback_blocks (
    sender TEXT PRIMARY KEY,
    until  TEXT NOT NULL
) WITHOUT ROWID;
