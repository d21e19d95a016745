"""Encryption at rest of OAuth tokens: Fernet keys from ``TOKEN_ENCRYPTION_KEY``, with rotation.

``TOKEN_ENCRYPTION_KEY`` holds one Fernet key, or several separated by commas: the first one
encrypts, every one of them decrypts (``MultiFernet``). To rotate, put a new key first, run
``TokenCipher.rotate`` over the stored tokens, then drop the old key.

Key material never appears in messages, exceptions or reprs: errors name a key by its position.
"""

from __future__ import annotations

import binascii
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_SEPARATOR = re.compile(r"[,\s]+")


class TokenDecryptError(Exception):
    """A stored token cannot be decrypted with any configured key (wrong key, or corrupt)."""


def generate_key() -> str:
    """A new random Fernet key, as text for ``TOKEN_ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode("ascii")


def _split(text: str) -> list[str]:
    return [part for part in _SEPARATOR.split(text.strip()) if part]


def check_key(text: str) -> str | None:
    """None if `text` is a valid ``TOKEN_ENCRYPTION_KEY``, else what is wrong, in plain words.

    The explanation names keys by position only, never shows them, and does not repeat the
    setting's name (callers prefix it).
    """
    keys = _split(text)
    if not keys:
        return "it is empty"
    for position, key in enumerate(keys, start=1):
        problem = _key_problem(key)
        if problem is not None:
            which = "the key" if len(keys) == 1 else f"key #{position} of {len(keys)}"
            return f"{which} {problem}"
    return None


def _key_problem(key: str) -> str | None:
    try:
        Fernet(key)
    except (ValueError, binascii.Error):
        return (
            f"is not a Fernet key: it must be 32 random bytes in url-safe base64 "
            f"(44 characters ending in '='), got {len(key)} characters"
        )
    return None


class TokenCipher:
    """Encrypts and decrypts token blobs with the configured Fernet key(s)."""

    def __init__(self, keys: str) -> None:
        problem = check_key(keys)
        if problem is not None:
            raise ValueError(f"TOKEN_ENCRYPTION_KEY: {problem}")
        parts = _split(keys)
        self._count = len(parts)
        self._fernet = MultiFernet([Fernet(part) for part in parts])

    def encrypt(self, data: bytes | str) -> bytes:
        """Encrypt with the first (current) key."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return self._fernet.encrypt(raw)

    def decrypt(self, token: bytes) -> str:
        """Decrypt with any configured key; `TokenDecryptError` if none fits."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError) as err:
            raise TokenDecryptError(
                "stored token cannot be decrypted: TOKEN_ENCRYPTION_KEY does not contain the key "
                "it was encrypted with (or the data is corrupt)"
            ) from err

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a blob with the current key (for key rotation)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as err:
            raise TokenDecryptError("stored token cannot be decrypted for rotation") from err

    def __repr__(self) -> str:
        return f"TokenCipher(keys={self._count})"
