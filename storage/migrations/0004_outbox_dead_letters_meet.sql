-- The outbox worker: rows that can never be delivered are kept as dead letters (for
-- `bookbot doctor` and the admins), and each booking keeps the Meet link of its event.

ALTER TABLE outbox ADD COLUMN dead_at INTEGER;          -- set once: a permanent failure
ALTER TABLE bookings ADD COLUMN event_meet_url TEXT;     -- hangoutLink of the Google event
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
