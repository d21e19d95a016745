-- The durable queue of messages that are not direct replies (reminders, agenda, staff
-- messages, the customer confirmation a crash kept back, admin alerts, sync notices), the
-- chats that blocked the bot, and each staff member's daily agenda choice.
-- A row is sent once: `dedupe_key` is unique, `sent_at` / `dropped_at` are set once, and a
-- claim (`claimed_until`) keeps two dispatchers from sending the same row.

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    dedupe_key    TEXT NOT NULL UNIQUE,   -- e.g. 'reminder:<booking>:<offset min>:<start>'
    kind          TEXT NOT NULL,          -- change, confirmation, staff_change, reminder, agenda, notice
    chat_id       INTEGER,                -- recipient; NULL for a change (expanded, not sent)
    priority      INTEGER NOT NULL,       -- 0 = prompt (notices, staff), 1 = bulk (reminders, agenda)
    booking_id    TEXT,
    payload       TEXT,                   -- JSON: what to render at send time; cleared when done
    due_at        INTEGER NOT NULL,       -- epoch seconds, UTC
    expires_at    INTEGER,                -- not sent after this (appointment started, day over)
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER,
    sent_at       INTEGER,
    dropped_at    INTEGER,
    drop_reason   TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX notifications_due ON notifications (priority, due_at)
    WHERE sent_at IS NULL AND dropped_at IS NULL;
CREATE INDEX notifications_booking ON notifications (booking_id, kind)
    WHERE booking_id IS NOT NULL AND sent_at IS NULL AND dropped_at IS NULL;

-- Chats whose user blocked the bot (Telegram answered 403): skipped until they write again.
CREATE TABLE blocked_chats (
    chat_id    INTEGER PRIMARY KEY,
    blocked_at INTEGER NOT NULL
);

-- A staff member's daily agenda: the local time (minutes after midnight) and whether it is
-- sent every day, only on days with bookings, or never. No row = every day at 08:00.
CREATE TABLE agenda_preferences (
    staff_id   INTEGER PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    minute     INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
    mode       TEXT NOT NULL CHECK (mode IN ('daily', 'busy', 'off')),
    updated_at INTEGER NOT NULL
);
