-- Staff linking and Google accounts. Invite tokens and OAuth states are stored only as
-- SHA-256 hashes; Google tokens and PKCE verifiers only Fernet-encrypted.

CREATE TABLE staff_invites (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_by INTEGER NOT NULL,           -- the admin's Telegram user id
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    INTEGER
);

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    staff_id      INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_verifier BLOB NOT NULL,           -- encrypted
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);

CREATE TABLE google_accounts (
    staff_id           INTEGER PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    email              TEXT NOT NULL,
    tokens             BLOB,               -- encrypted JSON; NULL once disconnected
    scopes             TEXT NOT NULL,      -- granted scopes, space separated
    status             TEXT NOT NULL CHECK (status IN ('connected', 'disconnected', 'revoked')),
    connected_at       INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    last_error         TEXT,
    last_error_at      INTEGER
);

-- Only calendar ids and names are kept, never other events' details.
CREATE TABLE staff_calendars (
    staff_id       INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    calendar_id    TEXT NOT NULL,
    name           TEXT NOT NULL,
    is_destination INTEGER NOT NULL DEFAULT 0,
    blocks_time    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (staff_id, calendar_id)
);
CREATE UNIQUE INDEX staff_calendars_one_destination ON staff_calendars (staff_id)
    WHERE is_destination = 1;
