-- bookbot initial schema. Instants are INTEGER seconds since the Unix epoch, UTC.
-- Local calendar dates are TEXT 'YYYY-MM-DD'; wall-clock times are minutes after midnight.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- JSON
);

CREATE TABLE services (
    id                INTEGER PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    duration_min      INTEGER NOT NULL CHECK (duration_min > 0),
    price_minor       INTEGER NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    currency          TEXT NOT NULL DEFAULT 'EUR',
    buffer_before_min INTEGER NOT NULL DEFAULT 0 CHECK (buffer_before_min >= 0),
    buffer_after_min  INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_min >= 0),
    active            INTEGER NOT NULL DEFAULT 1,
    position          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    telegram_user_id INTEGER UNIQUE,
    active           INTEGER NOT NULL DEFAULT 1,
    position         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff_services (
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, service_id)
);

CREATE TABLE working_hours (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),   -- 0 = Monday
    start_minute INTEGER NOT NULL,
    end_minute   INTEGER NOT NULL,
    CHECK (0 <= start_minute AND start_minute < end_minute AND end_minute <= 1440)
);
CREATE INDEX working_hours_staff ON working_hours (staff_id, weekday);

-- A (staff, day) with one row whose minutes are NULL is a day off; rows with minutes are
-- special hours that replace the weekly hours of that day.
CREATE TABLE date_overrides (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    start_minute INTEGER,
    end_minute   INTEGER,
    CHECK ((start_minute IS NULL AND end_minute IS NULL)
           OR (0 <= start_minute AND start_minute < end_minute AND end_minute <= 1440))
);
CREATE INDEX date_overrides_staff ON date_overrides (staff_id, day);

CREATE TABLE customers (
    id               INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    phone            TEXT,
    email            TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE bookings (
    id                TEXT PRIMARY KEY,     -- app-generated, base32hex (doubles as Google event id)
    customer_id       INTEGER NOT NULL REFERENCES customers (id),
    staff_id          INTEGER NOT NULL REFERENCES staff (id),
    service_id        INTEGER NOT NULL REFERENCES services (id),
    start_utc         INTEGER NOT NULL,
    end_utc           INTEGER NOT NULL,
    blocked_start_utc INTEGER NOT NULL,     -- start minus the service's buffer before
    blocked_end_utc   INTEGER NOT NULL,     -- end plus the service's buffer after
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    customer_name     TEXT NOT NULL,
    customer_phone    TEXT,
    customer_email    TEXT,
    price_minor       INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    sequence          INTEGER NOT NULL DEFAULT 0,   -- iCalendar SEQUENCE, bumped on change
    request_key       TEXT UNIQUE,                  -- makes a repeated confirm idempotent
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    CHECK (start_utc < end_utc AND blocked_start_utc <= start_utc AND end_utc <= blocked_end_utc)
);
CREATE INDEX bookings_staff_blocked ON bookings (staff_id, blocked_start_utc)
    WHERE status = 'confirmed';
CREATE INDEX bookings_customer ON bookings (customer_id, start_utc);

CREATE TABLE booking_history (
    id            INTEGER PRIMARY KEY,
    booking_id    TEXT NOT NULL REFERENCES bookings (id),
    at_utc        INTEGER NOT NULL,
    actor         TEXT NOT NULL,                -- 'customer', 'staff', 'admin', 'google', 'system'
    action        TEXT NOT NULL CHECK (action IN ('created', 'rescheduled', 'cancelled')),
    old_start_utc INTEGER,
    new_start_utc INTEGER,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX booking_history_booking ON booking_history (booking_id, id);

-- Changes waiting to reach Google; filled in the same transaction as the booking change.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    booking_id      TEXT NOT NULL REFERENCES bookings (id),
    action          TEXT NOT NULL CHECK (action IN ('upsert', 'delete')),
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    delivered_at    INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;

-- python-telegram-bot persistence (conversation states, user/chat/bot data).
CREATE TABLE ptb_conversations (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL,                -- JSON array of the conversation key
    state TEXT NOT NULL,                -- JSON
    PRIMARY KEY (name, key)
);

CREATE TABLE ptb_data (
    kind TEXT NOT NULL CHECK (kind IN ('user', 'chat', 'bot', 'callback')),
    key  INTEGER NOT NULL,
    data TEXT NOT NULL,                 -- JSON
    PRIMARY KEY (kind, key)
);
