"""End-to-end tests: the real bot against the emulators."""
