"""TokenCipher: Fernet round trip, key rotation, wrong keys, and key text never leaking."""

from __future__ import annotations

import pytest

from bot.crypto import TokenCipher, TokenDecryptError, check_key, generate_key


def test_round_trip_of_text_and_bytes() -> None:
    cipher = TokenCipher(generate_key())
    blob = cipher.encrypt("ya29.secret-access")
    assert b"ya29" not in blob
    assert cipher.decrypt(blob) == "ya29.secret-access"
    assert cipher.decrypt(cipher.encrypt(b"raw bytes")) == "raw bytes"


def test_wrong_key_raises_a_clear_error_without_key_material() -> None:
    right, wrong = generate_key(), generate_key()
    blob = TokenCipher(right).encrypt("token")
    with pytest.raises(TokenDecryptError) as caught:
        TokenCipher(wrong).decrypt(blob)
    message = str(caught.value)
    assert "TOKEN_ENCRYPTION_KEY" in message
    assert right not in message
    assert wrong not in message


def test_garbage_is_a_decrypt_error() -> None:
    with pytest.raises(TokenDecryptError):
        TokenCipher(generate_key()).decrypt(b"not a fernet token")


def test_rotation_first_key_encrypts_every_key_decrypts() -> None:
    old, new = generate_key(), generate_key()
    stored = TokenCipher(old).encrypt("refresh-token")
    rotating = TokenCipher(f"{new}, {old}")
    assert rotating.decrypt(stored) == "refresh-token"
    rotated = rotating.rotate(stored)
    assert TokenCipher(new).decrypt(rotated) == "refresh-token"
    with pytest.raises(TokenDecryptError):
        TokenCipher(old).decrypt(rotated)
    with pytest.raises(TokenDecryptError):
        TokenCipher(old).decrypt(rotating.encrypt("fresh"))


def test_check_key_accepts_good_keys() -> None:
    assert check_key(generate_key()) is None
    assert check_key(f"{generate_key()},{generate_key()}") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("  ,  ", "empty"),
        ("short-secret-value", "the key is not a Fernet key"),
    ],
)
def test_check_key_explains_problems(text: str, expected: str) -> None:
    problem = check_key(text)
    assert problem is not None
    assert expected in problem


def test_check_key_names_the_bad_key_by_position_only() -> None:
    bad = "definitely-not-a-key-but-secret-looking"
    problem = check_key(f"{generate_key()},{bad}")
    assert problem is not None
    assert "key #2 of 2" in problem
    assert bad not in problem


def test_constructor_refuses_bad_keys_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="TOKEN_ENCRYPTION_KEY") as caught:
        TokenCipher("hunter2-secret")
    assert "hunter2" not in str(caught.value)


def test_repr_shows_no_key() -> None:
    key = generate_key()
    cipher = TokenCipher(key)
    assert key not in repr(cipher)
    assert key not in str(cipher)
    assert repr(cipher) == "TokenCipher(keys=1)"
