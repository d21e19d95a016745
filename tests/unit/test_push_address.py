"""Where Google may deliver push notifications: https always; plain http only on a loopback
host and only when explicitly allowed (the emulator and local tests); otherwise nowhere."""

from __future__ import annotations

import pytest

from bot.sync.push import encryption_keys, push_address


@pytest.mark.parametrize(
    ("base", "allow", "expected"),
    [
        ("https://bookings.example.com", False, "https://bookings.example.com/google/push"),
        ("https://bookings.example.com/", True, "https://bookings.example.com/google/push"),
        ("http://127.0.0.1:8080", False, None),
        ("http://127.0.0.1:8080", True, "http://127.0.0.1:8080/google/push"),
        ("http://localhost:8080", True, "http://localhost:8080/google/push"),
        ("http://[::1]:8080", True, "http://[::1]:8080/google/push"),
        ("http://bookings.example.com", True, None),
        ("http://10.0.0.5:8080", True, None),
        ("ftp://127.0.0.1", True, None),
    ],
)
def test_push_address(base: str, allow: bool, expected: str | None) -> None:
    assert push_address(base, allow_http_loopback=allow) == expected


def test_encryption_keys_first_key_first() -> None:
    assert encryption_keys("new, old") == [b"new", b"old"]
    assert encryption_keys("only") == [b"only"]
