"""SQLite storage: connection, versioned migrations and repositories returning dataclasses."""
