-- Admins added in chat (ADMIN_IDS from the environment are admins too, and are not stored
-- here), and the audit log of every configuration change: who, what, old and new, when.

CREATE TABLE admins (
    telegram_user_id INTEGER PRIMARY KEY,
    name             TEXT NOT NULL DEFAULT '',   -- as Telegram showed them when added
    added_by         INTEGER,                    -- the admin's Telegram user id
    added_at         INTEGER NOT NULL            -- epoch seconds, UTC
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,                  -- epoch seconds, UTC
    actor     INTEGER,                           -- Telegram user id; NULL = bookbot load-config
    what      TEXT NOT NULL,                     -- e.g. 'business.timezone', 'service "cut".price'
    old_value TEXT,                              -- NULL = did not exist
    new_value TEXT                               -- NULL = removed
);

CREATE INDEX audit_log_by_time ON audit_log (at, id);
