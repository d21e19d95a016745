"""Customer contact details typed into the chat: e-mail, phone number and name.

Each function returns the normalized value or raises a :class:`ValueError` subclass whose
message is short and friendly enough to show to the customer as is.

Exceptions::

    ValueError
     ├── InvalidEmail
     ├── InvalidPhone
     └── InvalidName

E-mail checks are a pragmatic syntax check, not full RFC 5322: exactly one ``@``, no spaces
and no invisible characters (controls, zero-width and direction-override characters: an
address must display as what it is), a dotted domain of letters, digits and hyphens
(non-ASCII letters are allowed for internationalized domains), and the RFC 5321 size limits
(local part 64 octets, domain 255 octets, whole address 254 octets). Only the domain is
lowercased: the local part is case-sensitive by the standard.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "MAX_EMAIL_OCTETS",
    "MAX_NAME_LENGTH",
    "MAX_PHONE_DIGITS",
    "MIN_PHONE_DIGITS",
    "InvalidEmail",
    "InvalidName",
    "InvalidPhone",
    "clean_name",
    "normalize_email",
    "normalize_phone",
]

MAX_EMAIL_OCTETS = 254  # RFC 5321 path limit of 256 minus the angle brackets
MAX_LOCAL_OCTETS = 64
MAX_DOMAIN_OCTETS = 255
MAX_LABEL_OCTETS = 63
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15  # ITU-T E.164
MAX_NAME_LENGTH = 64

# Characters a local part cannot hold unquoted (quoted local parts are not accepted).
_LOCAL_FORBIDDEN = frozenset('()<>[]\\,;:"@')
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]+")
# Bidirectional overrides and isolates: they can make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAME_WHITESPACE_CONTROLS = frozenset("\t\n\r\v\f")


class InvalidEmail(ValueError):
    """The text is not a usable e-mail address; str(error) is the reason for the user."""


class InvalidPhone(ValueError):
    """The text is not a usable phone number; str(error) is the reason for the user."""


class InvalidName(ValueError):
    """The text is not a usable name; str(error) is the reason for the user."""


def normalize_email(text: str) -> str:
    """Validate an e-mail address and return it trimmed, with its domain lowercased."""
    address = text.strip()
    if not address:
        raise InvalidEmail("Please enter an e-mail address.")
    if any(ch.isspace() or _is_invisible(ch) for ch in address):
        raise InvalidEmail("An e-mail address cannot contain spaces or invisible characters.")
    if address.count("@") != 1:
        raise InvalidEmail("An e-mail address must contain exactly one @, like name@example.com.")
    local, domain = address.split("@")
    if not local:
        raise InvalidEmail("Something is missing before the @.")
    if not domain:
        raise InvalidEmail("The domain after the @ is missing, like example.com.")
    if len(address.encode()) > MAX_EMAIL_OCTETS:
        raise InvalidEmail("This e-mail address is too long.")
    if len(local.encode()) > MAX_LOCAL_OCTETS:
        raise InvalidEmail("The part before the @ is too long (64 characters at most).")
    if any(ch in _LOCAL_FORBIDDEN for ch in local):
        raise InvalidEmail("The part before the @ contains a character that is not allowed.")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidEmail("The part before the @ cannot start or end with a dot or have two dots.")
    domain = domain.lower()
    if len(domain.encode()) > MAX_DOMAIN_OCTETS:
        raise InvalidEmail("The domain after the @ is too long.")
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidEmail("The domain after the @ needs a dot, like example.com.")
    for label in labels:
        if not label:
            raise InvalidEmail("The domain after the @ has an empty part between dots.")
        if len(label.encode()) > MAX_LABEL_OCTETS or not _is_domain_label(label):
            raise InvalidEmail("The domain after the @ does not look right.")
    if len(labels[-1]) < 2 or labels[-1].isdigit():
        raise InvalidEmail("The domain after the @ does not end in a valid top-level domain.")
    return f"{local}@{domain}"


def normalize_phone(text: str) -> str:
    """Return the number as ``+`` and 7..15 digits (E.164 style); add ``+`` if it is missing."""
    raw = _PHONE_SEPARATORS.sub("", text.strip())
    if not raw:
        raise InvalidPhone("Please enter a phone number.")
    if raw.startswith("+"):
        digits = raw[1:]
    elif raw.startswith("00"):
        digits = raw[2:]  # international call prefix, same meaning as +
    else:
        digits = raw
    if not digits.isascii() or not digits.isdigit():
        raise InvalidPhone("A phone number may contain only digits, spaces and a leading +.")
    if digits.startswith("0"):
        raise InvalidPhone("Please include the country code, like +44 20 7946 0000.")
    if len(digits) < MIN_PHONE_DIGITS:
        raise InvalidPhone("This phone number is too short.")
    if len(digits) > MAX_PHONE_DIGITS:
        raise InvalidPhone("This phone number is too long (15 digits at most).")
    return f"+{digits}"


def clean_name(text: str) -> str:
    """Return the name trimmed with inner whitespace collapsed, 1..64 characters."""
    for ch in text:
        if ch in _NAME_WHITESPACE_CONTROLS:
            continue
        if _is_control(ch) or ch in _BIDI_CONTROLS:
            raise InvalidName("The name contains a character that is not allowed.")
    name = " ".join(text.split())
    if not name:
        raise InvalidName("Please enter your name.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName("The name is too long (64 characters at most).")  # MAX_NAME_LENGTH
    return name


def _is_domain_label(label: str) -> bool:
    """Letters, digits, combining marks and inner hyphens (LDH, extended for IDN)."""
    if label.startswith("-") or label.endswith("-") or unicodedata.category(label[0])[0] == "M":
        return False
    return all(ch == "-" or ch.isalnum() or unicodedata.category(ch)[0] == "M" for ch in label)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs")


def _is_invisible(ch: str) -> bool:
    """Controls, format characters (zero-width, bidi overrides and isolates, soft hyphen),
    surrogates, private-use and unassigned code points: Unicode category C."""
    return unicodedata.category(ch).startswith("C")
