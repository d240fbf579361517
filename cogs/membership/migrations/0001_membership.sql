-- The membership cog: referral campaigns, referral codes and invites, referrals, member benefits.

CREATE TABLE membership_campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    reward TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    ended_at TEXT,              -- set when it ended (at its end or early, by the board)
    created_by INTEGER REFERENCES people(id) ON DELETE SET NULL
);

-- A person's referral code (one per person, kept across campaigns).
CREATE TABLE membership_codes (
    person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE
);

-- Personal platform invites the bot made (a Discord invite): a join through one names its owner.
CREATE TABLE membership_invites (
    platform TEXT NOT NULL,
    code TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    PRIMARY KEY (platform, code)
);
CREATE INDEX membership_invites_person ON membership_invites(person_id);

-- One referral per newcomer and campaign: pending (or review: a young account) until the board confirms.
CREATE TABLE membership_referrals (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES membership_campaigns(id) ON DELETE CASCADE,
    referrer_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    newcomer_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    via TEXT NOT NULL,          -- code | person | link | invite
    campus TEXT,                -- the newcomer's campus id, 'online', or NULL (not said)
    status TEXT NOT NULL,       -- pending | review | confirmed
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    UNIQUE (campaign_id, newcomer_id)
);
CREATE INDEX membership_referrals_referrer ON membership_referrals(campaign_id, referrer_id, status);

CREATE TABLE membership_benefits (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    what TEXT NOT NULL,
    kind TEXT NOT NULL,         -- one of the configured benefit kinds (food, sport, ...)
    place TEXT NOT NULL,        -- a campus id, 'online' or 'everywhere'
    valid_until TEXT,           -- UTC ISO, NULL: no end
    created_at TEXT NOT NULL
);
