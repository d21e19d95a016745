"""bookbot tests."""
