"""id_token signing for the Google emulator: RS256 JWTs and the keys that verify them.

An id_token is returned by the token endpoint when ``openid`` was granted
(https://developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo); it is a
JWT signed with RS256 whose key Google publishes both as a JWK set (``/oauth2/v3/certs``) and as
PEM certificates by key id (``/oauth2/v1/certs``, google-auth's default format for
``google.oauth2.id_token.verify_token``).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ISSUER = "https://accounts.google.com"


def b64url(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class IdTokenSigner:
    """One RSA key: signs id_tokens and publishes itself as JWKS and PEM certificates."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(20)

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact RS256 JWT of the claims."""
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK set."""
        numbers = self._key.public_key().public_numbers()
        jwk = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes(3, "big")),
        }
        return {"keys": [jwk]}

    def pem_certificates(self, now: datetime) -> dict[str, str]:
        """The public key as ``{kid: self-signed PEM certificate}``."""
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.google.com")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(int(self.kid[:16], 16))
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=14))
            .sign(self._key, hashes.SHA256())
        )
        return {self.kid: cert.public_bytes(serialization.Encoding.PEM).decode("ascii")}
