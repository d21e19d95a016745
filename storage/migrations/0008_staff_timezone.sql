-- A staff member's own time zone (an IANA name) for the daily agenda and the messages about
-- their bookings; NULL means the business's zone.

ALTER TABLE agenda_preferences ADD COLUMN timezone TEXT;
