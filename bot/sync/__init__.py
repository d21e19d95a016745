"""Keeping bookbot and Google Calendar in step (busy time, outbox, incremental pull)."""
