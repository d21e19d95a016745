"""Emulators of the remote services (Telegram Bot API, Google), served over HTTP on 127.0.0.1."""
