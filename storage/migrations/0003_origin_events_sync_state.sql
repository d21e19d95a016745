-- Where each change came from, the Google event each booking was written as, and the sync
-- state of each staff calendar (for the outbox worker and the incremental sync).

-- Origins: 'customer', 'admin', 'staff', 'google' (a change read back from Google), 'system'.
ALTER TABLE booking_history RENAME COLUMN actor TO origin;

-- The calendar and etag the booking's Google event was last written with (NULL until the
-- outbox worker writes it): a cancel or move after the staff member switched destination
-- calendars must still find the event, and a patch sends the etag as If-Match.
ALTER TABLE bookings ADD COLUMN event_calendar_id TEXT;
ALTER TABLE bookings ADD COLUMN event_etag TEXT;

-- The outbox gains the origin of the change it carries. A change that came from Google is
-- never written back to Google, so 'google' is not a valid origin here. Rows from before
-- this version were all made by customers (the only writers then).
CREATE TABLE outbox_v3 (
    id              INTEGER PRIMARY KEY,
    booking_id      TEXT NOT NULL REFERENCES bookings (id),
    action          TEXT NOT NULL CHECK (action IN ('upsert', 'delete')),
    origin          TEXT NOT NULL CHECK (origin IN ('customer', 'admin', 'staff', 'system')),
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    delivered_at    INTEGER,
    last_error      TEXT
);
INSERT INTO outbox_v3 (id, booking_id, action, origin, created_at, attempts, next_attempt_at,
                       claimed_until, delivered_at, last_error)
    SELECT id, booking_id, action, 'customer', created_at, attempts, next_attempt_at,
           claimed_until, delivered_at, last_error
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX outbox_booking ON outbox (booking_id, id);

-- Active bookings of a customer are counted inside the booking transaction (the cap).
CREATE INDEX bookings_customer_active ON bookings (customer_id, end_utc)
    WHERE status = 'confirmed';

-- Incremental sync and push channels, per staff member and calendar. Only tokens and ids
-- that Google hands out are kept here, never anything about other people's events.
CREATE TABLE calendar_sync_state (
    staff_id           INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    calendar_id        TEXT NOT NULL,
    sync_token         TEXT,               -- nextSyncToken of the last complete sync
    channel_id         TEXT,               -- events.watch channel, NULL when none
    resource_id        TEXT,
    channel_expires_at INTEGER,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (staff_id, calendar_id)
);
