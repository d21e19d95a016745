"""Telegram I/O: parse updates, call services in bot/, render replies."""
